package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/golang-jwt/jwt/v5"

	"github.com/questgate/questgate/auth"
	"github.com/questgate/questgate/quest"
)

// widgetEnv is a server with the sandbox on and a key allowing the game
// origins given; the key's player p42 (Ada, the widget tokens' subject)
// has a sandbox account of their own, so they can win.
func widgetEnv(t *testing.T, origins ...string) (*env, quest.APIKey) {
	e := newEnv(t, options{sandbox: true})
	e.sandbox.verify = passing("hello")
	_, k := e.newKey(origins...)
	full, err := e.store.APIKeyByID(t.Context(), k.ID)
	if err != nil {
		t.Fatal(err)
	}
	apiPlayer, err := e.store.APIPlayer(t.Context(), k.ID, "p42", "Ada")
	id := apiPlayer.ID
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SaveCredentials(t.Context(), quest.Credentials{PlayerID: id, AccountSID: testAccountSID, Secret: testSecret, Sandbox: true}); err != nil {
		t.Fatal(err)
	}
	return e, full
}

// token signs a widget token for player p42 expiring in exp.
func (e *env) widgetToken(k quest.APIKey, secret string, exp time.Duration, extra ...string) string {
	e.t.Helper()
	c := auth.Claims{Name: "Ada", Locale: "fr", RegisteredClaims: jwt.RegisteredClaims{Subject: "p42",
		ExpiresAt: jwt.NewNumericDate(e.clock.Now().Add(exp)), Audience: jwt.ClaimStrings{publicURL}}}
	if len(extra) > 0 {
		c.Origin = extra[0]
	}
	s, err := auth.SignToken(k.ID, secret, c)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// signedWidgetToken signs a good token for player p42, changed by change.
func (e *env) signedWidgetToken(k quest.APIKey, change func(*auth.Claims)) string {
	e.t.Helper()
	c := auth.Claims{Name: "Ada", Locale: "fr", RegisteredClaims: jwt.RegisteredClaims{Subject: "p42", Issuer: k.ID,
		ExpiresAt: jwt.NewNumericDate(e.clock.Now().Add(time.Hour)), Audience: jwt.ClaimStrings{publicURL}}}
	change(&c)
	s, err := auth.SignToken(k.ID, k.SigningSecret, c)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func TestWidgetTokens(t *testing.T) {
	e, k := widgetEnv(t, "https://game.example", "https://other.example")
	other := auth.GenerateKey()
	tests := []struct {
		name, token, problem string
		status               int
		frameAncestors       string
	}{
		{"good", e.widgetToken(k, k.SigningSecret, time.Hour), "", 200, "frame-ancestors https://game.example https://other.example"},
		{"expired", e.widgetToken(k, k.SigningSecret, -time.Hour), "expired", 401, "frame-ancestors https://game.example https://other.example"},
		{"wrong signature", e.widgetToken(k, "forged", time.Hour), "invalid", 401, "frame-ancestors https://game.example https://other.example"},
		{"wrong key", e.widgetToken(quest.APIKey{ID: other.ID}, other.SigningSecret, time.Hour), "unknown_key", 401, "frame-ancestors 'none'"},
		{"another key's secret", e.widgetToken(k, other.SigningSecret, time.Hour), "invalid", 401, "frame-ancestors https://game.example https://other.example"},
		{"no token", "", "no_token", 401, "frame-ancestors 'none'"},
		{"expired 10 s ago", e.widgetToken(k, k.SigningSecret, -10*time.Second), "expired", 401, "frame-ancestors https://game.example https://other.example"},
		{"for another questgate", e.signedWidgetToken(k, func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"https://other-questgate.example"} }),
			"invalid", 401, "frame-ancestors https://game.example https://other.example"},
		{"without an audience", e.signedWidgetToken(k, func(c *auth.Claims) { c.Audience = nil }),
			"invalid", 401, "frame-ancestors https://game.example https://other.example"},
		{"issued by another key", e.signedWidgetToken(k, func(c *auth.Claims) { c.Issuer = other.ID }),
			"invalid", 401, "frame-ancestors https://game.example https://other.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := e.get("/embed/objectives/send-sms?token=" + url.QueryEscape(tt.token))
			if p.status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.status, tt.status, p.body)
			}
			if csp := p.header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, tt.frameAncestors) {
				t.Errorf("CSP %q, want it to end with %q", csp, tt.frameAncestors)
			}
			if tt.problem == "" {
				if p.find("hack-panel").Length() != 1 || p.find("instructor-nav").Length() != 0 {
					t.Error("the widget does not show the hack interface alone")
				}
				if lang, _ := p.doc.Find("html").Attr("lang"); lang != "fr" {
					t.Errorf("lang %q, want the token's fr", lang)
				}
				if v, _ := p.doc.Find(`input[name="token"]`).Attr("value"); v != tt.token {
					t.Error("the form does not carry the token")
				}
				return
			}
			if got := p.attr("embed-error", "data-problem"); got != tt.problem {
				t.Errorf("problem %q, want %q", got, tt.problem)
			}
			if tt.problem == "expired" && !strings.Contains(p.text("embed-error"), e.msg("fr", "embed.error.expired.title", nil)) {
				t.Errorf("expired page not in the token's French: %q", p.text("embed-error"))
			}
		})
	}
	if err := e.store.RevokeAPIKey(t.Context(), k.ID); err != nil {
		t.Fatal(err)
	}
	if p := e.get("/embed/objectives/send-sms?token=" + e.widgetToken(k, k.SigningSecret, time.Hour)); p.attr("embed-error", "data-problem") != "unknown_key" {
		t.Errorf("revoked key: %d %s", p.status, p.attr("embed-error", "data-problem"))
	}
	if csp := e.get("/").header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors 'none'") {
		t.Errorf("player pages: CSP %q", csp)
	}
}

