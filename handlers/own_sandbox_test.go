package handlers_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/verifier"
)

// rows counts the rows of table in the env's database file, read as a
// second program would.
func (e *env) rows(table string) int {
	e.t.Helper()
	db, err := sql.Open("sqlite", "file:"+e.dbPath+"?mode=ro")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// stranger is a browser of its own, without cookies yet.
func (e *env) stranger() *http.Client {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestAnonymousVisitsCreateNothing: reading pages makes no player and no
// session row, however many cookieless visitors come; opening an
// objective, the first action, makes one player and one session.
func TestAnonymousVisitsCreateNothing(t *testing.T) {
	e := newEnv(t, options{sandbox: true})
	c := newCohort(t, e, "Lyon")
	paths := []string{"/", "/credentials", "/profile", "/lang/fr?next=/", "/static/css/app.css",
		"/join/" + c.JoinCode, "/submissions/1", "/objectives/nope"}
	for range 10 {
		for _, path := range paths {
			p := e.get(path)
			if p.status >= 500 {
				t.Fatalf("%s: status %d", path, p.status)
			}
			if sessionCookie(p) != nil {
				t.Errorf("%s set a session cookie", path)
			}
			e.client.Jar, _ = cookiejar.New(nil) // cookieless again
		}
	}
	if players, sessions := e.rows("players"), e.rows("sessions"); players != 0 || sessions != 0 {
		t.Fatalf("%d anonymous visits left %d players and %d sessions, want none", 10*len(paths), players, sessions)
	}

	if p := e.get(firstAction); p.status != http.StatusOK || sessionCookie(p) == nil {
		t.Fatalf("opening an objective: status %d, session cookie %v", p.status, sessionCookie(p))
	}
	e.get("/")
	e.get(firstAction)
	if players, sessions := e.rows("players"), e.rows("sessions"); players != 1 || sessions != 1 {
		t.Errorf("one player opening objectives: %d players and %d sessions, want 1 and 1", players, sessions)
	}
}

// TestAnonymousHomePage: the home page shows an anonymous visitor the
// objectives, and what opening one gives them, without any account.
func TestAnonymousHomePage(t *testing.T) {
	for _, tt := range []struct {
		sandbox bool
		want    string
	}{{true, "sandbox-pending"}, {false, "none"}} {
		e := newEnv(t, options{sandbox: tt.sandbox})
		p := e.get("/")
		if p.status != http.StatusOK || p.find("objective").Length() == 0 {
			t.Fatalf("status %d, %d objectives", p.status, p.find("objective").Length())
		}
		if got := p.attr("account-notice", "data-account"); got != tt.want {
			t.Errorf("sandbox %v: notice %q, want %q", tt.sandbox, got, tt.want)
		}
		if strings.Contains(p.body, "/sandbox/2010-04-01/Accounts/") {
			t.Error("an anonymous page shows an account")
		}
	}
}

// TestEachPlayerHasTheirOwnSandboxAccount: with the sandbox on, a player
// without credentials gets a sandbox account of their own when they open
// an objective or HACK; only their own pages show it, never cached; no
// one else's HACK is checked in it.
func TestEachPlayerHasTheirOwnSandboxAccount(t *testing.T) {
	e := newEnv(t, options{sandbox: true})
	var checkedIn []string
	e.sandbox.verify = func(ctx context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		checkedIn = append(checkedIn, req.Credentials.AccountSID)
		return passing("mine")(ctx, req)
	}

	// Ada opens an objective: her account is made, and her examples use it.
	ada := e.get(firstAction)
	adaCreds := e.storedCredentials()
	if adaCreds == nil || !adaCreds.Sandbox {
		t.Fatalf("Ada's credentials after opening an objective: %v", adaCreds)
	}
	code := ada.find("example-curl").Text()
	if !strings.Contains(code, adaCreds.AccountSID+":"+adaCreds.Secret) {
		t.Errorf("Ada's curl example does not use her account:\n%s", code)
	}
	if cc := ada.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on a page showing a token", cc)
	}
	if got := ada.attr("account-notice", "data-account"); got != "sandbox" {
		t.Errorf("notice %q, want sandbox", got)
	}
	if again := e.get(firstAction); !strings.Contains(again.find("example-curl").Text(), adaCreds.Secret) || len(e.accts.accounts) != 1 {
		t.Errorf("a second visit made another account (%d)", len(e.accts.accounts))
	}

	// Bob's first action is a HACK: his own account is made and used.
	adaClient, adaCSRF := e.client, e.csrf
	e.client, e.csrf = e.stranger(), ""
	p := e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}})
	if got := p.attr("result-reason", "data-reason"); got != string(quest.Awarded) {
		t.Fatalf("Bob's HACK: %d %q", p.status, got)
	}
	bobCreds := e.storedCredentials()
	if bobCreds == nil || !bobCreds.Sandbox || bobCreds.AccountSID == adaCreds.AccountSID {
		t.Fatalf("Bob's credentials %v, Ada's %v", bobCreds, adaCreds)
	}
	if len(checkedIn) != 1 || checkedIn[0] != bobCreds.AccountSID {
		t.Errorf("Bob's HACK checked in %v, want his account %s", checkedIn, bobCreds.AccountSID)
	}
	for _, path := range []string{"/", firstAction, "/credentials"} {
		if body := e.get(path).body; strings.Contains(body, adaCreds.Secret) || strings.Contains(body, adaCreds.AccountSID) {
			t.Errorf("Bob's %s shows Ada's account", path)
		}
	}

	// A visitor without a session sees no one's account anywhere.
	e.client, e.csrf = e.stranger(), ""
	for _, path := range []string{"/", "/credentials", "/profile"} {
		body := e.get(path).body
		for _, c := range []*quest.Credentials{adaCreds, bobCreds} {
			if strings.Contains(body, c.Secret) || strings.Contains(body, c.AccountSID) {
				t.Errorf("an anonymous %s shows an account", path)
			}
		}
	}
	e.client, e.csrf = adaClient, adaCSRF
}

