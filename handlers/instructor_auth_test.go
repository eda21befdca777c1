package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/internal/testkit/fakeclock"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/ratelimit"
	"github.com/questgate/questgate/templates"
)

// TestEveryInstructorRouteRefusesOthers walks every route registered under
// /instructor, except signing in and out, as an anonymous visitor and as a
// player with a session: pages redirect to the sign-in form, other methods
// are refused, no response shows a player's data, and nothing changes.
func TestEveryInstructorRouteRefusesOthers(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, victimID := e.newPlayer()
	secretBody := "victim-body-7f3a"
	sub := e.record(victimID, quest.Awarded, testMessageSID, &quest.Message{Status: "delivered", Body: secretBody, To: "+15558675310"})
	cohort := e.cohortIn("Victims", victimID)

	anonymous := e.as(newBrowser(t))
	player, playerID := e.newPlayer()
	player.post("/test/player-session", url.Values{"id": {playerID}})
	if got := player.get("/test/player-session").body; got != playerID {
		t.Fatalf("player session holds %q", got)
	}

	var routes []*echo.Route
	for _, r := range e.ech.Routes() {
		if !strings.HasPrefix(r.Path, "/instructor") || r.Method == echo.RouteNotFound ||
			r.Path == "/instructor/login" || r.Path == "/instructor/logout" {
			continue
		}
		routes = append(routes, r)
	}
	if len(routes) < 20 {
		t.Fatalf("only %d instructor routes found: the walk would prove little", len(routes))
	}
	for _, who := range []struct {
		name string
		env  *ienv
	}{{"anonymous", anonymous}, {"player", player}} {
		for _, r := range routes {
			path := strings.Replace(r.Path, "/submissions/:id", "/submissions/"+strconv.FormatInt(sub.ID, 10), 1)
			path = strings.Replace(path, "/players/:id", "/players/"+victimID, 1)
			path = strings.Replace(path, "/cohorts/:id", "/cohorts/"+strconv.FormatInt(cohort.ID, 10), 1)
			path = strings.Replace(path, "/webhooks/:id", "/webhooks/1", 1)
			path = strings.Replace(path, "/media/:n", "/media/0", 1)
			if strings.Contains(path, ":") {
				t.Fatalf("route %s has a parameter the walk does not fill", r.Path)
			}
			t.Run(who.name+" "+r.Method+" "+path, func(t *testing.T) {
				req, err := http.NewRequest(r.Method, e.srv.URL+path+"?objective=send-sms", strings.NewReader("reason=x&action=revoke&objective=send-sms&name=hijacked"))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				p := who.env.do(req)
				switch r.Method {
				case http.MethodGet:
					want := "/instructor/login?next=" + url.QueryEscape(path+"?objective=send-sms")
					if p.status != http.StatusSeeOther || p.header.Get("Location") != want {
						t.Errorf("status %d, Location %q; want 303 to %q", p.status, p.header.Get("Location"), want)
					}
				default:
					if p.status != http.StatusForbidden {
						t.Errorf("status %d, want 403", p.status)
					}
				}
				for _, secret := range []string{victimID, testMessageSID, secretBody, cohort.JoinCode} {
					if strings.Contains(p.body, secret) {
						t.Errorf("response shows %q:\n%s", secret, p.body)
					}
				}
			})
		}
	}
	// Nothing was changed by the refused requests.
	ctx := context.Background()
	if _, err := e.store.Player(ctx, victimID); err != nil {
		t.Errorf("victim: %v", err)
	}
	if awards, _ := e.store.Awards(ctx, victimID); len(awards) != 1 {
		t.Errorf("victim's awards: %v", awards)
	}
	if log, _ := e.store.AuditLog(ctx, victimID); len(log) != 0 {
		t.Errorf("audit log: %v", log)
	}
	if list, _ := e.store.ListCohorts(ctx); len(list) != 1 || list[0].Name != cohort.Name || list[0].Archived {
		t.Errorf("cohorts: %+v", list)
	}
	if got := player.get("/test/player-session").body; got != playerID {
		t.Errorf("the player's session lost its player: %q", got)
	}
	// And the instructor does get in.
	e.signIn()
	if p := e.get("/instructor/submissions"); p.status != http.StatusOK || p.find("submission").Length() != 1 {
		t.Errorf("signed in: status %d, %d rows", p.status, p.find("submission").Length())
	}
}

