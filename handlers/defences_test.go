package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
)

const wantCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// browser returns another player's browser on the same server.
func (e *env) browser() *env {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	other := *e
	other.csrf = ""
	other.client = &http.Client{Jar: jar, CheckRedirect: e.client.CheckRedirect}
	return &other
}

// counting wraps a verify function and counts its calls.
func counting(n *atomic.Int32, f func(context.Context, quest.CheckRequest) (quest.Verdict, error)) func(context.Context, quest.CheckRequest) (quest.Verdict, error) {
	return func(ctx context.Context, r quest.CheckRequest) (quest.Verdict, error) {
		n.Add(1)
		return f(ctx, r)
	}
}

func rejecting(r quest.Reason) func(context.Context, quest.CheckRequest) (quest.Verdict, error) {
	return func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		return quest.Verdict{Reason: r, SID: quest.Normalize(req.SID)}, nil
	}
}

// submissions returns the test player's recorded attempts, newest first.
func (e *env) submissions() []quest.Submission {
	e.t.Helper()
	subs, err := e.store.RecentSubmissions(context.Background(), e.playerID(), "send-sms", 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return subs
}

// checkErrorPage checks that p is the friendly error page for status, in
// lang, with the messages of table (error.<status> when empty).
func (e *env) checkErrorPage(p page, status int, lang, table string) {
	e.t.Helper()
	if p.status != status {
		e.t.Fatalf("status %d, want %d\n%.300s", p.status, status, p.body)
	}
	if table == "" {
		table = "error." + strconv.Itoa(status)
	}
	if got, want := p.text("error-title"), e.msg(lang, table+".title"); got != want {
		e.t.Errorf("title %q, want %q", got, want)
	}
	if got, want := p.text("error-help"), e.msg(lang, table+".help"); got != want {
		e.t.Errorf("help %q, want %q", got, want)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	e := newEnv(t, options{sandbox: true})
	e.twilio.verify = rejecting(quest.NotFound)
	e.sandbox.verify = rejecting(quest.NotFound)
	pages := map[string]func() page{
		"home":             func() page { return e.get("/") },
		"objective":        func() page { return e.get("/objectives/send-sms") },
		"credentials":      func() page { return e.get("/credentials") },
		"hack":             func() page { return e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}) },
		"hack htmx":        func() page { return e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}, htmx...) },
		"not found":        func() page { return e.get("/no-such-page") },
		"refused by CSRF":  func() page { return e.postNoCSRF("/credentials/delete", "") },
		"static script":    func() page { return e.get("/static/js/app.js") },
		"language switch":  func() page { return e.get("/lang/fr?next=/") },
		"method not found": func() page { return e.postNoCSRF("/", "") },
	}
	for name, load := range pages {
		t.Run(name, func(t *testing.T) {
			p := load()
			for header, want := range map[string]string{
				"Content-Security-Policy":    wantCSP,
				"X-Content-Type-Options":     "nosniff",
				"Referrer-Policy":            "no-referrer",
				"Cross-Origin-Opener-Policy": "same-origin",
			} {
				if got := p.header.Get(header); got != want {
					t.Errorf("%s = %q, want %q", header, got, want)
				}
			}
			if pp := p.header.Get("Permissions-Policy"); !strings.Contains(pp, "camera=()") || !strings.Contains(pp, "geolocation=()") {
				t.Errorf("Permissions-Policy %q", pp)
			}
			if hsts := p.header.Get("Strict-Transport-Security"); hsts != "" {
				t.Errorf("HSTS over plain HTTP: %q", hsts)
			}
		})
	}
}

// TestPagesRunUnderTheCSP checks what the policy would block: every script
// and stylesheet comes from /static, and no markup carries inline script
// or style.
func TestPagesRunUnderTheCSP(t *testing.T) {
	e := newEnv(t, options{sandbox: true})
	e.twilio.verify = passing("hello")
	e.sandbox.verify = passing("hello")
	for _, p := range []page{
		e.get("/"), e.get("/objectives/send-sms"), e.get("/credentials"), e.get("/nope"),
		e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}),
		e.post("/credentials", url.Values{"account_sid": {"x"}, "secret": {""}}),
	} {
		p.doc.Find("script").Each(func(_ int, s *goquery.Selection) {
			if src, _ := s.Attr("src"); !strings.HasPrefix(src, "/static/") {
				t.Errorf("script from %q", src)
			}
		})
		p.doc.Find(`link[rel="stylesheet"]`).Each(func(_ int, s *goquery.Selection) {
			if href, _ := s.Attr("href"); !strings.HasPrefix(href, "/static/") {
				t.Errorf("stylesheet from %q", href)
			}
		})
		if n := p.doc.Find("style").Length(); n > 0 {
			t.Errorf("%d inline <style> elements", n)
		}
		checkNoInlineCode(t, p.doc)
		for _, asset := range []string{"/static/js/htmx.min.js", "/static/js/app.js", "/static/css/app.css"} {
			if p.doc.Find(`[src="`+asset+`"], [href="`+asset+`"]`).Length() != 1 {
				t.Errorf("page does not load %s", asset)
			}
		}
	}
}

