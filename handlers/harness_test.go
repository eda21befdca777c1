package handlers_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/internal/testkit/fakeclock"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/ratelimit"
	"github.com/questgate/questgate/secrets"
	"github.com/questgate/questgate/store"
)

// fakeVerifier stands in for Twilio. A nil function fails the test that
// reached it, so a test states every call it expects.
type fakeVerifier struct {
	t      *testing.T
	verify func(ctx context.Context, req quest.CheckRequest) (quest.Verdict, error)
	check  func(ctx context.Context, c quest.Credentials) error
	media  func(ctx context.Context, c quest.Credentials, messageSID, mediaSID string) (quest.MediaContent, error)
}

func (f *fakeVerifier) FetchMedia(ctx context.Context, c quest.Credentials, messageSID, mediaSID string) (quest.MediaContent, error) {
	if f.media == nil {
		f.t.Errorf("unexpected FetchMedia(%v, %v)", messageSID, mediaSID)
		return quest.MediaContent{}, errors.New("unexpected call")
	}
	return f.media(ctx, c, messageSID, mediaSID)
}

func (f *fakeVerifier) Verify(ctx context.Context, req quest.CheckRequest) (quest.Verdict, error) {
	if f.verify == nil {
		f.t.Errorf("unexpected Verify(%v)", req.SID)
		return quest.Verdict{}, errors.New("unexpected call")
	}
	return f.verify(ctx, req)
}

func (f *fakeVerifier) CheckCredentials(ctx context.Context, c quest.Credentials) error {
	if f.check == nil {
		f.t.Errorf("unexpected CheckCredentials(%v)", c)
		return errors.New("unexpected call")
	}
	return f.check(ctx, c)
}

// fakeSandbox hands out sandbox accounts and remembers them.
type fakeSandbox struct {
	mu       sync.Mutex
	accounts map[string]string
}

func (s *fakeSandbox) CreateAccount(_ context.Context, _ string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sid, token := "AC"+randomHex(16), randomHex(16)
	s.accounts[sid] = token
	return sid, token, nil
}

