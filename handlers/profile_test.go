package handlers_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/quest"
)

// sessionCookie returns the Set-Cookie of the session in a response,
// named with or without handlers.HostPrefix.
func sessionCookie(p page) *http.Cookie {
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == handlers.SessionCookie || c.Name == handlers.HostPrefix+handlers.SessionCookie {
			return c
		}
	}
	return nil
}

func TestSessionCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		e := newEnv(t, options{secureCookie: secure})
		p := e.get(firstAction)
		c := sessionCookie(p)
		if c == nil {
			t.Fatal("no session cookie on a first action")
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.Secure != secure {
			t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/, no Domain, Secure=%v", c, secure)
		}
		if prefixed := strings.HasPrefix(c.Name, handlers.HostPrefix); prefixed != secure {
			t.Errorf("cookie named %s: want the %s prefix when Secure, only then", c.Name, handlers.HostPrefix)
		}
		if c.MaxAge < int((29 * 24 * time.Hour).Seconds()) {
			t.Errorf("cookie lives %ds, want about 30 days", c.MaxAge)
		}
		id := e.playerID()
		if strings.Contains(c.Value, id) {
			t.Error("the cookie carries the player id")
		}
		// The store keeps a hash of the token, never the token.
		all, err := e.store.SessionStore(0).All()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := all[c.Value]; ok || len(all) != 1 {
			t.Errorf("the store holds the raw token (or %d sessions)", len(all))
		}
		e.get("/credentials")
		if again := e.playerID(); again != id {
			t.Errorf("second visit is player %s, want %s", again, id)
		}
	}
}

func TestUnknownURLsCreateNoPlayer(t *testing.T) {
	e := newEnv(t, options{})
	for _, path := range []string{"/wp-login.php", "/objectives/nope/extra", "/.env"} {
		p := e.get(path)
		if p.status != http.StatusNotFound {
			t.Errorf("%s: status %d", path, p.status)
		}
		if sessionCookie(p) != nil {
			t.Errorf("%s set a session cookie", path)
		}
	}
	all, err := e.store.SessionStore(0).All()
	if err != nil || len(all) != 0 {
		t.Errorf("sessions after probes: %d, %v", len(all), err)
	}
}

