package handlers_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
)

// The attacks of issue 13's red team on the CSRF check and the session
// cookie, each made as a page of a sibling origin makes it: another port
// of the same host, or a sibling subdomain, is the same site, so the
// browser sends questgate's SameSite=Lax cookies with its forms (and
// Sec-Fetch-Site: same-site), and the page may plant cookies for the host.

// sameSite is what a browser adds to a form sent from a sibling origin.
var sameSite = []string{"Sec-Fetch-Site", "same-site"}

// plant puts a cookie in the test's browser as a sibling origin's
// Set-Cookie would: host-only, on path.
func (e *env) plant(name, value, path string) {
	e.t.Helper()
	u, err := url.Parse(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.client.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: path}})
}

// sessionToken is the session cookie the browser of e holds.
func (e *env) sessionToken() string {
	e.t.Helper()
	u, _ := url.Parse(e.srv.URL)
	for _, c := range e.client.Jar.Cookies(u) {
		if c.Name == e.sessions.CookieName() {
			return c.Value
		}
	}
	e.t.Fatal("the browser holds no session cookie")
	return ""
}

// TestPlantedCSRFCookieForgesNothing is the red team's CSRF: a sibling
// origin plants questgate_csrf=evil on the form's path and posts
// _csrf=evil, which the double-submit check took (303). The token is the
// session's now, and no cookie forges it: the player's name and the
// instructor's cohorts stay as they were.
func TestPlantedCSRFCookieForgesNothing(t *testing.T) {
	tests := []struct {
		name   string
		attack func(t *testing.T) (p page, changed func() bool)
	}{
		{"a player's display name", func(t *testing.T) (page, func() bool) {
			e := newEnv(t, options{})
			id := e.playerID()
			e.plant("questgate_csrf", "evil", "/profile")
			p := e.postNoCSRF("/profile", url.Values{"_csrf": {"evil"}, "display_name": {"pwned"}}.Encode(),
				append(sameSite, accept("fr")...)...)
			return p, func() bool {
				pl, err := e.store.Player(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				return pl.DisplayName != ""
			}
		}},
		{"an instructor's cohorts", func(t *testing.T) (page, func() bool) {
			e := newInstructorEnv(t, instructorOptions{})
			e.signIn()
			e.plant("questgate_csrf", "evil", "/instructor/cohorts")
			p := e.postNoCSRF("/instructor/cohorts", url.Values{"_csrf": {"evil"}, "name": {"pwned"}}.Encode(),
				append(sameSite, accept("fr")...)...)
			return p, func() bool {
				cs, err := e.store.ListCohorts(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return len(cs) != 0
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, changed := tt.attack(t)
			if p.status != http.StatusForbidden {
				t.Fatalf("the forged form got %d, want 403", p.status)
			}
			if got, want := p.text("error-title"), mustMsg(t, "fr", "error.csrf.title"); got != want {
				t.Errorf("the refusal says %q, want %q", got, want)
			}
			if changed() {
				t.Error("the forged form changed something")
			}
		})
	}
}

// mustMsg is a message of the locale bundle, failing when it is missing.
func mustMsg(t *testing.T, lang, id string) string {
	t.Helper()
	b, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	l := b.Localizer(lang)
	if !l.Has(id) {
		t.Fatalf("no message %q in %s", id, lang)
	}
	return l.T(id)
}

// TestCSRFTokenBelongsToTheSession: a page's token works for its own
// session only, and a renewal (saving credentials, joining a cohort,
// signing in) replaces it, so whoever knew the session before (having
// fixed it) cannot forge a form after.
func TestCSRFTokenBelongsToTheSession(t *testing.T) {
	tests := []struct {
		name  string
		renew func(t *testing.T, e *ienv)
	}{
		{"saving credentials", func(t *testing.T, e *ienv) {
			e.twilio.check = func(context.Context, quest.Credentials) error { return nil }
			if p := e.post("/credentials", url.Values{"account_sid": {testAccountSID}, "secret": {testSecret}}); p.status != http.StatusSeeOther {
				t.Fatalf("save credentials: %d\n%.300s", p.status, p.body)
			}
		}},
		{"joining a cohort", func(t *testing.T, e *ienv) {
			c := e.cohortIn("Hamburg workshop")
			if p := e.post("/join/"+c.JoinCode, url.Values{"display_name": {"Ada"}}); p.status != http.StatusSeeOther {
				t.Fatalf("join: %d\n%.300s", p.status, p.body)
			}
		}},
		{"an instructor signing in", func(_ *testing.T, e *ienv) { e.signIn() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newInstructorEnv(t, instructorOptions{})
			e.tokenPage = "/objectives/send-sms" // a page that starts a session
			before, session := e.token(), e.sessionToken()
			if other := e.as(newBrowser(t)); other.token() == before {
				t.Fatal("two browsers got the same token")
			}
			tt.renew(t, e)
			if e.sessionToken() == session {
				t.Error("the session token was not renewed")
			}
			p := e.postNoCSRF("/profile", url.Values{"_csrf": {before}, "display_name": {"Mallory"}}.Encode(), sameSite...)
			if p.status != http.StatusForbidden {
				t.Errorf("the token from before the renewal: %d, want 403", p.status)
			}
			if p := e.post("/profile", url.Values{"display_name": {"Grace"}}, sameSite...); p.status != http.StatusSeeOther {
				t.Errorf("the new page's token: %d, want 303\n%.300s", p.status, p.body)
			}
		})
	}
}

// TestSessionFixationCapturesNothing is the red team's session fixation:
// Mallory, a player, plants her own session cookie in Ada's browser from a
// sibling origin, waits for Ada to save her real credentials into
// Mallory's player, then HACKs Ada's SID with them and is awarded. Now a
// browser sending two session cookies is refused with a page saying why,
// and one that only holds Mallory's (Ada had none) gets a new session
// token on saving, so Mallory's goes nowhere.
func TestSessionFixationCapturesNothing(t *testing.T) {
	tests := []struct {
		name string
		// adaHasSession: Ada visited before, so the browser sends her
		// cookie and the planted one; else only the planted one.
		adaHasSession bool
		plantPath     string
	}{
		{"beside Ada's own session, on the form's path", true, "/credentials"},
		{"in a browser without a session", false, "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, options{})
			e.twilio.check = func(context.Context, quest.Credentials) error { return nil }
			// Twilio passes Ada's SID for Ada's account only.
			e.twilio.verify = func(ctx context.Context, req quest.CheckRequest) (quest.Verdict, error) {
				if req.Credentials.AccountSID != testAccountSID {
					return rejecting(quest.NoCredentials)(ctx, req)
				}
				return passing("Ada's message")(ctx, req)
			}
			mallory := e.browser()
			malloryID := mallory.playerID()
			ada := e
			var adaID string
			if tt.adaHasSession {
				adaID = ada.playerID()
			}
			ada.plant(e.sessions.CookieName(), mallory.sessionToken(), tt.plantPath)

			page := ada.get("/credentials", accept("fr")...)
			if tt.adaHasSession {
				ada.checkErrorPage(page, http.StatusBadRequest, "fr", "error.duplicate_cookie")
				// The answer expires the planted cookie, and only it.
				var expired []string
				for _, c := range (&http.Response{Header: page.header}).Cookies() {
					if c.Name == e.sessions.CookieName() && c.MaxAge < 0 {
						expired = append(expired, c.Path)
					}
				}
				if !strings.Contains(strings.Join(expired, " "), "/credentials") || strings.Contains(" "+strings.Join(expired, " ")+" ", " / ") {
					t.Errorf("the refusal expires the session cookie on %q, want /credentials and never /", expired)
				}
				ada.plant(e.sessions.CookieName(), mallory.sessionToken(), tt.plantPath)
				if p := ada.post("/credentials", url.Values{"account_sid": {testAccountSID}, "secret": {testSecret}}); p.status != http.StatusBadRequest {
					t.Errorf("saving with two session cookies and a token: %d, want 400", p.status)
				}
			} else {
				if page.status != http.StatusOK {
					t.Fatalf("the credentials page: %d", page.status)
				}
				if p := ada.post("/credentials", url.Values{"account_sid": {testAccountSID}, "secret": {testSecret}}); p.status != http.StatusSeeOther {
					t.Fatalf("Ada saves her credentials: %d\n%.300s", p.status, p.body)
				}
				if ada.sessionToken() == mallory.sessionToken() {
					t.Error("saving credentials kept the planted session token")
				}
			}

			// Mallory, with the token she planted, holds no credentials
			// and cannot win with Ada's SID: either nothing was saved in
			// her player, or it is Ada's now, under a token only Ada's
			// browser holds.
			if id, err := e.sessions.PlayerIDOf(context.Background(), mallory.sessionToken()); err != nil || id == malloryID && !tt.adaHasSession {
				t.Errorf("Mallory's planted token still names the player Ada saved her credentials in (%v)", err)
			}
			if c, err := e.store.Credentials(context.Background(), malloryID); tt.adaHasSession && !errors.Is(err, quest.ErrNotFound) {
				t.Errorf("Mallory's player holds credentials %q (%v)", c.AccountSID, err)
			}
			p := mallory.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}})
			if got := p.attr("result-reason", "data-reason"); got == string(quest.Awarded) {
				t.Error("Mallory HACKed Ada's SID and was awarded")
			}
			if p := mallory.get("/credentials"); strings.Contains(p.body, testAccountSID) {
				t.Error("Mallory's credentials page shows Ada's Account SID")
			}
			if tt.adaHasSession {
				if c, err := e.store.Credentials(context.Background(), adaID); !errors.Is(err, quest.ErrNotFound) {
					t.Errorf("Ada's player got credentials %q though nothing was saved (%v)", c.AccountSID, err)
				}
			}
		})
	}
}