func TestInstructorLogin(t *testing.T) {
	tests := []struct {
		name, email, password, next, lang string
		status                            int
		err, location                     string
	}{
		{name: "good", email: instructorEmail, password: instructorPassword, next: "/instructor/progress",
			status: http.StatusSeeOther, location: "/instructor/progress"},
		{name: "any case, spaces", email: "  Grace@Example.ORG ", password: instructorPassword,
			status: http.StatusSeeOther, location: "/instructor/submissions"},
		{name: "next elsewhere", email: instructorEmail, password: instructorPassword, next: "//evil.example/instructor/",
			status: http.StatusSeeOther, location: "/instructor/submissions"},
		{name: "next to a player page", email: instructorEmail, password: instructorPassword, next: "/credentials",
			status: http.StatusSeeOther, location: "/instructor/submissions"},
		{name: "wrong password", email: instructorEmail, password: "not the password",
			status: http.StatusUnprocessableEntity, err: "instructor.login.wrong"},
		{name: "unknown email", email: "nobody@example.org", password: instructorPassword,
			status: http.StatusUnprocessableEntity, err: "instructor.login.wrong"},
		{name: "unknown email in French", email: "nobody@example.org", password: instructorPassword, lang: "fr",
			status: http.StatusUnprocessableEntity, err: "instructor.login.wrong"},
		{name: "empty password", email: instructorEmail, password: "",
			status: http.StatusUnprocessableEntity, err: "instructor.login.empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newInstructorEnv(t, instructorOptions{})
			lang := tt.lang
			if lang == "" {
				lang = "en"
			}
			form := url.Values{"email": {tt.email}, "password": {tt.password}}
			if tt.next != "" {
				form.Set("next", tt.next)
			}
			p := e.post("/instructor/login", form, accept(lang)...)
			if p.status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.status, tt.status, p.body)
			}
			if tt.location != "" {
				if got := p.header.Get("Location"); got != tt.location {
					t.Errorf("Location %q, want %q", got, tt.location)
				}
				page := e.get("/instructor/submissions")
				if page.status != http.StatusOK || page.text("signed-in-as") != instructorEmail {
					t.Errorf("after sign-in: status %d, signed in as %q", page.status, page.text("signed-in-as"))
				}
				return
			}
			if got, want := p.text("login-error"), e.msg(lang, tt.err, map[string]any{"RetryAfter": 0}); got != want {
				t.Errorf("error %q, want %q", got, want)
			}
			if strings.Contains(p.body, tt.password) && tt.password != "" {
				t.Error("the page shows the password back")
			}
			if got := e.get("/instructor/submissions").status; got != http.StatusSeeOther {
				t.Errorf("not signed in, the dashboard answered %d", got)
			}
		})
	}
}

func TestLoginFormComesBackToTheAskedPage(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	p := e.get("/instructor/progress")
	loc := p.header.Get("Location")
	login := e.get(loc)
	next := login.doc.Find(`[data-testid="login-form"] input[name="next"]`).AttrOr("value", "")
	if next != "/instructor/progress" {
		t.Fatalf("login form's next = %q (from %q)", next, loc)
	}
	p = e.post("/instructor/login", url.Values{"email": {instructorEmail}, "password": {instructorPassword}, "next": {next}})
	if got := p.header.Get("Location"); got != "/instructor/progress" {
		t.Errorf("after sign-in: Location %q", got)
	}
	if got := e.get("/instructor/login").header.Get("Location"); got != "/instructor/submissions" {
		t.Errorf("sign-in form when signed in: Location %q", got)
	}
}

func TestLoginIsRateLimited(t *testing.T) {
	t.Run("per account", func(t *testing.T) {
		e := newInstructorEnv(t, instructorOptions{accountLimiter: ratelimit.NewMemory(ratelimit.Limit{Events: 2, Per: 2 * time.Minute}, nil)})
		wrong := url.Values{"email": {instructorEmail}, "password": {"wrong password"}}
		for i := range 2 {
			if p := e.post("/instructor/login", wrong); p.status != http.StatusUnprocessableEntity {
				t.Fatalf("attempt %d: status %d", i+1, p.status)
			}
		}
		// The right password does not help once the account is limited,
		// and the case of the email does not open another bucket.
		p := e.post("/instructor/login", url.Values{"email": {"GRACE@example.org"}, "password": {instructorPassword}}, accept("fr")...)
		if p.status != http.StatusTooManyRequests {
			t.Fatalf("3rd attempt: status %d, want 429", p.status)
		}
		if got := p.header.Get("Retry-After"); got != "60" {
			t.Errorf("Retry-After %q, want 60", got)
		}
		if got, want := p.text("login-error"), e.msg("fr", "instructor.login.too_many", map[string]any{"RetryAfter": 60}); got != want {
			t.Errorf("message %q, want %q", got, want)
		}
		if got := e.get("/instructor/submissions").status; got != http.StatusSeeOther {
			t.Errorf("limited sign-in let the instructor in: %d", got)
		}
		// Another account from the same address is not affected.
		other := e.post("/instructor/login", url.Values{"email": {"someone@example.org"}, "password": {"not it"}})
		if other.status != http.StatusUnprocessableEntity {
			t.Errorf("another account: status %d", other.status)
		}
	})
	t.Run("per address", func(t *testing.T) {
		e := newInstructorEnv(t, instructorOptions{ipLimiter: ratelimit.NewMemory(ratelimit.Limit{Events: 3, Per: 3 * time.Minute}, nil)})
		// Wrong passwords for a known account (bcrypt at its lowest cost
		// here), fewer than the account's own limit.
		for i := range 3 {
			p := e.post("/instructor/login", url.Values{"email": {instructorEmail}, "password": {"guess " + strconv.Itoa(i)}})
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("attempt %d: status %d", i+1, p.status)
			}
		}
		p := e.post("/instructor/login", url.Values{"email": {instructorEmail}, "password": {instructorPassword}})
		if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
			t.Errorf("4th attempt from one address: status %d, Retry-After %q", p.status, p.header.Get("Retry-After"))
		}
	})
}

