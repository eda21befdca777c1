package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
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
