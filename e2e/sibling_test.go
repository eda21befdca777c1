package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The red team's attacks from a sibling origin (issue 13): a page served
// on another port of the same host is another origin but the same site,
// so Chromium sends questgate's SameSite=Lax cookies with the forms it
// submits to questgate, and its Set-Cookie headers plant cookies for the
// host, whatever the port. It used to plant the CSRF cookie of the
// double-submit check and post the matching token (a player's name and an
// instructor's cohort changed), and to plant its own session cookie so
// that the victim's credentials landed in the attacker's player.

// attacker is the sibling origin: an httptest server on another port of
// 127.0.0.1, whose pages plant cookies and auto-submit forms to questgate.
type attacker struct {
	srv *httptest.Server
	// base is the attacker's origin: questgate's host, another port.
	base  string
	mu    sync.Mutex
	pages map[string]attackPage
}

// attackPage is what one address of the attacker serves: cookies to
// plant, and a form to submit to questgate at once (none when action is
// empty).
type attackPage struct {
	plant  []*http.Cookie
	action string
	fields url.Values
}

func newAttacker(t *testing.T) *attacker {
	t.Helper()
	// Without a browser there is no questgate to attack (suite.srv is nil).
	if suite.skip != "" {
		t.Skip(suite.skip)
	}
	a := &attacker{pages: map[string]attackPage{}}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	// The attacker is reached by the host name questgate is (localhost,
	// say), on its own port.
	q, err := url.Parse(suite.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, port, err := net.SplitHostPort(a.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if port == q.Port() {
		t.Fatalf("the attacker listens on questgate's port %s", port)
	}
	a.base = "http://" + net.JoinHostPort(q.Hostname(), port)
	return a
}

// page makes path serve p and returns its address.
func (a *attacker) page(path string, p attackPage) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pages[path] = p
	return a.base + path
}

// serve plants the page's cookies and writes a page whose script submits
// its form once loaded (after the load, so that the browser first finishes
// loading the attacker's page, as the test waits for).
func (a *attacker) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	p, ok := a.pages[r.URL.Path]
	a.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNoContent) // a favicon, say: nothing to log
		return
	}
	for _, c := range p.plant {
		http.SetCookie(w, c)
	}
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Free XP!</title></head><body><h1>Free XP!</h1>`)
	if p.action != "" {
		fmt.Fprintf(&b, `<form id="f" method="post" action="%s">`, html.EscapeString(p.action))
		for k, vs := range p.fields {
			for _, v := range vs {
				fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(v))
			}
		}
		b.WriteString(`</form><script>addEventListener("load", () => setTimeout(() => document.getElementById("f").submit()));</script>`)
	}
	b.WriteString(`</body></html>`)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, b.String())
}

// visitAttack opens the attacker's page at u, which submits its form to
// questgate at path, and waits for questgate's answer to load. It returns
// the answer's status, as the page shows it.
func (p *tab) visitAttack(u, path string) string {
	p.t.Helper()
	p.expectHTTPError(path)
	// Two pages load: the attacker's, then questgate's answer to its form.
	loads := 0
	run(p, "open the attacker's page "+u+" and wait for questgate's answer to its form",
		chromedp.WaitEvent(page.LoadEventFired, func(page.EventLoadEventFired) bool { loads++; return loads == 2 }, chromedp.Navigate(u)))
	if loc := p.location(); loc != p.opts.srv.URL+path {
		p.t.Fatalf("after the attacker's form the browser is at %s, want questgate's refusal at %s: the forged form was accepted", loc, path)
	}
	return attr(p, "read the answer's status", testID("error"), "data-status")
}

// plantOnly opens the attacker's page at u, which only plants cookies.
func (p *tab) plantOnly(u string) {
	p.t.Helper()
	run(p, "open the attacker's page "+u, chromedp.NavigateResponse(u))
}

// setName saves name on the profile page, as the player types it.
func (p *tab) setName(name string) {
	p.t.Helper()
	p.open("/profile")
	field := byLabel(p.tr("profile.field.display_name"))
	p.do("type the display name", chromedp.Focus(field, chromedp.NodeVisible), selectAll(), paste(field, name))
	p.follow("press "+p.tr("profile.save"), click(testID("save-name")))
	if got, want := p.text("read the notice", testID("notice")), p.tr("profile.saved"); got != want {
		p.t.Fatalf("after saving the name the page says %q, want %q", got, want)
	}
}

// displayName is the name the profile page shows in its field.
func (p *tab) displayName() string {
	p.t.Helper()
	p.open("/profile")
	return run(p, "read the display name", chromedp.Evaluate[string](`(`+string(byLabel(p.tr("profile.field.display_name")))+`)?.value ?? ""`))
}

// shoot saves a screenshot of what the tab shows under artifacts/e2e.
func (p *tab) shoot(name string) {
	p.t.Helper()
	if err := p.saveScreenshot(filepath.Join(suite.artifacts, "sibling-origin", name+".png")); err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
	}
}

// TestSiblingOriginCannotForgeForms: a page on another port of the same
// host plants questgate_csrf=evil on the form's path and submits the
// form with _csrf=evil, first to rename a player, then to create a cohort
// in a signed-in instructor's name. Both are refused with the page saying
// the form was not accepted, and nothing changes.
func TestSiblingOriginCannotForgeForms(t *testing.T) {
	evil := newAttacker(t)

	t.Run("a player's name", func(t *testing.T) {
		p := newTab(t, tabOptions{})
		p.setName("Ada")
		u := evil.page("/rename", attackPage{
			plant:  []*http.Cookie{{Name: "questgate_csrf", Value: "evil", Path: "/profile"}},
			action: suite.srv.URL + "/profile",
			fields: url.Values{"_csrf": {"evil"}, "display_name": {"pwned"}},
		})
		if status := p.visitAttack(u, "/profile"); status != "403" {
			t.Errorf("the forged form got %s, want 403", status)
		}
		if got, want := p.text("read the refusal", testID("error-title")), p.tr("error.csrf.title"); got != want {
			t.Errorf("the refusal says %q, want %q", got, want)
		}
		p.shoot("player-name-refused")
		if got := p.displayName(); got != "Ada" {
			t.Errorf("after the attack the player's name is %q, want Ada", got)
		}
	})

	t.Run("an instructor's cohorts", func(t *testing.T) {
		email, password := addInstructor(t)
		p := newTab(t, tabOptions{})
		p.open("/instructor/login")
		p.signIn(email, password)
		u := evil.page("/cohort", attackPage{
			plant:  []*http.Cookie{{Name: "questgate_csrf", Value: "evil", Path: "/instructor/cohorts"}},
			action: suite.srv.URL + "/instructor/cohorts",
			fields: url.Values{"_csrf": {"evil"}, "name": {"pwned by a sibling"}},
		})
		if status := p.visitAttack(u, "/instructor/cohorts"); status != "403" {
			t.Errorf("the forged form got %s, want 403", status)
		}
		p.shoot("instructor-cohort-refused")
		p.open("/instructor/cohorts")
		if body := p.text("read the cohorts", chromedp.CSS("main")); strings.Contains(body, "pwned") {
			t.Errorf("the forged cohort was created: %q", body)
		}
	})
}

// TestSiblingOriginCannotFixASession: Mallory, a player, plants her own
// session cookie in Ada's browser from another port, hoping Ada saves her
// real credentials into Mallory's player, as she did before: Mallory then
// HACKed Ada's SIDs and was awarded. Beside Ada's own session the planted
// cookie gets a page saying a cookie came twice, and nothing is saved in
// Mallory's player; in a browser with no session of its own, saving the
// credentials renews the session, so Mallory's token goes nowhere. Either
// way Mallory cannot win with Ada's SID, and Ada can.
func TestSiblingOriginCannotFixASession(t *testing.T) {
	evil := newAttacker(t)
	for _, tt := range []struct {
		name     string
		ownFirst bool
		path     string
	}{
		{"beside the player's own session", true, "/credentials"},
		{"in a browser without a session", false, "/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ada := newTab(t, tabOptions{})
			account, token := newSandboxAccount(t)
			sid := sendSMS(t, account, token, "Ada's own message")
			mallory := newHTTPPlayer(t)
			if tt.ownFirst {
				ada.open("/objectives/send-sms") // a first action: Ada is a player
			}
			ada.plantOnly(evil.page("/fix-"+fileName(tt.name), attackPage{plant: []*http.Cookie{{
				Name: "questgate_session", Value: mallory.session(), Path: tt.path, HttpOnly: true,
			}}}))
			if tt.ownFirst {
				ada.expectHTTPError("/credentials")
				if status := ada.open("/credentials"); status != http.StatusBadRequest {
					t.Fatalf("the credentials page with two session cookies: %d, want 400", status)
				}
				if got, want := ada.text("read the refusal", testID("error-title")), ada.tr("error.duplicate_cookie.title"); got != want {
					t.Errorf("the refusal says %q, want %q", got, want)
				}
				ada.shoot("duplicate-session-cookie-refused")
			}
			// Ada reloads (the refusal expired the planted cookie) and
			// saves her credentials.
			ada.open("/credentials")
			ada.saveCredentials(account, token)

			if body := mallory.get(t, "/credentials"); strings.Contains(body, account) {
				t.Error("Mallory's credentials page shows Ada's account")
			}
			if reason := mallory.hack(t, sid); reason == "awarded" {
				t.Error("Mallory HACKed Ada's SID and was awarded")
			}
			ada.openObjective("send-sms")
			res := ada.hack("paste the SID and press HACK", ada.pasteSID(sid), click(ada.hackButton()))
			ada.wantResult("Ada's HACK", res, "success", "awarded")
		})
	}
}

// saveCredentials fills in the credentials form the tab shows and saves
// it, as a player pastes their Account SID and Auth Token.
func (p *tab) saveCredentials(account, token string) {
	p.t.Helper()
	sidField, secretField := byLabel(p.tr("credentials.field.account_sid")), byLabel(p.tr("credentials.field.secret"))
	p.do("paste the Account SID", chromedp.Focus(sidField, chromedp.NodeVisible), selectAll(), paste(sidField, account))
	p.do("paste the Auth Token", chromedp.Focus(secretField, chromedp.NodeVisible), selectAll(), paste(secretField, token))
	p.follow("press "+p.tr("credentials.save"), click(testID("save")))
	if got, want := p.text("read the notice", testID("notice")), p.tr("credentials.saved"); got != want {
		p.t.Fatalf("after saving the credentials the page says %q, want %q", got, want)
	}
}

// newSandboxAccount creates an account in questgate's sandbox, as a script
// does, to stand for a player's own Twilio account.
func newSandboxAccount(t *testing.T) (account, token string) {
	t.Helper()
	if suite.skip != "" {
		t.Skip(suite.skip)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, suite.srv.URL+"/sandbox/accounts", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("create a sandbox account: %v", err)
	}
	defer resp.Body.Close()
	var a struct {
		SID   string `json:"account_sid"`
		Token string `json:"auth_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != http.StatusCreated || a.SID == "" {
		t.Fatalf("create a sandbox account: %s (%v)", resp.Status, err)
	}
	return a.SID, a.Token
}

