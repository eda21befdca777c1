package sandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/internal/testkit/fakeclock"
	"github.com/questgate/questgate/store"
)

// fakeLimiter allows the first n events per key, then refuses with a
// wait of one minute; it records the keys it was asked about.
type fakeLimiter struct {
	mu    sync.Mutex
	n     int
	taken map[string]int
}

func newFakeLimiter(n int) *fakeLimiter { return &fakeLimiter{n: n, taken: map[string]int{}} }

func (l *fakeLimiter) Take(_ context.Context, key string) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.taken[key] >= l.n {
		return false, time.Minute, nil
	}
	l.taken[key]++
	return true, 0, nil
}

// newEnvWith is newEnv with opts (its clock and step are the test's).
func newEnvWith(t *testing.T, opts Options) *env {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	clk := fakeclock.New(start)
	opts.Now, opts.Step = clk.Now, time.Second
	sb := New(st, opts)
	e := echo.New()
	sb.Routes(e.Group("/sandbox"))
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &env{sb: sb, clock: clk, srv: srv, base: srv.URL + "/sandbox"}
}

// TestAccountCreationIsLimitedPerAddress: an address that has created its
// budget of accounts gets Twilio's 429 with Retry-After, and no account.
func TestAccountCreationIsLimitedPerAddress(t *testing.T) {
	accounts := newFakeLimiter(2)
	e := newEnvWith(t, Options{NewAccounts: accounts})
	for i, want := range []int{http.StatusCreated, http.StatusCreated, http.StatusTooManyRequests} {
		r := e.do(t, req{method: http.MethodPost, path: "/accounts", noAuth: true})
		if want == http.StatusTooManyRequests {
			validateError(t, r, http.StatusTooManyRequests, 20429)
			if r.header.Get("Retry-After") != "60" {
				t.Errorf("Retry-After = %q, want 60", r.header.Get("Retry-After"))
			}
			continue
		}
		if r.status != want {
			t.Fatalf("account %d: status %d: %s", i+1, r.status, r.body)
		}
	}
	if accounts.taken["127.0.0.1"] != 2 {
		t.Errorf("limiter keys %v, want two accounts for 127.0.0.1", accounts.taken)
	}
	// A name Twilio would refuse costs nothing.
	bad := newFakeLimiter(0)
	e = newEnvWith(t, Options{NewAccounts: bad})
	r := e.do(t, req{method: http.MethodPost, path: "/accounts", noAuth: true,
		form: url.Values{"FriendlyName": {strings.Repeat("x", 65)}}})
	validateError(t, r, http.StatusBadRequest, 20002)
	// CreateAccount, which the CLI and questgate call, is not an address's.
	if _, err := e.sb.CreateAccount(t.Context(), ""); err != nil {
		t.Errorf("CreateAccount: %v", err)
	}
}

// TestRequestsAreLimitedPerAddress: every API route takes from the
// address's budget, in Twilio's shape; questgate's own checks in process
// do not.
func TestRequestsAreLimitedPerAddress(t *testing.T) {
	requests := newFakeLimiter(1)
	e := newEnvWith(t, Options{Requests: requests})
	a := e.account(t)
	first := e.do(t, req{method: http.MethodGet, path: "/2010-04-01/Accounts/" + a.SID + ".json", user: a.SID, pass: a.AuthToken})
	if first.status != http.StatusOK {
		t.Fatalf("first request: %d %s", first.status, first.body)
	}
	for _, r := range []req{
		{method: http.MethodGet, path: "/2010-04-01/Accounts/" + a.SID + ".json", user: a.SID, pass: a.AuthToken},
		{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json", form: sms("+15558675310", "hi"), user: a.SID, pass: a.AuthToken},
		{method: http.MethodPost, path: "/accounts", noAuth: true},
		{method: http.MethodGet, path: "/2010-04-01/Nowhere.json", noAuth: true},
	} {
		got := e.do(t, r)
		validateError(t, got, http.StatusTooManyRequests, 20429)
		if got.header.Get("Retry-After") == "" {
			t.Errorf("%s %s: no Retry-After", r.method, r.path)
		}
	}
	if msgs, _ := e.sb.st.SandboxMessages(t.Context(), store.SandboxMessageFilter{AccountSID: a.SID}); len(msgs) != 0 {
		t.Errorf("a refused request stored %d messages", len(msgs))
	}

	hr, err := http.NewRequestWithContext(t.Context(), http.MethodGet,
		"https://api.twilio.com/2010-04-01/Accounts/"+a.SID+".json", nil)
	if err != nil {
		t.Fatal(err)
	}
	hr.SetBasicAuth(a.SID, a.AuthToken)
	res, err := InProcess(e.sb).RoundTrip(hr)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("in process: %d, want 200 whatever the address's budget", res.StatusCode)
	}
}