func (s *fakeSandbox) IsAccount(_ context.Context, sid string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.accounts[sid]
	return ok, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Values used across tests, shaped like Twilio's.
var (
	testAccountSID = "AC" + strings.Repeat("a1", 16)
	testMessageSID = "SM" + strings.Repeat("b2", 16)
	testSecret     = "s3cr3tT0kenValue0123456789abWXYZ"
)

// options change the environment a test runs in.
type options struct {
	sandbox bool
	// attemptsPerMinute and ipPerMinute set the failure budget and the
	// per-address limit, on the env's fake clock; 0 leaves them off.
	attemptsPerMinute int
	ipPerMinute       int
	// trustedProxies are CIDRs whose forwarding headers count.
	trustedProxies []string
	// maxBody is handlers.Config.MaxBodyBytes.
	maxBody int64
	// twilio replaces the fake Twilio verifier (a real one aimed at an
	// httptest server, say).
	twilio quest.Verifier
	// log receives the server's log, JSON at debug level; discarded when nil.
	log io.Writer
	// secureCookie marks the cookies Secure, named __Host-….
	secureCookie bool
	// publicURL is handlers.Config.PublicURL.
	publicURL string
	// counted, when set, gets the env's store and stands for it before
	// quest and the player pages, counting their calls.
	counted *countingStore
	// events turns the cohorts' event windows on, on the env's clock.
	events bool
}

// env is a running questgate with the player pages: the real store
// (SQLite in a temporary folder), the real quest.Service and locale
// bundle, and fakes for Twilio and the sandbox.
type env struct {
	t       *testing.T
	store   *store.Store
	dbPath  string
	bundle  *locale.Bundle
	twilio  *fakeVerifier
	sandbox *fakeVerifier
	accts   *fakeSandbox
	// inbox is what the sandbox phone page (/phone) shows, with sandbox.
	inbox    *fakeInbox
	sessions *handlers.Sessions
	srv      *httptest.Server
	client   *http.Client
	clock    *fakeclock.Clock
	// echo is the server's router, for tests listing its routes.
	echo *echo.Echo
	// csrf is the token the test's browser last read from a page, in the
	// session whose cookie was csrfSession ("" for none).
	csrf, csrfSession string
	// noFollow keeps a HACK's 303 as the answer, for tests about the POST
	// itself rather than the page the browser then shows.
	noFollow bool
	// tokenPage is where the browser goes for a CSRF token when it has
	// none yet: "/" when empty (which makes it a player).
	tokenPage string
}

const publicURL = "https://questgate.example"

func newEnv(t *testing.T, opt options) *env {
	t.Helper()
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "q.db")
	key, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, dbPath, store.WithSecrets(secrets.NewRing(key), nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, dbPath: dbPath, bundle: bundle, twilio: &fakeVerifier{t: t}, sandbox: &fakeVerifier{t: t},
		clock: fakeclock.New(fakeclock.Start)}
	log := slog.New(slog.DiscardHandler)
	if opt.log != nil {
		log = slog.New(slog.NewJSONHandler(opt.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var (
		questStore quest.Store         = st
		playerData handlers.PlayerData = st
	)
	if opt.counted != nil {
		opt.counted.Store = st
		questStore, playerData = opt.counted, opt.counted
	}
	cfg := quest.Config{Catalog: cat, Store: questStore, Twilio: e.twilio, Log: log}
	if opt.twilio != nil {
		cfg.Twilio = opt.twilio
	}
	if opt.events {
		cfg.Events, cfg.Now = st, e.clock.Now
	}
	if opt.attemptsPerMinute > 0 {
		cfg.Failures = ratelimit.NewMemory(ratelimit.PerMinute(opt.attemptsPerMinute), e.clock.Now)
	}
	if opt.sandbox {
		e.accts = &fakeSandbox{accounts: map[string]string{}}
		cfg.Sandbox, cfg.SandboxVerifier = e.accts, e.sandbox
	}
	hcfg := handlers.Config{Log: log, Locales: bundle, Version: "v1.2.3-test", MaxBodyBytes: opt.maxBody}
	if opt.ipPerMinute > 0 {
		hcfg.IPLimiter = ratelimit.NewMemory(ratelimit.PerMinute(opt.ipPerMinute), e.clock.Now)
	}
	for _, cidr := range opt.trustedProxies {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		hcfg.TrustedProxies = append(hcfg.TrustedProxies, n)
	}
	ss := st.SessionStore(0)
	e.sessions = handlers.NewSessions(st, handlers.SessionOptions{Store: ss, Log: log, Secure: opt.secureCookie})
	hcfg.Sessions, hcfg.PublicURL = e.sessions, opt.publicURL
	ech := handlers.New(hcfg)
	quests := quest.New(cfg)
	handlers.NewPlayer(quests, playerData, e.sessions, publicURL).Routes(ech.Group(""))
	api := ech.Group("/api")
	handlers.NewAPI(quests, st, log).Routes(api)
	handlers.NewGameAPI(quests, quest.NewGamePlayers(quest.GamePlayersConfig{Store: st, Cohorts: quest.NewPlayers(st), Check: quests,
		Accounts: ratelimit.NewMemory(ratelimit.PerMinute(gameSignInsPerMinute), e.clock.Now)})).Routes(api)
	handlers.NewEmbed(quests, st, bundle, publicURL, e.clock.Now).Routes(ech.Group("/embed"))
	e.echo = ech
	handlers.NewProfile(quest.NewPlayers(st), e.sessions).Routes(ech.Group(""))
	var inbox handlers.PhoneInbox
	if opt.sandbox {
		e.inbox = &fakeInbox{}
		inbox = e.inbox
	}
	handlers.NewSandboxPhone(quests, inbox, e.sessions).Routes(ech.Group(""))
	e.srv = httptest.NewServer(ech)
	t.Cleanup(e.srv.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Redirects are checked by hand: a test sees the 303 itself.
	e.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return e
}

// page is a response with its body read and parsed.
type page struct {
	status int
	// redirected is the status of the POST that redirected here (303
	// after a HACK without JavaScript), 0 when there was none.
	redirected int
	// redirectHeader are the POST's response headers when it redirected.
	redirectHeader http.Header
	header         http.Header
	body           string
	doc            *goquery.Document
}

// text returns the trimmed text of the first element with data-testid id.
func (p page) text(id string) string {
	return squash(p.find(id).First().Text())
}

// squash trims s and collapses its runs of white space into one space, as
// a browser shows them, except the narrow no-break space French
// typography puts before "!" or ":", which is text, not layout.
func squash(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) && r != '\u202f' }), " ")
}

// find selects the elements with data-testid id.
func (p page) find(id string) *goquery.Selection {
	return p.doc.Find(`[data-testid="` + id + `"]`)
}

// attr returns an attribute of the first element with data-testid id.
func (p page) attr(id, name string) string {
	v, _ := p.find(id).First().Attr(name)
	return v
}

func (e *env) do(req *http.Request) page {
	e.t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(b)))
	if err != nil {
		e.t.Fatal(err)
	}
	if tok, ok := doc.Find(`meta[name="csrf-token"]`).Attr("content"); ok && tok != "" {
		e.csrf, e.csrfSession = tok, e.session()
	}
	if loc := resp.Header.Get("Location"); req.Method == http.MethodPost && resp.StatusCode == http.StatusSeeOther &&
		strings.HasPrefix(loc, "/submissions/") && !e.noFollow {
		// A HACK without JavaScript answers Post/Redirect/Get: the
		// browser opens the attempt's page, in the same language.
		p := e.get(loc, "Accept-Language", req.Header.Get("Accept-Language"))
		p.redirected, p.redirectHeader = resp.StatusCode, resp.Header
		return p
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b), doc: doc}
}

// get requests path with headers given as name, value pairs.
func (e *env) get(path string, headers ...string) page {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	setHeaders(req, headers)
	return e.do(req)
}

