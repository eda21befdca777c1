package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/questgate/questgate/internal/testkit/pgtest"
)

// These tests run questgate as several processes on one PostgreSQL
// database, as an event behind a load balancer does. They need
// QUESTGATE_TEST_POSTGRES_URL (.ci/run sets it) and skip without it
// (see package pgtest).

// clusterEnv is the environment of every instance of one event: the
// shared database and the shared secret key.
func clusterEnv(db string) []string {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return append(processEnv(), "QUESTGATE_DATABASE_URL="+db, "QUESTGATE_SECRET_KEY="+base64.StdEncoding.EncodeToString(key))
}

// instance starts one `questgate serve` of the event in its own data folder.
func instance(t *testing.T, bin string, env []string, twilioURL string) *process {
	t.Helper()
	return startServing(t, bin, env, "--data-dir", t.TempDir(), "--twilio-api-url", twilioURL)
}

// clusterCLI runs a questgate command with env and stdin, and returns
// what it printed.
func clusterCLI(t *testing.T, bin string, env []string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("questgate %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// clusterAPIKey creates an API key in the event's database.
func clusterAPIKey(t *testing.T, bin string, env []string) string {
	t.Helper()
	out := clusterCLI(t, bin, env, "", "apikey", "create", "--name", "cluster test")
	for f := range strings.FieldsSeq(out) {
		if strings.HasPrefix(f, "qg_live_") {
			return f
		}
	}
	t.Fatalf("no key in:\n%s", out)
	return ""
}

// Two instances started together on an empty database migrate it once,
// and 200 simultaneous submissions of one SID spread over both award it
// once.
func TestTwoInstancesAwardOneSIDOnce(t *testing.T) {
	db := pgtest.Schema(t)
	bin := questgateBinary(t)
	env := clusterEnv(db)
	twilio := newHeldTwilio(t, nil)
	var a, b *process
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = instance(t, bin, env, twilio.URL) }()
	go func() { defer wg.Done(); b = instance(t, bin, env, twilio.URL) }()
	wg.Wait()
	if a == nil || b == nil {
		t.FailNow()
	}
	var dup int
	queryRow(t, db, `SELECT count(*) FROM (SELECT version_id FROM goose_db_version
		GROUP BY version_id HAVING count(*) > 1) d`, &dup)
	if dup != 0 {
		t.Errorf("%d migrations were applied more than once", dup)
	}

	key := clusterAPIKey(t, bin, env)
	ada := burstPlayers(1)[0]
	const clicks = 200
	c := burstClient()
	verdicts := make(chan verdict, clicks)
	var start sync.WaitGroup
	start.Add(1)
	for i := range clicks {
		base := a.url
		if i%2 == 1 {
			base = b.url
		}
		go func() {
			start.Wait()
			verdicts <- apiHack(context.Background(), c, base, key, ada)
		}()
	}
	start.Done()
	counts := map[string]int{}
	for range clicks {
		v := <-verdicts
		if v.err != nil || v.status != http.StatusOK {
			t.Errorf("HTTP %d: %v", v.status, v.err)
			continue
		}
		counts[v.Reason]++
	}
	if counts["awarded"] != 1 || counts["already_awarded"] != clicks-1 {
		t.Errorf("answers = %v, want exactly one awarded and %d already_awarded", counts, clicks-1)
	}
	var awards int
	queryRow(t, db, "SELECT count(*) FROM awards", &awards)
	if awards != 1 {
		t.Errorf("%d awards in the database, want 1", awards)
	}
	// Each instance asks Twilio once at most: its identical checks in
	// flight share one fetch, and later ones are answered from the database.
	if n := twilio.arrived.Load(); n > 2 {
		t.Errorf("Twilio was asked %d times, want at most one per instance", n)
	}
}

func queryRow(t *testing.T, db, query string, dest ...any) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(context.Background(), query).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// An instructor watching the live submissions on instance B sees a
// player's submission on instance A.
func TestSubmissionOnOneInstanceShowsLiveOnTheOther(t *testing.T) {
	db := pgtest.Schema(t)
	bin := questgateBinary(t)
	env := clusterEnv(db)
	twilio := newHeldTwilio(t, nil)
	a := instance(t, bin, env, twilio.URL)
	b := instance(t, bin, env, twilio.URL)
	key := clusterAPIKey(t, bin, env)
	clusterCLI(t, bin, env, "a long passphrase\n", "instructor", "add", "--email", "ada@example.org", "--password-stdin")

	jar, _ := cookiejar.New(nil)
	instructor := &http.Client{Jar: jar}
	req, _ := http.NewRequest(http.MethodPost, b.url+"/instructor/login",
		strings.NewReader(url.Values{"email": {"ada@example.org"}, "password": {"a long passphrase"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := instructor.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path == "/instructor/login" {
		t.Fatalf("sign-in on B: %s at %s", resp.Status, resp.Request.URL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, b.url+"/instructor/submissions/live", nil)
	req.Header.Set("Accept", "text/event-stream")
	stream, err := instructor.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if stream.StatusCode != http.StatusOK {
		t.Fatalf("live submissions on B: %s", stream.Status)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stream.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()

	// B's listener may not be listening yet when the first event goes
	// out (LISTEN keeps no backlog), so players keep hacking on A until
	// B shows one of them.
	c := burstClient()
	players := burstPlayers(100)
	sent := 0
	hack := func() {
		if sent == len(players) {
			return
		}
		if v := apiHack(ctx, c, a.url, key, players[sent]); v.err != nil || v.Reason != "awarded" {
			t.Fatalf("hack on A: HTTP %d %s %v", v.status, v.Reason, v.err)
		}
		sent++
	}
	hack()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("B's live feed ended before showing a submission made on A (%d made)", sent)
			}
			for _, p := range players[:sent] {
				if strings.Contains(line, p.sid) {
					return
				}
			}
		case <-tick.C:
			hack()
		case <-ctx.Done():
			t.Fatalf("B's live feed never showed a submission made on A (%d made)", sent)
		}
	}
}

// /readyz tells a load balancer to stop sending players to an instance
// whose database is gone, and to send them again once it is back.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	db, proxy := pgtest.Via(t, pgtest.Schema(t))
	bin := questgateBinary(t)
	in := instance(t, bin, clusterEnv(db), "http://127.0.0.1:1")

	waitReady := func(want int) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		last := "no answer"
		for {
			resp, err := http.Get(in.url + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == want {
					return
				}
				last = resp.Status
			} else {
				last = err.Error()
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz never answered %d within a minute (last: %s)", want, last)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitReady(http.StatusOK)
	proxy.Stop()
	waitReady(http.StatusServiceUnavailable)
	proxy.Start()
	waitReady(http.StatusOK)
	if got := fmt.Sprint(get(t, in.url+"/healthz")); got != "200" {
		t.Errorf("/healthz = %s, want 200 throughout", got)
	}
}