// TestWritesAreLimitedPerAddress: what stores something (a message, a
// call, an inbound text, a key) takes from a budget of its own, so one
// address cannot fill the database at the full request rate; reading
// goes on, and creating an account has its own budget.
func TestWritesAreLimitedPerAddress(t *testing.T) {
	writes := newFakeLimiter(1)
	e := newEnvWith(t, Options{Writes: writes})
	a := e.account(t)
	msg := req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json", form: sms("+15558675310", "hi"), user: a.SID, pass: a.AuthToken}
	if got := e.do(t, msg); got.status != http.StatusCreated {
		t.Fatalf("first message: %d %s", got.status, got.body)
	}
	for _, r := range []req{
		msg,
		{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Calls.json",
			form: url.Values{"To": {"+15558675310"}, "From": {"+15005550006"}, "Url": {"http://demo.twilio.com/docs/voice.xml"}}, user: a.SID, pass: a.AuthToken},
		{method: http.MethodPost, path: "/accounts/" + a.SID + "/inbound", form: url.Values{"From": {"+15558675310"}, "To": {"+15005550006"}, "Body": {"hi"}}, user: a.SID, pass: a.AuthToken},
		{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Keys.json", user: a.SID, pass: a.AuthToken},
	} {
		got := e.do(t, r)
		validateError(t, got, http.StatusTooManyRequests, 20429)
		if got.header.Get("Retry-After") == "" {
			t.Errorf("%s %s: no Retry-After", r.method, r.path)
		}
	}
	if msgs, _ := e.sb.st.SandboxMessages(t.Context(), store.SandboxMessageFilter{AccountSID: a.SID}); len(msgs) != 1 {
		t.Errorf("%d messages stored, want the first one only", len(msgs))
	}
	for _, r := range []req{
		{method: http.MethodGet, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json", user: a.SID, pass: a.AuthToken},
		{method: http.MethodPost, path: "/accounts", noAuth: true},
	} {
		if got := e.do(t, r); got.status >= 400 {
			t.Errorf("%s %s: %d, want it to take nothing from the writes' budget", r.method, r.path, got.status)
		}
	}
}

// TestServerLimitsTheConnectionsAddress: the standalone server counts
// the connection's address, not one a client claims in X-Forwarded-For.
func TestServerLimitsTheConnectionsAddress(t *testing.T) {
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	accounts := newFakeLimiter(1)
	srv := newTestServer(t, New(st, Options{NewAccounts: accounts}))
	for i, want := range []int{http.StatusCreated, http.StatusTooManyRequests} {
		hr, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/sandbox/accounts", nil)
		if err != nil {
			t.Fatal(err)
		}
		hr.Header.Set("X-Forwarded-For", "203.0.113."+string(rune('1'+i)))
		hr.Header.Set("X-Real-Ip", "203.0.113."+string(rune('1'+i)))
		res, err := srv.Client().Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("account %d: %d, want %d", i+1, res.StatusCode, want)
		}
	}
	if len(accounts.taken) != 1 || accounts.taken["127.0.0.1"] != 1 {
		t.Errorf("limiter keys %v, want only 127.0.0.1", accounts.taken)
	}
}

// TestQuotaPerAccount: once an account holds its quota of messages, calls,
// media or keys, the next one is Twilio's 429 and nothing more is stored;
// another account is not affected.
func TestQuotaPerAccount(t *testing.T) {
	msgs := func(a Account) string { return "/2010-04-01/Accounts/" + a.SID + "/Messages.json" }
	mms := func(n int) url.Values {
		f := sms("+15558675310", "look")
		for range n {
			f.Add("MediaUrl", "https://example.com/cat.png")
		}
		return f
	}
	call := url.Values{"From": {"+15017122661"}, "To": {"+15558675310"}, "Url": {"https://example.com/twiml"}}
	inbound := url.Values{"From": {"+15558675310"}, "To": {"+15017122661"}, "Body": {"hi"}, "ReplyBody": {"hello"}}
	tests := []struct {
		name  string
		quota Quota
		path  func(Account) string
		forms []url.Values // all but the last fit the quota
	}{
		{"messages", Quota{Messages: 2}, msgs, []url.Values{sms("+15558675310", "1"), sms("+15558675310", "2"), sms("+15558675310", "3")}},
		{"media", Quota{Media: 3}, msgs, []url.Values{mms(2), mms(1), mms(1)}},
		{"calls", Quota{Calls: 1}, func(a Account) string { return "/2010-04-01/Accounts/" + a.SID + "/Calls.json" },
			[]url.Values{call, call}},
		{"keys", Quota{Keys: 1}, func(a Account) string { return "/2010-04-01/Accounts/" + a.SID + "/Keys.json" },
			[]url.Values{{}, {}}},
		{"inbound texts and replies are messages", Quota{Messages: 3},
			func(a Account) string { return "/accounts/" + a.SID + "/inbound" }, []url.Values{inbound, inbound}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, Options{Quota: tt.quota})
			a, other := e.account(t), e.account(t)
			last := len(tt.forms) - 1
			for i, f := range tt.forms {
				r := e.do(t, req{method: http.MethodPost, path: tt.path(a), form: f, user: a.SID, pass: a.AuthToken})
				if i < last {
					if r.status != http.StatusCreated {
						t.Fatalf("request %d: %d %s", i+1, r.status, r.body)
					}
					continue
				}
				validateError(t, r, http.StatusTooManyRequests, 20429)
				if !strings.Contains(string(r.body), "quota") {
					t.Errorf("refusal does not name the quota: %s", r.body)
				}
			}
			r := e.do(t, req{method: http.MethodPost, path: tt.path(other), form: tt.forms[0], user: other.SID, pass: other.AuthToken})
			if r.status != http.StatusCreated {
				t.Errorf("another account: %d %s", r.status, r.body)
			}
		})
	}
}