func TestLogoutSignsOutTheInstructorOnly(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	e.post("/test/player-session", url.Values{"id": {"pl_me"}})
	token := func() string {
		u, _ := url.Parse(e.srv.URL)
		for _, c := range e.client.Jar.Cookies(u) {
			if c.Name == e.sessions.Cookie.Name {
				return c.Value
			}
		}
		return ""
	}
	before := token()
	e.signIn()
	if token() == before || token() == "" {
		t.Error("signing in kept the session token")
	}
	signedIn := token()
	p := e.post("/instructor/logout", nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/instructor/login?signed_out=1" {
		t.Fatalf("logout: %d to %q", p.status, p.header.Get("Location"))
	}
	if token() == signedIn {
		t.Error("signing out kept the session token")
	}
	if got := e.get("/instructor/submissions").status; got != http.StatusSeeOther {
		t.Errorf("after sign-out the dashboard answered %d", got)
	}
	if got := e.get("/test/player-session").body; got != "pl_me" {
		t.Errorf("the player's session lost its player: %q", got)
	}
	if got := e.get("/instructor/login?signed_out=1").text("login-notice"); got != e.msg("en", "instructor.login.signed_out") {
		t.Errorf("notice %q", got)
	}
}

// TestInstructorSignInEndsAfterAWorkshopDay: an instructor is signed in
// for InstructorSignIn however busy the dashboard keeps them (the session
// outlives it), and signed out after, keeping the player in the browser.
func TestInstructorSignInEndsAfterAWorkshopDay(t *testing.T) {
	clock := fakeclock.New(exportDay)
	e := newInstructorEnv(t, instructorOptions{now: clock.Now})
	e.post("/test/player-session", url.Values{"id": {"pl_me"}})
	e.signIn()
	for range 11 {
		clock.Advance(time.Hour)
		if got := e.get("/instructor/submissions").status; got != http.StatusOK {
			t.Fatalf("%v after signing in the dashboard answered %d", clock.Now().Sub(exportDay), got)
		}
	}
	clock.Advance(handlers.InstructorSignIn - 11*time.Hour - time.Second)
	if got := e.get("/instructor/submissions").status; got != http.StatusOK {
		t.Fatalf("a second before the sign-in ends the dashboard answered %d", got)
	}
	clock.Advance(time.Second)
	for i := range 2 {
		p := e.get("/instructor/submissions")
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/instructor/login") {
			t.Errorf("request %d after the sign-in ended: %d to %q", i+1, p.status, p.header.Get("Location"))
		}
	}
	if got := e.get("/test/player-session").body; got != "pl_me" {
		t.Errorf("the player's session lost its player: %q", got)
	}
}

func TestRemovedInstructorIsSignedOut(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	e.signIn()
	if err := e.store.RemoveInstructor(context.Background(), instructorEmail); err != nil {
		t.Fatal(err)
	}
	if got := e.get("/instructor/submissions").status; got != http.StatusSeeOther {
		t.Errorf("a removed instructor's session still opens the dashboard: %d", got)
	}
}