func TestWidgetPostsCompletionToAnAllowedOriginOnly(t *testing.T) {
	tests := []struct {
		name       string
		origins    []string
		tokenOrig  string
		queryOrig  string
		wantOrigin string
	}{
		{"the origin the page names", []string{"https://game.example", "https://other.example"}, "", "https://other.example", "https://other.example"},
		{"the origin the token names", []string{"https://game.example", "https://other.example"}, "https://game.example", "", "https://game.example"},
		{"the key's only origin", []string{"https://game.example"}, "", "", "https://game.example"},
		{"an origin the key does not allow", []string{"https://game.example"}, "", "https://evil.example", ""},
		{"several origins, none named", []string{"https://game.example", "https://other.example"}, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, k := widgetEnv(t, tt.origins...)
			tok := e.widgetToken(k, k.SigningSecret, time.Hour, tt.tokenOrig)
			page := e.get("/embed/objectives/send-sms?token=" + url.QueryEscape(tok) + "&origin=" + url.QueryEscape(tt.queryOrig))
			form := url.Values{"sid": {testMessageSID}}
			page.doc.Find(`form input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
				name, _ := s.Attr("name")
				v, _ := s.Attr("value")
				if name != "_csrf" {
					form.Set(name, v)
				}
			})
			// No cookie, no CSRF token: as in a cross-site iframe.
			p := e.postNoCSRF("/embed/objectives/send-sms/hack", form.Encode())
			if p.status != http.StatusOK || p.attr("result-reason", "data-reason") != "awarded" {
				t.Fatalf("status %d, reason %q\n%s", p.status, p.attr("result-reason", "data-reason"), p.body)
			}
			done := p.find("embed-completed")
			if tt.wantOrigin == "" {
				if done.Length() != 0 {
					t.Errorf("completion announced to %q", done.AttrOr("data-target-origin", ""))
				}
				return
			}
			if got := done.AttrOr("data-target-origin", ""); got != tt.wantOrigin {
				t.Errorf("target origin %q, want %q", got, tt.wantOrigin)
			}
			if done.AttrOr("data-objective", "") != "send-sms" || done.AttrOr("data-sid", "") != testMessageSID || done.AttrOr("data-xp", "") != "100" ||
				done.AttrOr("data-status", "") != "awarded" {
				t.Errorf("completion data: %s", p.body)
			}
			if got := p.attr("embed-target", "data-target-origin"); got != tt.wantOrigin {
				t.Errorf("the height goes to %q, want %q", got, tt.wantOrigin)
			}
			// The same SID again: a verdict to show, no new completion.
			again := e.postNoCSRF("/embed/objectives/send-sms/hack", form.Encode()).find("embed-completed")
			if again.AttrOr("data-status", "") != "already_awarded" || again.AttrOr("data-xp", "") != "0" {
				t.Errorf("repeat HACK: status %q, xp %q", again.AttrOr("data-status", ""), again.AttrOr("data-xp", ""))
			}
			if p.doc.Find(`script[src="/static/js/embed.js"]`).Length() != 1 || p.doc.Find("script:not([src])").Length() != 0 {
				t.Error("the widget must load embed.js and have no inline script")
			}
		})
	}
}

// TestEmbedScriptPostsToTheCheckedOriginOnly reads the widget's script:
// it posts the completion message with the page's checked origin as the
// target, never "*".
func TestEmbedScriptPostsToTheCheckedOriginOnly(t *testing.T) {
	e := newEnv(t, options{})
	js := e.get("/static/js/embed.js").body
	for _, want := range []string{`"questgate.objective.completed"`, `status === "awarded"`, `"questgate.objective.verified"`,
		`type: "questgate.resize"`, `new ResizeObserver(send)`, `getAttribute("data-target-origin")`,
		`window.parent.postMessage(`, `}, origin);`, `origin === "*"`} {
		if !strings.Contains(js, want) {
			t.Errorf("embed.js lacks %s", want)
		}
	}
	if strings.Contains(js, `, "*")`) || strings.Contains(js, `,"*")`) {
		t.Error(`embed.js posts to "*"`)
	}
}

// TestWidgetShowsALockedObjectiveLocked: a game may embed an objective its
// player cannot try yet; the widget says so rather than offer a HACK that
// would only be refused.
func TestWidgetShowsALockedObjectiveLocked(t *testing.T) {
	e, k := widgetEnv(t, "https://game.example")
	tests := []struct{ objective, state string }{
		{"send-sms", "ready"},
		{"send-mms", "locked"}, // after send-sms, which p42 has not done
	}
	for _, tt := range tests {
		t.Run(tt.objective, func(t *testing.T) {
			p := e.get("/embed/objectives/" + tt.objective + "?token=" + url.QueryEscape(e.widgetToken(k, k.SigningSecret, time.Hour)))
			if p.status != 200 {
				t.Fatalf("status %d\n%s", p.status, p.body)
			}
			if got := p.attr("hack-state", "data-state"); got != tt.state {
				t.Errorf("hack state %q, want %q", got, tt.state)
			}
		})
	}
}