// TestPlayersSeeOnlyTheirOwn: Bob, in his own browser, reaches nothing of
// Ada's by id, by page, or by forging a cookie with her player id.
func TestPlayersSeeOnlyTheirOwn(t *testing.T) {
	e := newEnv(t, options{})
	e.twilio.check = func(context.Context, quest.Credentials) error { return nil }
	e.twilio.verify = passing("Ada's secret plans")
	ada := e.client
	e.post("/credentials", url.Values{"account_sid": {testAccountSID}, "secret": {testSecret}})
	e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}})
	adaID := e.playerID()
	subs, err := e.store.RecentSubmissions(context.Background(), adaID, "send-sms", 1)
	if err != nil || len(subs) != 1 {
		t.Fatalf("Ada's submissions: %v %v", subs, err)
	}
	adaSub := "/submissions/" + itoa(subs[0].ID)
	if p := e.get(adaSub); p.status != http.StatusOK || !strings.Contains(p.text("message-body"), "Ada's secret plans") {
		t.Fatalf("Ada cannot see her own attempt: %d", p.status)
	}

	jar, _ := cookiejar.New(nil)
	bob := &http.Client{Jar: jar, CheckRedirect: ada.CheckRedirect}
	e.client = bob
	if p := e.get(adaSub); p.status != http.StatusNotFound || strings.Contains(p.body, "Ada's secret plans") {
		t.Errorf("Bob reads Ada's attempt: %d", p.status)
	}
	if p := e.get("/submissions/99999"); p.status != http.StatusNotFound {
		t.Errorf("a missing attempt: %d", p.status)
	}
	if p := e.get("/credentials"); p.find("saved-none").Length() != 1 || strings.Contains(p.body, testAccountSID) {
		t.Error("Bob sees Ada's credentials")
	}
	if p := e.get("/"); p.attr("objective", "data-state") != "new" {
		t.Error("Bob sees Ada's progress")
	}
	if p := e.get("/objectives/send-sms"); p.find("attempts").Length() != 0 {
		t.Error("Bob sees Ada's attempts")
	}
	e.post("/credentials/delete", nil)
	if c, err := e.store.Credentials(context.Background(), adaID); err != nil || c.AccountSID != testAccountSID {
		t.Errorf("Bob's delete removed Ada's credentials: %v", err)
	}

	// A cookie forged with Ada's player id is just an unknown session.
	forged, _ := cookiejar.New(nil)
	u, _ := url.Parse(e.srv.URL)
	forged.SetCookies(u, []*http.Cookie{{Name: handlers.SessionCookie, Value: adaID}, {Name: "questgate_player", Value: adaID}})
	e.client = &http.Client{Jar: forged, CheckRedirect: ada.CheckRedirect}
	if p := e.get(adaSub); p.status != http.StatusNotFound {
		t.Errorf("a forged cookie reads Ada's attempt: %d", p.status)
	}
	if id := e.playerID(); id == adaID {
		t.Error("a forged cookie became Ada")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestDisplayName(t *testing.T) {
	tests := []struct {
		name    string
		typed   string
		status  int
		errorID string
		want    string // the name afterwards
	}{
		{"plain", "  Ada  ", http.StatusSeeOther, "", "Ada"},
		{"SQL", `Robert'); DROP TABLE players;--`, http.StatusSeeOther, "", `Robert'); DROP TABLE players;--`},
		{"empty", "   ", http.StatusUnprocessableEntity, "profile.error.display_name.required", ""},
		{"too long", strings.Repeat("x", 41), http.StatusUnprocessableEntity, "profile.error.display_name.too_long", ""},
		{"control", "Ada\r\nSet-Cookie: x", http.StatusUnprocessableEntity, "profile.error.display_name.control", ""},
		{"zero-width only", "\u200B\u200C\u2060", http.StatusUnprocessableEntity, "profile.error.display_name.invisible", ""},
		{"Hangul filler", "\u3164", http.StatusUnprocessableEntity, "profile.error.display_name.invisible", ""},
		{"combining mark alone", "\u0301", http.StatusUnprocessableEntity, "profile.error.display_name.invisible", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, options{})
			p := e.post("/profile", url.Values{"display_name": {tt.typed}}, accept("fr")...)
			if p.status != tt.status {
				t.Fatalf("status %d, want %d", p.status, tt.status)
			}
			if tt.errorID != "" {
				if got, want := p.text("error-display_name"), e.msg("fr", tt.errorID); got != want {
					t.Errorf("error %q, want %q", got, want)
				}
				// HTML parsing turns CR LF into LF, as browsers do.
				if got, _ := p.doc.Find("#display_name").Attr("value"); got != strings.ReplaceAll(tt.typed, "\r\n", "\n") {
					t.Errorf("the field lost what was typed: %q", got)
				}
			} else if loc := p.header.Get("Location"); loc != "/profile?done=saved" {
				t.Errorf("redirect to %q", loc)
			}
			pl, err := e.store.Player(context.Background(), e.playerID())
			if err != nil || pl.DisplayName != tt.want {
				t.Errorf("stored name %q, want %q (%v)", pl.DisplayName, tt.want, err)
			}
			if tt.want != "" {
				p := e.get("/profile?done=saved", accept("fr")...)
				if got, _ := p.doc.Find("#display_name").Attr("value"); got != tt.want {
					t.Errorf("profile shows %q", got)
				}
				if got, want := p.text("nav-profile"), e.msg("fr", "layout.playing_as", map[string]any{"Name": tt.want}); got != want {
					t.Errorf("nav shows %q, want %q", got, want)
				}
				if got, want := p.text("notice"), e.msg("fr", "profile.saved"); got != want {
					t.Errorf("notice %q, want %q", got, want)
				}
			}
		})
	}
	e := newEnv(t, options{})
	if p := e.postRaw("/profile", "other=1"); p.status != http.StatusUnprocessableEntity || p.text("error-display_name") != e.msg("en", "form.missing") {
		t.Errorf("a form without the field: %d %q", p.status, p.text("error-display_name"))
	}
}