// TestDuplicateCookiesRefused: a request carrying two cookies of one of
// questgate's names, whatever its method, is refused with a page in the
// browser's language (the duplicated language cookie counts for nothing)
// saying what happened; nothing is done. Routes that read no cookie
// (static files here) are served.
func TestDuplicateCookiesRefused(t *testing.T) {
	tests := []struct {
		name, cookie, path string
		post               bool
	}{
		{"session, page", handlers.SessionCookie, "/profile", false},
		{"session, form", handlers.SessionCookie, "/profile", true},
		{"language, page", "questgate_lang", "/profile", false},
		{"language, form", "questgate_lang", "/profile", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, options{})
			id := e.playerID()
			e.token()
			if tt.cookie == "questgate_lang" {
				e.plant("questgate_lang", "en", "/")
			}
			e.plant(tt.cookie, "planted", tt.path)
			var p page
			if tt.post {
				p = e.post(tt.path, url.Values{"display_name": {"Mallory"}}, accept("fr")...)
			} else {
				p = e.get(tt.path, accept("fr")...)
			}
			e.checkErrorPage(p, http.StatusBadRequest, "fr", "error.duplicate_cookie")
			if pl, err := e.store.Player(context.Background(), id); err != nil || pl.DisplayName != "" {
				t.Errorf("the player's name is %q (%v), want it unchanged", pl.DisplayName, err)
			}
			if s := e.get("/static/css/app.css"); s.status != http.StatusOK {
				t.Errorf("a static file with the cookies: %d", s.status)
			}
			// The refusal expired the planted cookie: a reload works.
			if p := e.get(tt.path); p.status != http.StatusOK {
				t.Errorf("the reload: %d, want 200", p.status)
			}
		})
	}
}