// token returns the CSRF token a page gives the test's browser, loading
// one when the browser has none yet (or its session was renewed since),
// following redirects, as a player opens a page before sending its form.
func (e *env) token() string {
	e.t.Helper()
	if e.csrfSession != e.session() {
		// The token was read in another session (none, or one since
		// renewed): the browser reads the new one on its next page.
		e.csrf = ""
	}
	path := cmp.Or(e.tokenPage, "/")
	for range 3 {
		if e.csrf != "" {
			break
		}
		p := e.get(path)
		if path = p.header.Get("Location"); !strings.HasPrefix(path, "/") {
			break
		}
	}
	if e.csrf == "" {
		e.t.Fatalf("no csrf-token meta tag on %s", cmp.Or(e.tokenPage, "/"))
	}
	return e.csrf
}

// post sends form to path, URL-encoded, with headers as in get, the way a
// browser sends a page's form: with the page's CSRF token, in the form's
// hidden field, or for htmx in the X-CSRF-Token header app.js adds.
func (e *env) post(path string, form url.Values, headers ...string) page {
	e.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if slices.Contains(headers, "HX-Request") {
		headers = append(headers, "X-CSRF-Token", e.token())
	} else {
		f.Set("_csrf", e.token())
	}
	return e.postNoCSRF(path, f.Encode(), e.firstForm(headers)...)
}

// postRaw sends body as a URL-encoded form, with the CSRF token in the
// header.
func (e *env) postRaw(path, body string, headers ...string) page {
	e.t.Helper()
	return e.postNoCSRF(path, body, e.firstForm(append(headers, "X-CSRF-Token", e.token()))...)
}

// firstForm adds to headers what a browser sends with a form from a page
// that saved no session (a visitor who only read): Sec-Fetch-Site:
// same-origin, since such a page's token is bound to no session. A test
// that sets Sec-Fetch-Site itself keeps its own.
func (e *env) firstForm(headers []string) []string {
	if slices.Contains(headers, "Sec-Fetch-Site") {
		return headers
	}
	if e.session() != "" {
		return headers
	}
	return append(headers, "Sec-Fetch-Site", "same-origin")
}

// session is the session cookie the test's browser holds, "" when none.
func (e *env) session() string {
	u, _ := url.Parse(e.srv.URL)
	for _, c := range e.client.Jar.Cookies(u) {
		if e.sessions != nil && c.Name == e.sessions.CookieName() {
			return c.Value
		}
	}
	return ""
}

// postNoCSRF sends body as it is: a token only if the test put one in.
func (e *env) postNoCSRF(path, body string, headers ...string) page {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	setHeaders(req, headers)
	return e.do(req)
}

func setHeaders(req *http.Request, kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
}

// firstAction is the page a test's browser opens to become a player: the
// home page makes none, opening an objective does.
const firstAction = "/objectives/send-sms"

// playerID is the id of the player the test's browser became, creating
// it by opening an objective when needed.
func (e *env) playerID() string {
	e.t.Helper()
	return e.playerOf(e.client)
}

// playerOf is the id of the player browser c is, opening an objective
// once when needed.
func (e *env) playerOf(c *http.Client) string {
	e.t.Helper()
	u, _ := url.Parse(e.srv.URL)
	for range 2 {
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == e.sessions.CookieName() {
				id, err := e.sessions.PlayerIDOf(context.Background(), ck.Value)
				if err != nil {
					e.t.Fatal(err)
				}
				if id != "" {
					return id
				}
			}
		}
		resp, err := c.Get(e.srv.URL + firstAction)
		if err != nil {
			e.t.Fatal(err)
		}
		resp.Body.Close()
	}
	e.t.Fatal("no session cookie after opening an objective")
	return ""
}

// msg is the bundle's message id in lang, failing the test when the
// message is missing, so a test never compares a key with itself.
func (e *env) msg(lang, id string, data ...map[string]any) string {
	e.t.Helper()
	l := e.bundle.Localizer(lang)
	if !l.Has(id) {
		e.t.Fatalf("no message %q in %s", id, lang)
	}
	return l.T(id, data...)
}

// accept returns the header pair asking for lang.
func accept(lang string) []string { return []string{"Accept-Language", lang} }

// htmx marks a request as htmx's.
var htmx = []string{"HX-Request", "true"}

// passing is a verifier that passes every SID with a message of body.
func passing(body string) func(context.Context, quest.CheckRequest) (quest.Verdict, error) {
	return func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		sid := quest.Normalize(req.SID)
		return quest.Verdict{Passed: true, SID: sid, Message: &quest.Message{
			SID: sid, AccountSID: req.Credentials.AccountSID, Status: "delivered", Direction: "outbound-api",
			To: "+15558675310", From: "+15017122661", Body: body,
		}}, nil
	}
}

// saveCredentials stores credentials for the test's player directly.
func (e *env) saveCredentials(c quest.Credentials) {
	e.t.Helper()
	c.PlayerID = e.playerID()
	if err := e.store.SaveCredentials(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
}
