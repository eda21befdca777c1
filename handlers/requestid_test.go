package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/logging"
)

// brokenLimiter fails every Take, as a shared store that is down would.
type brokenLimiter struct{}

func (brokenLimiter) Take(context.Context, string) (bool, time.Duration, error) {
	return false, 0, errors.New("limiter store unreachable")
}

// Every line a request logs carries its id, the one the response's
// X-Request-Id header gives support, even the middleware's warnings.
func TestEveryLogLineOfARequestCarriesItsID(t *testing.T) {
	var buf lockedBuffer
	log, err := logging.New(&buf, "json", "debug")
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := handlers.New(handlers.Config{Log: log, Locales: bundle, IPLimiter: brokenLimiter{}})
	e.GET("/boom", func(echo.Context) error { return errors.New("kaboom") })
	srv := httptest.NewServer(e)
	defer srv.Close()

	ids := map[string]bool{}
	for _, path := range []string{"/boom", "/no-such-page"} {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Forwarded-For", "203.0.113.9") // no proxy trusted: a warning
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		ids[res.Header.Get(echo.HeaderXRequestID)] = true
	}

	logs := string(buf.Bytes())
	msgs := map[string]bool{}
	for line := range strings.Lines(logs) {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		id, _ := l["request_id"].(string)
		if !ids[id] {
			t.Errorf("a line without its request's id: %s", line)
		}
		msgs[l["msg"].(string)] = true
	}
	for _, want := range []string{"per-address limiter failed, request let through", "request failed", "request"} {
		if !msgs[want] {
			t.Errorf("no %q line in:\n%s", want, logs)
		}
	}
}

// A client's X-Request-Id is kept only when it is short and plain: every
// log line, stored attempt, error page and response would otherwise carry
// whatever it sent, 40 KB or markup. Any other gets a fresh id.
func TestClientRequestIDIsKeptOnlyWhenShortAndPlain(t *testing.T) {
	bundle, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ids  []string // the request's X-Request-Id headers
		kept bool
	}{
		{"a proxy's id", []string{"f3b2c1d0-8a7e-4c5b-9d6f-0123456789ab"}, true},
		{"every allowed character", []string{"Az09._:-"}, true},
		{"64 characters", []string{strings.Repeat("a", 64)}, true},
		{"65 characters", []string{strings.Repeat("a", 65)}, false},
		{"40 KB", []string{strings.Repeat("x", 40<<10)}, false},
		{"markup", []string{"<script>alert(1)</script>"}, false},
		{"a space", []string{"client id 0001"}, false},
		{"a slash", []string{"client/id/0001"}, false},
		{"non-ASCII", []string{"abcé"}, false},
		{"two headers", []string{"first-id-0001", "second-id-0002"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf lockedBuffer
			log, err := logging.New(&buf, "json", "debug")
			if err != nil {
				t.Fatal(err)
			}
			e := handlers.New(handlers.Config{Log: log, Locales: bundle})
			e.GET("/boom", func(echo.Context) error { return errors.New("kaboom") })
			srv := httptest.NewServer(e)
			defer srv.Close()
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/boom", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header[echo.HeaderXRequestID] = tc.ids
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			got := res.Header.Get(echo.HeaderXRequestID)
			if tc.kept {
				if got != tc.ids[0] {
					t.Errorf("X-Request-Id %q, want the client's %q", got, tc.ids[0])
				}
				return
			}
			if got == "" || len(got) > 64 || slices.Contains(tc.ids, got) {
				t.Errorf("X-Request-Id %.80q, want a fresh one", got)
			}
			if !strings.Contains(string(body), got) {
				t.Errorf("the error page does not show the fresh id %q", got)
			}
			logs := string(buf.Bytes())
			if !strings.Contains(logs, `"request_id":"`+got+`"`) {
				t.Errorf("the log does not carry the fresh id %q:\n%s", got, logs)
			}
			for _, id := range tc.ids {
				if strings.Contains(logs, id) || strings.Contains(string(body), id) {
					t.Errorf("the client's id %.80q was logged or shown", id)
				}
			}
		})
	}
}
