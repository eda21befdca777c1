package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/store"
)

// closeCounter records whether a request body was closed.
type closeCounter struct {
	io.Reader
	closed bool
}

func (c *closeCounter) Close() error { c.closed = true; return nil }

func TestInProcess(t *testing.T) {
	e := newEnv(t)
	rt := InProcess(e.sb)
	hc := &http.Client{Transport: rt}

	// POST /sandbox/accounts, path already under the prefix.
	res, err := hc.Post("http://sandbox.invalid/sandbox/accounts", "application/json",
		strings.NewReader(`{"friendly_name":"in-process"}`))
	if err != nil {
		t.Fatalf("POST accounts: %v", err)
	}
	var acct struct {
		SID   string `json:"account_sid"`
		Token string `json:"auth_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&acct); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || !acSID.MatchString(acct.SID) {
		t.Fatalf("created %d %+v", res.StatusCode, acct)
	}

	// A Twilio URL, as twilio-go builds it: the prefix is added.
	body := &closeCounter{Reader: strings.NewReader(sms("+15558675310", "in memory").Encode())}
	r, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		"https://api.twilio.com/2010-04-01/Accounts/"+acct.SID+"/Messages.json", body)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(acct.SID, acct.Token)
	res, err = rt.RoundTrip(r)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	if !body.closed {
		t.Error("request body was not closed")
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Body.Close(); err != nil {
		t.Error(err)
	}
	if res.StatusCode != http.StatusCreated || res.Status != "201 Created" || res.Proto != "HTTP/1.1" {
		t.Errorf("status = %d %q %q", res.StatusCode, res.Status, res.Proto)
	}
	if res.Request != r {
		t.Error("Response.Request is not the request sent")
	}
	if res.ContentLength != int64(len(b)) || len(b) == 0 {
		t.Errorf("ContentLength = %d, body %d bytes", res.ContentLength, len(b))
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	validate(t, componentSchema(t, schemaMessage), b)

	// Errors are Twilio's, and a request outside the API under the
	// prefix is still answered in JSON.
	for _, tc := range []struct {
		method, url string
		status      int
		code        int
	}{
		{http.MethodGet, "https://api.twilio.com/2010-04-01/Accounts/" + acct.SID + ".json", 401, 20003}, // no auth
		{http.MethodGet, "https://api.twilio.com/2010-04-01/Nope.json", 404, 20404},
		{http.MethodGet, "https://api.twilio.com/elsewhere", 404, 20404},
		{http.MethodDelete, "https://api.twilio.com/accounts", 405, 20004},
	} {
		req, _ := http.NewRequest(tc.method, tc.url, nil)
		res, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.url, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		validateError(t, resp{status: res.StatusCode, header: res.Header, body: b}, tc.status, tc.code)
	}

	// HEAD has no body.
	head, _ := http.NewRequest(http.MethodHead, "https://api.twilio.com/2010-04-01/Nope.json", nil)
	res, err = rt.RoundTrip(head)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(res.Body); len(b) != 0 || res.ContentLength != 0 {
		t.Errorf("HEAD body = %q, ContentLength %d", b, res.ContentLength)
	}
}

func TestInProcessContext(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)
	rt := InProcess(e.sb)
	newReq := func(ctx context.Context) (*http.Request, *closeCounter) {
		body := &closeCounter{Reader: strings.NewReader(url.Values{"To": {"+15558675310"}}.Encode())}
		r, err := http.NewRequestWithContext(ctx, http.MethodGet,
			"https://api.twilio.com/2010-04-01/Accounts/"+a.SID+".json", body)
		if err != nil {
			t.Fatal(err)
		}
		r.SetBasicAuth(a.SID, a.AuthToken)
		return r, body
	}

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel2()
	tests := []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"cancelled", cancelled, context.Canceled},
		{"deadline passed", expired, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := newReq(tt.ctx)
			res, err := rt.RoundTrip(r)
			if !errors.Is(err, tt.want) || res != nil {
				t.Errorf("RoundTrip = %v, %v; want nil, %v", res, err, tt.want)
			}
			if !body.closed {
				t.Error("request body was not closed")
			}
		})
	}

	t.Run("cancelled while the store is busy", func(t *testing.T) {
		gate := make(chan struct{})
		blocked := New(blockingStore{Store: nil, gate: gate}, Options{})
		ctx, cancel := context.WithCancel(t.Context())
		r, _ := newReq(ctx)
		done := make(chan error, 1)
		go func() {
			_, err := InProcess(blocked).RoundTrip(r)
			done <- err
		}()
		<-gate // the handler is inside the store
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("RoundTrip did not return after cancellation")
		}
	})

	t.Run("through http.Client", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		r, _ := newReq(ctx)
		_, err := (&http.Client{Transport: rt}).Do(r)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

// blockingStore signals on gate when asked for an account, then waits
// for the request's context to end.
type blockingStore struct {
	Store
	gate chan struct{}
}

func (b blockingStore) SandboxAccount(ctx context.Context, _ string) (store.SandboxAccount, error) {
	close(b.gate)
	<-ctx.Done()
	return store.SandboxAccount{}, ctx.Err()
}

func TestServer(t *testing.T) {
	e := newEnv(t)
	srv := newTestServer(t, e.sb)

	get := func(t *testing.T, path, accept string) (int, http.Header, string) {
		t.Helper()
		r, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		res, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(b)
	}

	t.Run("welcome text", func(t *testing.T) {
		status, h, body := get(t, "/", "")
		if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") ||
			!strings.Contains(body, srv.URL+"/sandbox") || !strings.Contains(body, "curl -X POST "+srv.URL+"/sandbox/accounts") {
			t.Errorf("GET / = %d %q\n%s", status, h.Get("Content-Type"), body)
		}
	})
	t.Run("welcome JSON", func(t *testing.T) {
		status, h, body := get(t, "/", "application/json")
		var m map[string]string
		if err := json.Unmarshal([]byte(body), &m); err != nil || status != 200 || h.Get("Content-Type") != "application/json" {
			t.Fatalf("GET / JSON = %d %v: %s", status, err, body)
		}
		if m["api_base"] != srv.URL+"/sandbox" {
			t.Errorf("api_base = %q", m["api_base"])
		}
	})
	t.Run("unknown path", func(t *testing.T) {
		status, h, body := get(t, "/favicon.ico", "")
		validateError(t, resp{status: status, header: h, body: []byte(body)}, 404, 20404)
	})
	t.Run("API works", func(t *testing.T) {
		res, err := srv.Client().Post(srv.URL+"/sandbox/accounts", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Errorf("POST /sandbox/accounts = %d", res.StatusCode)
		}
	})
	t.Run("a panic is a Twilio 500", func(t *testing.T) {
		sb := New(panickingStore{}, Options{})
		srv := newTestServer(t, sb)
		res, err := srv.Client().Post(srv.URL+"/sandbox/accounts", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		validateError(t, resp{status: res.StatusCode, header: res.Header, body: b}, 500, 20500)
	})
}

type panickingStore struct{ Store }

func (panickingStore) CreateSandboxAccount(context.Context, store.SandboxAccount) (store.SandboxAccount, error) {
	panic("boom")
}

// TestRoutesInCallersEcho checks that the API answers in Twilio's shape
// even when mounted in an Echo whose error handler is echo's default, as
// questgate's main server will.
func TestRoutesInCallersEcho(t *testing.T) {
	e := newEnv(t) // newEnv mounts Routes on a plain echo.New()
	for _, path := range []string{"/2010-04-01/Nope", "/2010-04-01/Accounts/AC1/Conferences/CF1.json"} {
		r := e.do(t, req{method: http.MethodGet, path: path, noAuth: true})
		validateError(t, r, http.StatusNotFound, 20404)
	}
}