// TestEveryInstructorFormCarriesTheCSRFToken renders each dashboard page
// with a token in the context, as the CSRF middleware will put it, and
// checks every form that changes something sends it back.
func TestEveryInstructorFormCarriesTheCSRFToken(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, pl := e.newPlayer()
	sub := e.record(pl, quest.NotFound, "SM1", nil)
	pages := []string{"/instructor/login"}
	e.signIn()
	pages = append(pages, "/instructor/submissions", "/instructor/submissions/"+strconv.FormatInt(sub.ID, 10),
		"/instructor/progress", "/instructor/players/"+pl, "/instructor/players/"+pl+"/delete",
		"/instructor/cohorts", "/instructor/cohorts/"+strconv.FormatInt(e.cohortIn("Form check").ID, 10))
	for i, path := range pages {
		var p page
		if i == 0 {
			p = e.as(newBrowser(t)).get(path)
		} else {
			p = e.get(path)
		}
		forms := p.doc.Find(`form[method="post"]`)
		if forms.Length() == 0 {
			t.Errorf("%s: no form to check", path)
		}
		want := p.doc.Find(`meta[name="csrf-token"]`).AttrOr("content", "")
		if want == "" {
			t.Errorf("%s: the page has no CSRF token", path)
		}
		forms.Each(func(_ int, f *goquery.Selection) {
			if got := f.Find(`input[type="hidden"][name="`+templates.CSRFField+`"]`).AttrOr("value", ""); got != want {
				t.Errorf("%s: form %s carries token %q, want the page's %q", path, f.AttrOr("action", ""), got, want)
			}
		})
	}
}

// from sends a request as if from the client address addr (the test's
// proxy forwards it).
func from(addr string) []string { return []string{"X-Forwarded-For", addr} }

// TestAStrangerCannotLockAnInstructorOut: wrong passwords from one
// address, even one every 20 s for hours, limit that address only; the
// owner, from their own address, signs in with the right password. The
// default limits, on a fake clock.
func TestAStrangerCannotLockAnInstructorOut(t *testing.T) {
	clock := fakeclock.New(exportDay)
	e := newInstructorEnv(t, instructorOptions{now: clock.Now, behindProxy: true})
	attacker := e.as(newBrowser(t))
	const attackerAddr, ownerAddr = "203.0.113.66", "198.51.100.7"
	wrong := url.Values{"email": {instructorEmail}, "password": {"wrong password"}}
	right := url.Values{"email": {instructorEmail}, "password": {instructorPassword}}
	for i := range 5 {
		if p := attacker.post("/instructor/login", wrong, from(attackerAddr)...); p.status != http.StatusUnprocessableEntity {
			t.Fatalf("attacker's attempt %d: status %d", i+1, p.status)
		}
	}
	if p := attacker.post("/instructor/login", right, from(attackerAddr)...); p.status != http.StatusTooManyRequests {
		t.Errorf("6th attempt from the attacker's address: status %d, want 429", p.status)
	}
	for i := range 90 { // half an hour of one try every 20 s
		attacker.post("/instructor/login", wrong, from(attackerAddr)...)
		if i%10 == 0 {
			owner := e.as(newBrowser(t))
			if p := owner.post("/instructor/login", right, from(ownerAddr)...); p.status != http.StatusSeeOther {
				t.Fatalf("after %v of attack the owner got %d, want 303", clock.Now().Sub(exportDay), p.status)
			}
			if got := owner.get("/instructor/submissions").status; got != http.StatusOK {
				t.Fatalf("the owner signed in but the dashboard answered %d", got)
			}
		}
		clock.Advance(20 * time.Second)
	}
}

// TestSignInCeilingPerAccount: attempts on one account from many
// addresses are bounded all together, whichever address comes next.
func TestSignInCeilingPerAccount(t *testing.T) {
	clock := fakeclock.New(exportDay)
	e := newInstructorEnv(t, instructorOptions{now: clock.Now, behindProxy: true,
		accountCeiling: ratelimit.NewMemory(ratelimit.Limit{Events: 3, Per: 3 * time.Minute}, clock.Now)})
	wrong := url.Values{"email": {instructorEmail}, "password": {"wrong password"}}
	for i := range 3 {
		if p := e.post("/instructor/login", wrong, from("203.0.113."+strconv.Itoa(i+1))...); p.status != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: status %d", i+1, p.status)
		}
	}
	right := url.Values{"email": {instructorEmail}, "password": {instructorPassword}}
	p := e.post("/instructor/login", right, from("198.51.100.7")...)
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") != "60" {
		t.Fatalf("4th attempt on the account, from a new address: status %d, Retry-After %q; want 429, 60", p.status, p.header.Get("Retry-After"))
	}
	if other := e.post("/instructor/login", url.Values{"email": {"someone@example.org"}, "password": {"not it"}}, from("198.51.100.7")...); other.status != http.StatusUnprocessableEntity {
		t.Errorf("another account from that address: status %d", other.status)
	}
	clock.Advance(time.Minute)
	if p := e.post("/instructor/login", right, from("198.51.100.7")...); p.status != http.StatusSeeOther {
		t.Errorf("a minute later: status %d, want 303", p.status)
	}
}