// TestEveryFormRouteChecksTheToken posts without a token, as a sibling
// origin can, to every route of the player pages and the dashboard that
// changes something, the exempt prefixes excepted: each is refused.
func TestEveryFormRouteChecksTheToken(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	e.signIn()
	exempt := []string{"/api/", "/embed/", "/sandbox/"}
	checked := 0
	for _, r := range e.ech.Routes() {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == echo.RouteNotFound ||
			strings.HasPrefix(r.Path, "/test/") || strings.HasPrefix(r.Path, "/*") {
			continue
		}
		if slicesHasPrefix(r.Path, exempt) {
			continue
		}
		path := routeParam.ReplaceAllString(r.Path, "1")
		req, err := http.NewRequest(r.Method, e.srv.URL+path, strings.NewReader("_csrf=forged&name=x"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		setHeaders(req, sameSite)
		p := e.do(req)
		if p.status != http.StatusForbidden || p.text("error-title") != e.msg("en", "error.csrf.title") {
			t.Errorf("%s %s without a valid token: %d %q, want 403 and the CSRF refusal", r.Method, r.Path, p.status, p.text("error-title"))
		}
		checked++
	}
	if checked < 12 {
		t.Errorf("only %d routes checked: the route list is not what the test thinks", checked)
	}
}

// routeParam is a parameter in a route's path (":id").
var routeParam = regexp.MustCompile(`:[a-z_]+`)

func slicesHasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// TestHTTPSPublicURL is questgate behind a proxy that terminates TLS: it
// sees plain HTTP, but its public URL is https. Every response carries
// HSTS, and every cookie it sets (the session on a first visit, the
// language, an instructor's renewed session) is Secure, host-only, on
// Path=/, with a __Host- name no sibling origin can plant. With an http
// public URL, no HSTS.
func TestHTTPSPublicURL(t *testing.T) {
	for _, https := range []bool{true, false} {
		name := map[bool]string{true: "https", false: "http"}[https]
		t.Run(name, func(t *testing.T) {
			e := newInstructorEnvWith(t, options{secureCookie: https, publicURL: name + "://questgate.example"})
			var cookies []*http.Cookie
			keep := func(p page) page {
				if got := p.header.Get("Strict-Transport-Security") != ""; got != https {
					t.Errorf("HSTS %q on a %d", p.header.Get("Strict-Transport-Security"), p.status)
				}
				cookies = append(cookies, (&http.Response{Header: p.header}).Cookies()...)
				return p
			}
			keep(e.get("/"))
			keep(e.get("/lang/fr?next=/"))
			keep(e.get("/nope"))
			e.tokenPage = "/instructor/login"
			keep(e.post("/instructor/login", url.Values{"email": {instructorEmail}, "password": {instructorPassword}}))
			keep(e.post("/instructor/logout", nil))
			names := map[string]bool{}
			for _, c := range cookies {
				names[c.Name] = true
				if https && (!c.Secure || !strings.HasPrefix(c.Name, handlers.HostPrefix) || c.Path != "/" || c.Domain != "" || !c.HttpOnly) {
					t.Errorf("cookie %s (Secure %v, Path %q, Domain %q, HttpOnly %v): want Secure, __Host-, Path=/, no Domain, HttpOnly",
						c.Name, c.Secure, c.Path, c.Domain, c.HttpOnly)
				}
				if !https && (c.Secure || strings.HasPrefix(c.Name, handlers.HostPrefix)) {
					t.Errorf("cookie %s is Secure over an http public URL", c.Name)
				}
			}
			if len(names) != 2 {
				t.Errorf("cookies set: %v, want the session's and the language's", names)
			}
		})
	}
}

// newInstructorEnvWith is the instructor environment on the player env's
// options (secure cookies, public URL), sharing its Sessions with the
// dashboard.
func newInstructorEnvWith(t *testing.T, opt options) *ienv {
	t.Helper()
	e := newEnv(t, opt)
	ie := &ienv{env: e}
	handlers.NewInstructor(handlers.InstructorConfig{Data: e.store, Sessions: e.sessions, PublicURL: opt.publicURL}).Routes(e.echo.Group("/instructor"))
	ie.ech = e.echo
	hash, err := bcrypt.GenerateFromPassword([]byte(instructorPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if ie.instructor, err = e.store.CreateInstructor(context.Background(), instructorEmail, string(hash)); err != nil {
		t.Fatal(err)
	}
	return ie
}

// TestCSRFWithoutSessions: an Echo built without Sessions refuses every
// form outside the exempt routes, having no token to compare with.
func TestCSRFWithoutSessions(t *testing.T) {
	e := newEnv(t, options{})
	ech := handlers.New(handlers.Config{Log: slog.New(slog.DiscardHandler), Locales: e.bundle})
	ech.POST("/x", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader("_csrf=anything"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", "anything")
	rec := httptest.NewRecorder()
	ech.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("status %d, want 403", rec.Code)
	}
}

// TestExemptRoutesIgnoreCookies: the routes that read no cookie (the
// sandbox, the API, the widget, the static files) take no CSRF token, as
// before, and do not mind cookies a sibling origin planted twice.
func TestExemptRoutesIgnoreCookies(t *testing.T) {
	e := newEnv(t, options{})
	sessions := handlers.NewSessions(e.store, handlers.SessionOptions{})
	ech := handlers.New(handlers.Config{Log: slog.New(slog.DiscardHandler), Locales: e.bundle, Sessions: sessions})
	ok := func(c echo.Context) error { return c.String(http.StatusCreated, "ok") }
	ech.Group("/sandbox").POST("/2010-04-01/Accounts/:sid/Messages.json", ok)
	ech.Group("/api").POST("/v1/attempts", ok)
	ech.Group("/embed").POST("/objectives/:id/hack", ok)
	ech.POST("/profile", ok)
	for path, want := range map[string]int{
		"/sandbox/2010-04-01/Accounts/AC1/Messages.json": http.StatusCreated,
		"/api/v1/attempts":                 http.StatusCreated,
		"/embed/objectives/send-sms/hack":  http.StatusCreated,
		"/profile":                         http.StatusBadRequest,
		"/static/css/app.css?cache=bypass": http.StatusOK,
	} {
		method := http.MethodPost
		if strings.HasPrefix(path, "/static/") {
			method = http.MethodGet
		}
		req := httptest.NewRequest(method, path, strings.NewReader("Body=hi"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer x")
		req.Header.Set("Cookie", "questgate_session=a; questgate_session=b; questgate_lang=en; questgate_lang=fr")
		rec := httptest.NewRecorder()
		ech.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("%s %s with duplicated cookies: %d, want %d", method, path, rec.Code, want)
		}
	}
}
