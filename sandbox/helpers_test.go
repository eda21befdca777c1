package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/questgate/questgate/internal/testkit/fakeclock"
	"github.com/questgate/questgate/store"
)

// env is a sandbox on a real SQLite store behind an httptest server that
// mounts it the way questgate does: a group at /sandbox of an Echo whose
// error handler is echo's default.
type env struct {
	sb    *Sandbox
	clock *fakeclock.Clock
	srv   *httptest.Server
	base  string // srv.URL + "/sandbox"
}

// start is the test clock's origin, a whole second so dates render
// without rounding surprises.
var start = time.Date(2026, 5, 24, 17, 44, 46, 0, time.UTC)

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	clk := fakeclock.New(start)
	sb := New(st, Options{Now: clk.Now, Step: time.Second})
	e := echo.New()
	sb.Routes(e.Group("/sandbox"))
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &env{sb: sb, clock: clk, srv: srv, base: srv.URL + "/sandbox"}
}

// account creates a sandbox account directly.
func (e *env) account(t *testing.T) Account {
	t.Helper()
	a, err := e.sb.CreateAccount(t.Context(), "test")
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	return a
}

// req describes one HTTP request to the test server.
type req struct {
	method string
	path   string // relative to /sandbox
	form   url.Values
	user   string
	pass   string
	noAuth bool
	header map[string]string
	body   string // raw body, used when form is nil
}

// resp is what came back.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

func (e *env) do(t *testing.T, r req) resp {
	t.Helper()
	var body io.Reader
	switch {
	case r.form != nil:
		body = strings.NewReader(r.form.Encode())
	case r.body != "":
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequestWithContext(t.Context(), r.method, e.base+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.form != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if !r.noAuth {
		hr.SetBasicAuth(r.user, r.pass)
	}
	res, err := e.srv.Client().Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// send posts a message as account a and returns its decoded resource.
func (e *env) send(t *testing.T, a Account, form url.Values) map[string]any {
	t.Helper()
	r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json",
		form: form, user: a.SID, pass: a.AuthToken})
	if r.status != http.StatusCreated {
		t.Fatalf("send: status %d: %s", r.status, r.body)
	}
	return r.json(t)
}

func sms(to, body string) url.Values {
	return url.Values{"From": {"+15017122661"}, "To": {to}, "Body": {body}}
}

func messagePath(a Account, sid string) string {
	return "/2010-04-01/Accounts/" + a.SID + "/Messages/" + sid + ".json"
}

// newTestServer serves sb with Server, the standalone Echo.
func newTestServer(t *testing.T, sb *Sandbox) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(Server(sb))
	t.Cleanup(srv.Close)
	return srv
}