// checkNoInlineCode fails for any attribute that would run code or style
// inline: on* handlers, style attributes, javascript: URLs.
func checkNoInlineCode(t *testing.T, doc *goquery.Document) {
	t.Helper()
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			name := strings.ToLower(a.Key)
			if strings.HasPrefix(name, "on") || name == "style" ||
				strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") && (name == "href" || name == "src" || name == "action") {
				t.Errorf("<%s %s=%q>", goquery.NodeName(s), a.Key, a.Val)
			}
		}
	})
}

// TestHSTSOnlyOverTLS serves the pages over TLS directly and behind a
// trusted proxy: both get HSTS; a spoofed X-Forwarded-Proto from an
// untrusted client does not (TestHTTPSPublicURL has the public URL's
// part).
func TestHSTSOnlyOverTLS(t *testing.T) {
	e := newEnv(t, options{})
	bundle := e.bundle
	ech := handlers.New(handlers.Config{Log: slog.New(slog.DiscardHandler), Locales: bundle})
	ech.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	tlsSrv := httptest.NewTLSServer(ech)
	t.Cleanup(tlsSrv.Close)
	resp, err := tlsSrv.Client().Get(tlsSrv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("over TLS: HSTS %q", got)
	}

	for _, tt := range []struct {
		name    string
		proxies []string
		want    bool
	}{
		{"spoofed by a client", nil, false},
		{"said by a trusted proxy", []string{"127.0.0.1/32"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, options{trustedProxies: tt.proxies})
			p := e.get("/", "X-Forwarded-Proto", "https")
			if got := p.header.Get("Strict-Transport-Security") != ""; got != tt.want {
				t.Errorf("HSTS sent: %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFrameAncestors(t *testing.T) {
	mw, err := handlers.FrameAncestors("https://course.example", "https://game.example:8443")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, options{})
	ech := handlers.New(handlers.Config{Log: slog.New(slog.DiscardHandler), Locales: e.bundle})
	ech.Group("/embed", mw).GET("/x", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	ech.GET("/page", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	for path, want := range map[string]string{
		"/embed/x": strings.Replace(wantCSP, "frame-ancestors 'none'", "frame-ancestors https://course.example https://game.example:8443", 1),
		"/page":    wantCSP,
	} {
		rec := httptest.NewRecorder()
		ech.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if got := rec.Header().Get("Content-Security-Policy"); got != want {
			t.Errorf("%s: CSP %q, want %q", path, got, want)
		}
	}
	for _, bad := range [][]string{nil, {"course.example"}, {"https://a.example; script-src *"}, {"https://a.example/path"},
		{"javascript:alert(1)"}, {"https://a.example 'unsafe-inline'"}} {
		if _, err := handlers.FrameAncestors(bad...); err == nil {
			t.Errorf("FrameAncestors(%q) accepted", bad)
		}
	}
}

func TestCSRF(t *testing.T) {
	forms := []struct {
		path string
		form url.Values
	}{
		{"/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}},
		{"/credentials", url.Values{"account_sid": {testAccountSID}, "secret": {testSecret}}},
		{"/credentials/sandbox", url.Values{}},
		{"/credentials/delete", url.Values{}},
	}
	tests := []struct {
		name    string
		token   func(e *env) (field string, headers []string)
		headers []string
		refused bool
	}{
		{"no token", func(*env) (string, []string) { return "", nil }, nil, true},
		{"a wrong token", func(*env) (string, []string) { return "forged", nil }, nil, true},
		{"another browser's token", func(e *env) (string, []string) { return e.browser().token(), nil }, nil, true},
		{"a wrong header token", func(*env) (string, []string) { return "", []string{"X-CSRF-Token", "forged"} }, nil, true},
		{"cross-site with the token", func(e *env) (string, []string) { return e.token(), nil },
			[]string{"Sec-Fetch-Site", "cross-site"}, true},
		{"same-site without the token", func(*env) (string, []string) { return "", nil },
			[]string{"Sec-Fetch-Site", "same-site"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, options{sandbox: true})
			e.saveCredentials(quest.Credentials{AccountSID: testAccountSID, Secret: testSecret})
			e.token()
			for i, f := range forms {
				lang := locale.Supported[i%len(locale.Supported)]
				field, headers := tt.token(e)
				form := url.Values{}
				for k, v := range f.form {
					form[k] = v
				}
				if field != "" {
					form.Set("_csrf", field)
				}
				headers = append(append(headers, tt.headers...), accept(lang)...)
				p := e.postNoCSRF(f.path, form.Encode(), headers...)
				e.checkErrorPage(p, http.StatusForbidden, lang, "error.csrf")
			}
			if subs := e.submissions(); len(subs) != 0 {
				t.Errorf("an attempt was recorded: %+v", subs)
			}
			if c := e.storedCredentials(); c == nil || c.AccountSID != testAccountSID || c.Sandbox {
				t.Errorf("credentials changed: %+v", c)
			}
		})
	}
}

func TestCSRFAcceptedWays(t *testing.T) {
	tests := []struct {
		name string
		send func(e *env) page
	}{
		{"form field", func(e *env) page {
			return e.postNoCSRF("/credentials/delete", url.Values{"_csrf": {e.token()}}.Encode())
		}},
		{"htmx header", func(e *env) page {
			return e.postNoCSRF("/credentials/delete", "", "HX-Request", "true", "X-CSRF-Token", e.token())
		}},
		{"same-origin browser", func(e *env) page {
			return e.postNoCSRF("/credentials/delete", "", "Sec-Fetch-Site", "same-origin")
		}},
		{"same-site browser with the token", func(e *env) page {
			return e.postNoCSRF("/credentials/delete", url.Values{"_csrf": {e.token()}}.Encode(), "Sec-Fetch-Site", "same-site")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, options{})
			e.saveCredentials(quest.Credentials{AccountSID: testAccountSID, Secret: testSecret})
			if p := tt.send(e); p.status != http.StatusSeeOther {
				t.Fatalf("status %d\n%.300s", p.status, p.body)
			}
			if c := e.storedCredentials(); c != nil {
				t.Errorf("not deleted: %+v", c)
			}
		})
	}
}

func TestCSRFRefusedHTMXRequestIsNotSwapped(t *testing.T) {
	e := newEnv(t, options{})
	p := e.postNoCSRF("/objectives/send-sms/hack", "sid="+testMessageSID, htmx...)
	if p.status != http.StatusForbidden || p.header.Get("HX-Reswap") != "none" {
		t.Errorf("status %d, HX-Reswap %q; want 403 and none", p.status, p.header.Get("HX-Reswap"))
	}
	// The hack panel holds the words app.js shows instead, in the
	// player's language.
	panel := e.get("/objectives/send-sms", accept("fr")...)
	for attr, id := range map[string]string{"data-error-403": "hack.error_expired", "data-error-413": "hack.error_too_large",
		"data-error-429": "hack.error_too_many"} {
		if got, want := panel.attr("hack-panel", attr), e.msg("fr", id); got != want {
			t.Errorf("%s = %q, want %q", attr, got, want)
		}
	}
}

// TestCSRFExemptions mounts routes like the sandbox's (Twilio clients post
// with Basic auth and no cookie) and the future API's: they take no token.
// A route merely spelled like them is still checked.
func TestCSRFExemptions(t *testing.T) {
	e := newEnv(t, options{})
	ech := handlers.New(handlers.Config{Log: slog.New(slog.DiscardHandler), Locales: e.bundle})
	ok := func(c echo.Context) error { return c.String(http.StatusCreated, "ok") }
	ech.Group("/sandbox").POST("/2010-04-01/Accounts/:sid/Messages.json", ok)
	ech.Group("/api").POST("/v1/attempts", ok)
	ech.POST("/sandboxes", ok)
	ech.POST("/apiary", ok)
	for path, want := range map[string]int{
		"/sandbox/2010-04-01/Accounts/AC1/Messages.json": http.StatusCreated,
		"/api/v1/attempts": http.StatusCreated,
		"/sandboxes":       http.StatusForbidden,
		"/apiary":          http.StatusForbidden,
	} {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader("To=%2B15558675310&Body=hi"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("AC1", "token")
		rec := httptest.NewRecorder()
		ech.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("POST %s: %d, want %d", path, rec.Code, want)
		}
	}
}

func TestOversizedBodies(t *testing.T) {
	big := "sid=" + strings.Repeat("S", 64<<10)
	tests := []struct {
		name    string
		maxBody int64
		body    string
		chunked bool
		hx      bool
		status  int
	}{
		{"over the default limit", 0, big, false, false, http.StatusRequestEntityTooLarge},
		{"over the default limit, htmx", 0, big, false, true, http.StatusRequestEntityTooLarge},
		{"over the default limit, no length announced", 0, big, true, false, http.StatusRequestEntityTooLarge},
		{"just under the default limit", 0, "sid=" + testMessageSID + "&pad=" + strings.Repeat("x", 60<<10), false, false, http.StatusOK},
		{"over a configured limit", 1 << 10, "sid=" + strings.Repeat("S", 2<<10), false, false, http.StatusRequestEntityTooLarge},
		{"under a configured limit", 1 << 10, "sid=" + testMessageSID, true, false, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, options{maxBody: tt.maxBody})
			e.twilio.verify = rejecting(quest.NotFound)
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/objectives/send-sms/hack", body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			setHeaders(req, e.firstForm(append([]string{"X-CSRF-Token", e.token(), "Accept-Language", "fr"}, map[bool][]string{true: htmx}[tt.hx]...)))
			p := e.do(req)
			if tt.status == http.StatusOK {
				if p.status != http.StatusOK {
					t.Fatalf("status %d\n%.300s", p.status, p.body)
				}
				return
			}
			e.checkErrorPage(p, tt.status, "fr", "")
			if got := p.header.Get("HX-Reswap"); (got == "none") != tt.hx {
				t.Errorf("HX-Reswap %q for htmx %v", got, tt.hx)
			}
			if subs := e.submissions(); len(subs) != 0 {
				t.Errorf("an attempt was recorded: %d", len(subs))
			}
		})
	}
}

func TestFailureBudgetPerPlayer(t *testing.T) {
	for _, hx := range []bool{false, true} {
		t.Run(map[bool]string{false: "form", true: "htmx"}[hx], func(t *testing.T) {
			e := newEnv(t, options{attemptsPerMinute: 10})
			var calls atomic.Int32
			e.twilio.verify = counting(&calls, rejecting(quest.NotFound))
			h := accept("fr")
			if hx {
				h = append(h, htmx...)
			}
			hack := func(e *env) page {
				return e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}, h...)
			}
			for i := range 10 {
				if p := hack(e); p.status != http.StatusOK || p.attr("result-reason", "data-reason") != "not_found" {
					t.Fatalf("attempt %d: %d %s", i+1, p.status, p.attr("result-reason", "data-reason"))
				}
			}
			p := hack(e)
			if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") != "6" {
				t.Fatalf("11th attempt: status %d, Retry-After %q; want 429 and 6", p.status, p.header.Get("Retry-After"))
			}
			if calls.Load() != 10 {
				t.Errorf("the verifier was called %d times, want 10", calls.Load())
			}
			if got := p.attr("result-reason", "data-reason"); got != string(quest.RateLimited) {
				t.Errorf("reason %q", got)
			}
			if got, want := p.text("result-reason"), e.msg("fr", "reason.rate_limited.title"); got != want {
				t.Errorf("title %q, want %q", got, want)
			}
			if got, want := p.text("result-help"), e.msg("fr", "reason.rate_limited.help", map[string]any{"RetryAfter": 6, "Wait": "6 secondes"}); got != want {
				t.Errorf("help %q, want %q", got, want)
			}
			if !strings.Contains(p.text("result-help"), "6 secondes") {
				t.Errorf("help does not say how long to wait: %q", p.text("result-help"))
			}
			if got, _ := p.doc.Find("#sid").Attr("value"); got != testMessageSID {
				t.Errorf("the field lost the SID: %q", got)
			}
			if got := p.find("attempt").First().AttrOr("data-reason", ""); got != string(quest.RateLimited) {
				t.Errorf("latest attempt listed as %q", got)
			}
			if subs := e.submissions(); len(subs) != 11 || subs[0].Reason != quest.RateLimited {
				t.Errorf("recorded %d attempts, latest %v", len(subs), subs[0].Reason)
			}

			// Another player is unaffected.
			other := e.browser()
			if p := hack(other); p.status != http.StatusOK {
				t.Errorf("another player: status %d", p.status)
			}
			// Six seconds later the player may try again.
			e.clock.Advance(6 * time.Second)
			if p := hack(e); p.status != http.StatusOK || p.attr("result-reason", "data-reason") != "not_found" {
				t.Errorf("after waiting: %d %s", p.status, p.attr("result-reason", "data-reason"))
			}
		})
	}
}