// httpPlayer is Mallory: a player driving questgate with a script, whose
// session cookie she can read and plant elsewhere.
type httpPlayer struct {
	client *http.Client
}

func newHTTPPlayer(t *testing.T) *httpPlayer {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &httpPlayer{client: &http.Client{Jar: jar}}
	m.get(t, "/objectives/send-sms") // a first action: Mallory is a player
	if m.session() == "" {
		t.Fatal("opening an objective gave Mallory no session cookie")
	}
	return m
}

// session is the session token Mallory's cookie holds.
func (m *httpPlayer) session() string {
	u, _ := url.Parse(suite.srv.URL)
	for _, c := range m.client.Jar.Cookies(u) {
		if c.Name == "questgate_session" {
			return c.Value
		}
	}
	return ""
}

// get returns the body of the page at path.
func (m *httpPlayer) get(t *testing.T, path string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, suite.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := m.client.Do(req)
	if err != nil {
		t.Fatalf("Mallory's GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	csrfMeta     = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)"`)
	resultReason = regexp.MustCompile(`data-testid="result-reason" data-reason="([a-z_]+)"`)
)

// hack presses HACK with sid on the send-sms objective, as the page's
// form does, and returns the reason the answer shows.
func (m *httpPlayer) hack(t *testing.T, sid string) string {
	t.Helper()
	page := m.get(t, "/objectives/send-sms")
	tok := csrfMeta.FindStringSubmatch(page)
	if tok == nil || tok[1] == "" {
		t.Fatal("Mallory's objective page has no CSRF token")
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, suite.srv.URL+"/objectives/send-sms/hack",
		strings.NewReader(url.Values{"sid": {sid}, "_csrf": {tok[1]}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := m.client.Do(req)
	if err != nil {
		t.Fatalf("Mallory's HACK: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := resultReason.FindSubmatch(b)
	if r == nil {
		t.Fatalf("Mallory's HACK answered %s without a result", resp.Status)
	}
	return string(r[1])
}