// TestQuotaRefusalStoresNothing: the refused message is not listed.
func TestQuotaRefusalStoresNothing(t *testing.T) {
	e := newEnvWith(t, Options{Quota: Quota{Messages: 1}})
	a := e.account(t)
	e.send(t, a, sms("+15558675310", "kept"))
	r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json",
		form: sms("+15558675310", "refused"), user: a.SID, pass: a.AuthToken})
	validateError(t, r, http.StatusTooManyRequests, 20429)
	list := e.do(t, req{method: http.MethodGet, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json", user: a.SID, pass: a.AuthToken})
	var out struct{ Messages []struct{ Body string } }
	if err := json.Unmarshal(list.body, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || out.Messages[0].Body != "kept" {
		t.Errorf("messages %+v, want only the one within the quota", out.Messages)
	}
}

// TestLongMediaURLIsRefused: a MediaUrl longer than 1024 bytes is
// Twilio's invalid media URL (21620), and the answer does not echo it.
func TestLongMediaURLIsRefused(t *testing.T) {
	e := newEnvWith(t, Options{})
	a := e.account(t)
	long := "https://example.com/" + strings.Repeat("a", 25<<10)
	for _, tt := range []struct {
		url  string
		want int
	}{
		{"https://example.com/" + strings.Repeat("a", maxMediaURL-len("https://example.com/")), http.StatusCreated},
		{long, http.StatusBadRequest},
	} {
		f := sms("+15558675310", "look")
		f.Add("MediaUrl", tt.url)
		r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json", form: f, user: a.SID, pass: a.AuthToken})
		if tt.want == http.StatusBadRequest {
			validateError(t, r, http.StatusBadRequest, 21620)
			if len(r.body) > 1024 {
				t.Errorf("the refusal is %d bytes: it echoes the URL", len(r.body))
			}
		} else if r.status != tt.want {
			t.Errorf("URL of %d bytes: %d %s", len(tt.url), r.status, r.body)
		}
	}
	// Eleven media are refused as on Twilio.
	f := sms("+15558675310", "look")
	for range 11 {
		f.Add("MediaUrl", "https://example.com/cat.png")
	}
	r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json", form: f, user: a.SID, pass: a.AuthToken})
	validateError(t, r, http.StatusBadRequest, 21623)
}