func TestFailureBudgetIgnoresUpstreamTrouble(t *testing.T) {
	e := newEnv(t, options{attemptsPerMinute: 2})
	e.twilio.verify = func(context.Context, quest.CheckRequest) (quest.Verdict, error) {
		return quest.Verdict{SID: testMessageSID}, &quest.UpstreamError{Reason: quest.UpstreamUnavailable, Status: 503}
	}
	for range 5 {
		if p := e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}); p.status != http.StatusServiceUnavailable {
			t.Fatalf("upstream trouble: status %d", p.status)
		}
	}
	e.twilio.verify = rejecting(quest.NotFound)
	for i := range 2 {
		if p := e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}); p.status != http.StatusOK {
			t.Fatalf("mistake %d after upstream trouble: status %d", i+1, p.status)
		}
	}
	if p := e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}); p.status != http.StatusTooManyRequests {
		t.Errorf("third mistake: status %d, want 429", p.status)
	}
}

func TestPerAddressLimit(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		// forwarded is the X-Forwarded-For of the request after the
		// budget is spent; separate says whether it gets its own budget.
		forwarded string
		separate  bool
	}{
		{"spoofed X-Forwarded-For is ignored", nil, "198.51.100.7", false},
		{"a trusted proxy's X-Forwarded-For counts", []string{"127.0.0.1/32"}, "198.51.100.7", true},
		{"an untrusted proxy's X-Forwarded-For is ignored", []string{"10.0.0.0/8"}, "198.51.100.7", false},
		{"the same client behind the trusted proxy", []string{"127.0.0.1/32"}, "203.0.113.5", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, options{ipPerMinute: 5, trustedProxies: tt.proxies})
			client := []string{"X-Forwarded-For", "203.0.113.5", "Accept-Language", "fr"}
			for i := range 5 {
				if p := e.get("/nope", client...); p.status != http.StatusNotFound {
					t.Fatalf("request %d: status %d", i+1, p.status)
				}
			}
			p := e.get("/", client...)
			e.checkErrorPage(p, http.StatusTooManyRequests, "fr", "")
			if got := p.header.Get("Retry-After"); got != "12" {
				t.Errorf("Retry-After %q, want 12", got)
			}
			p = e.get("/", "X-Forwarded-For", tt.forwarded)
			if got := p.status != http.StatusTooManyRequests; got != tt.separate {
				t.Errorf("X-Forwarded-For %s: status %d; own budget %v, want %v", tt.forwarded, p.status, got, tt.separate)
			}
			// Static files are never limited.
			if p := e.get("/static/css/app.css", client...); p.status != http.StatusOK {
				t.Errorf("static file: status %d", p.status)
			}
			// A minute later the budget is full again.
			e.clock.Advance(time.Minute)
			if p := e.get("/", client...); p.status != http.StatusOK {
				t.Errorf("a minute later: status %d", p.status)
			}
		})
	}
}

// TestPerAddressLimitLetsAClassroomIn is the classroom behind one NAT: 300
// players opening the objective at the same instant all get it.
func TestPerAddressLimitLetsAClassroomIn(t *testing.T) {
	e := newEnv(t, options{ipPerMinute: 300})
	for i := range 300 {
		if p := e.get("/nope"); p.status == http.StatusTooManyRequests {
			t.Fatalf("player %d refused", i+1)
		}
	}
	if p := e.get("/nope"); p.status != http.StatusTooManyRequests {
		t.Errorf("request 301: status %d, want 429", p.status)
	}
}

func TestPerAddressLimitOnHTMXIsNotSwapped(t *testing.T) {
	e := newEnv(t, options{ipPerMinute: 1})
	e.token() // spends the budget
	p := e.postRaw("/objectives/send-sms/hack", "sid="+testMessageSID, htmx...)
	if p.status != http.StatusTooManyRequests || p.header.Get("HX-Reswap") != "none" || p.header.Get("Retry-After") != "60" {
		t.Errorf("status %d, HX-Reswap %q, Retry-After %q", p.status, p.header.Get("HX-Reswap"), p.header.Get("Retry-After"))
	}
}
