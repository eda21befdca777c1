package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/internal/testkit/pgtest"
)

// The workshop day's live pieces across instances (issue 18): an
// announcement sent on one instance reaches a player's page open on the
// other, and the wall on one instance follows the event window changed on
// the other.

// csrfToken matches the hidden field of questgate's forms.
var csrfToken = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// clusterForm posts a form of page (read first, for its token) to action,
// as the browser does, and returns the status.
func clusterForm(t *testing.T, c *http.Client, page, action string, form url.Values) int {
	t.Helper()
	resp, err := c.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfToken.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no form token on %s (%s)", page, resp.Status)
	}
	form.Set("_csrf", string(m[1]))
	req, _ := http.NewRequest(http.MethodPost, action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// openEvents opens an event stream and returns its "event:" names and
// data lines as they come.
func openEvents(t *testing.T, ctx context.Context, c *http.Client, u string) <-chan string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("%s: %s", u, resp.Status)
	}
	lines := make(chan string)
	go func() {
		defer resp.Body.Close()
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	return lines
}

// untilLine acts (again every half second: LISTEN keeps no backlog, so
// the other instance may not hear the first one) until lines shows a line
// holding want.
func untilLine(t *testing.T, ctx context.Context, lines <-chan string, want string, act func()) {
	t.Helper()
	act()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the stream ended before showing %q", want)
			}
			if strings.Contains(line, want) {
				return
			}
		case <-tick.C:
			act()
		case <-ctx.Done():
			t.Fatalf("the stream never showed %q", want)
		}
	}
}

func TestWorkshopLiveAcrossInstances(t *testing.T) {
	db := pgtest.Schema(t)
	bin := questgateBinary(t)
	env := clusterEnv(db)
	twilio := newHeldTwilio(t, nil)
	a := instance(t, bin, env, twilio.URL)
	b := instance(t, bin, env, twilio.URL)
	clusterCLI(t, bin, env, "a long passphrase\n", "instructor", "add", "--email", "ada@example.org", "--password-stdin")
	out := clusterCLI(t, bin, env, "", "cohort", "create", "--name", "Two instances")
	code := regexp.MustCompile(`/join/([A-Z0-9]+)`).FindStringSubmatch(out)
	if code == nil {
		t.Fatalf("no join link in:\n%s", out)
	}
	var cohortID string
	queryRow(t, db, `SELECT id::text FROM cohorts WHERE join_code = '`+code[1]+`'`, &cohortID)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// A player with a page open on A.
	pjar, _ := cookiejar.New(nil)
	player := &http.Client{Jar: pjar}
	if resp, err := player.Get(a.url + "/objectives/send-sms"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	announcements := openEvents(t, ctx, player, a.url+"/live/announcements")

	// The instructor signs in on B (the session is in the shared database).
	ijar, _ := cookiejar.New(nil)
	instructor := &http.Client{Jar: ijar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if st := clusterForm(t, instructor, b.url+"/instructor/login", b.url+"/instructor/login",
		url.Values{"email": {"ada@example.org"}, "password": {"a long passphrase"}}); st != http.StatusSeeOther {
		t.Fatalf("sign-in on B: %d", st)
	}
	untilLine(t, ctx, announcements, "Hello from B", func() {
		if st := clusterForm(t, instructor, b.url+"/instructor/announcements", b.url+"/instructor/announcements",
			url.Values{"cohort": {""}, "body": {"Hello from B"}}); st != http.StatusSeeOther {
			t.Fatalf("announce on B: %d", st)
		}
	})

	// The wall on B follows the event extended on A.
	wall := openEvents(t, ctx, instructor, b.url+"/instructor/wall/live?cohort="+cohortID+"&names=hidden")
	cohortPage := a.url + "/instructor/cohorts/" + cohortID
	untilLine(t, ctx, wall, " left</p>", func() {
		if st := clusterForm(t, instructor, cohortPage, cohortPage+"/event/extend", url.Values{"minutes": {"30"}}); st != http.StatusSeeOther {
			t.Fatalf("extend on A: %d", st)
		}
	})
}