func newCohort(t *testing.T, e *env, name string) quest.Cohort {
	t.Helper()
	c, err := quest.NewPlayers(e.store).CreateCohort(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestJoinCohort(t *testing.T) {
	e := newEnv(t, options{})
	c := newCohort(t, e, "Paris, November")
	joinPath := "/join/" + strings.ToLower(c.JoinCode)

	p := e.get(joinPath, accept("fr")...)
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	if got, want := p.text("join-cohort"), e.msg("fr", "join.invited", map[string]any{"Name": c.Name}); got != want {
		t.Errorf("page says %q, want %q", got, want)
	}
	if p.doc.Find("#display_name").Length() != 1 {
		t.Error("a player without a name is not asked for one")
	}
	e.playerID() // a player already, with a session to renew
	before := sessionCookieValue(t, e)

	// No name: refused, nothing changes.
	p = e.post("/join/"+c.JoinCode, url.Values{"display_name": {""}}, accept("fr")...)
	if p.status != http.StatusUnprocessableEntity || p.text("error-display_name") != e.msg("fr", "profile.error.display_name.required") {
		t.Fatalf("join without a name: %d %q", p.status, p.text("error-display_name"))
	}
	if pl, _ := e.store.Player(context.Background(), e.playerID()); pl.CohortID != 0 {
		t.Error("a refused join joined")
	}

	p = e.post("/join/"+c.JoinCode, url.Values{"display_name": {"Ada"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/profile?done=joined" {
		t.Fatalf("join: %d to %q", p.status, p.header.Get("Location"))
	}
	if after := sessionCookieValue(t, e); after == before {
		t.Error("joining did not renew the session token")
	}
	pl, err := e.store.Player(context.Background(), e.playerID())
	if err != nil || pl.CohortID != c.ID || pl.DisplayName != "Ada" {
		t.Errorf("player after join: %+v %v", pl, err)
	}
	p = e.get("/profile?done=joined")
	if got, want := p.text("notice"), e.msg("en", "profile.joined", map[string]any{"Name": c.Name}); got != want {
		t.Errorf("notice %q, want %q", got, want)
	}
	if got, want := p.text("cohort-name"), e.msg("en", "profile.in_cohort", map[string]any{"Name": c.Name}); got != want {
		t.Errorf("cohort %q, want %q", got, want)
	}
	if p := e.get(joinPath); p.find("join-already").Length() != 1 || p.find("join-form").Length() != 0 {
		t.Error("the join page does not say the player is already in")
	}

	// Another cohort: the page says the player moves, and asks no name.
	other := newCohort(t, e, "Lyon")
	p = e.get("/join/" + other.JoinCode)
	if p.find("join-moving").Length() != 1 || p.doc.Find("#display_name").Length() != 0 {
		t.Error("moving to another cohort is not explained, or a name is asked again")
	}
}

func sessionCookieValue(t *testing.T, e *env) string {
	t.Helper()
	u, _ := url.Parse(e.srv.URL)
	for _, c := range e.client.Jar.Cookies(u) {
		if c.Name == handlers.SessionCookie {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func TestJoinLinksThatDoNotWork(t *testing.T) {
	e := newEnv(t, options{})
	archived := newCohort(t, e, "Old <workshop>")
	if err := e.store.SetArchived(context.Background(), archived.ID, true); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, code, problem string
		status              int
	}{
		{"unknown", "ZZZZ2222", "unknown", http.StatusNotFound},
		{"malformed", "%3Cscript%3E", "unknown", http.StatusNotFound},
		{"archived", archived.JoinCode, "archived", http.StatusGone},
	}
	for _, tt := range tests {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			t.Run(tt.name+" "+method, func(t *testing.T) {
				var p page
				if method == http.MethodGet {
					p = e.get("/join/"+tt.code, accept("fr")...)
				} else {
					p = e.post("/join/"+tt.code, url.Values{"display_name": {"Eve"}}, accept("fr")...)
				}
				if p.status != tt.status || p.attr("join-error", "data-problem") != tt.problem {
					t.Fatalf("status %d problem %q", p.status, p.attr("join-error", "data-problem"))
				}
				if got, want := p.text("error-title"), e.msg("fr", "join."+tt.problem+".title"); got != want {
					t.Errorf("title %q, want %q", got, want)
				}
				if got, want := p.text("error-help"), e.msg("fr", "join."+tt.problem+".help", map[string]any{"Name": archived.Name}); tt.problem == "archived" && got != want {
					t.Errorf("help %q, want %q", got, want)
				}
				if pl, _ := e.store.Player(context.Background(), e.playerID()); pl.CohortID != 0 || pl.DisplayName != "" {
					t.Errorf("a refused join changed the player: %+v", pl)
				}
			})
		}
	}
}