// TestNoSharedAccountForGamePlayers: with the sandbox on, a game's player
// without credentials is told no_credentials, by the API (422) and by the
// widget, as docs/games.md says: nothing is checked in any other account, and
// no account is made for them. They are told that the game must send their
// credentials, not to open a settings page they do not have.
func TestNoSharedAccountForGamePlayers(t *testing.T) {
	real, err := verifier.New(verifier.Options{BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, options{sandbox: true, twilio: real})
	key, k := e.newKey()
	full, err := e.store.APIKeyByID(t.Context(), k.ID)
	if err != nil {
		t.Fatal(err)
	}
	// e.sandbox.verify stays nil: a call to it fails the test.

	r := e.api("POST", "/api/v1/verifications", key,
		`{"objective": "send-sms", "sid": "`+testMessageSID+`", "player": {"id": "newcomer"}}`)
	if r.status != http.StatusUnprocessableEntity || r.body["reason"] != string(quest.NoCredentials) {
		t.Errorf("API: %d %s, want 422 no_credentials", r.status, r.raw)
	}
	gameHelp := map[string]bool{e.msg("en", "reason.no_credentials.detail.game"): true, e.msg("fr", "reason.no_credentials.detail.game"): true}
	if got := r.str("detail"); !gameHelp[got] {
		t.Errorf("API detail %q, want the game's help", got)
	}

	tok := e.widgetToken(full, full.SigningSecret, time.Hour)
	form := url.Values{"sid": {testMessageSID}, "token": {tok}}
	p := e.postNoCSRF("/embed/objectives/send-sms/hack", form.Encode())
	if got := p.attr("result-reason", "data-reason"); got != string(quest.NoCredentials) {
		t.Errorf("widget: %d %q, want no_credentials", p.status, got)
	}
	if got := p.text("result-help"); !gameHelp[got] {
		t.Errorf("widget help %q, want the game's help", got)
	}
	if n := len(e.accts.accounts); n != 0 {
		t.Errorf("%d sandbox accounts made for game players", n)
	}
}
