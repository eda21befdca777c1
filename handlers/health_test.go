package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/metrics"
	"github.com/questgate/questgate/quest"
)

// fakeReady answers Ready with its function.
type fakeReady struct{ ready func(context.Context) error }

func (f fakeReady) Ready(ctx context.Context) error { return f.ready(ctx) }

// stingyLimiter lets one request through per address, then refuses, and
// counts what it was asked.
type stingyLimiter struct{ taken atomic.Int32 }

func (l *stingyLimiter) Take(context.Context, string) (bool, time.Duration, error) {
	if l.taken.Add(1) > 1 {
		return false, time.Minute, nil
	}
	return true, 0, nil
}

// healthServer is a server with every middleware of questgate (a
// per-address limit of one request included) and the operations routes.
func healthServer(t *testing.T, ready func(context.Context) error, m http.Handler, token string) (*httptest.Server, *stingyLimiter) {
	t.Helper()
	bundle, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	lim := &stingyLimiter{}
	e := handlers.New(handlers.Config{Log: slog.New(slog.DiscardHandler), Locales: bundle, IPLimiter: lim})
	handlers.NewHealth(fakeReady{ready}, m, token, nil).Routes(e.Group(""))
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv, lim
}

type answer struct {
	status int
	header http.Header
	body   string
}

func fetch(t *testing.T, method, url string, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, string(b)}
}

func TestHealthRoutes(t *testing.T) {
	broken := errors.New("database unreachable: disk on fire")
	slow := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	tests := []struct {
		name       string
		ready      func(context.Context) error
		path       string
		wantStatus int
		wantBody   string
	}{
		{"alive, whatever the database", func(context.Context) error { return broken }, "/healthz", 200, "ok"},
		{"ready", func(context.Context) error { return nil }, "/readyz", 200, `"status":"ready"`},
		// The answer is public: the reason is generic, the detail is logged.
		{"database down", func(context.Context) error { return broken }, "/readyz", 503, `"reason":"database unavailable"`},
		{"database too slow", slow, "/readyz", 503, `"reason":"database unavailable"`},
		{"migrations pending", func(context.Context) error { return fmt.Errorf("check: %w", quest.ErrMigrationsPending) },
			"/readyz", 503, "migrations pending"},
		{"metrics", nil, "/metrics", 200, "questgate_verifications_total"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New()
			m.Verification("awarded", time.Second, time.Second)
			srv, _ := healthServer(t, tt.ready, m.Handler(), "")
			got := fetch(t, http.MethodGet, srv.URL+tt.path)
			if got.status != tt.wantStatus || !strings.Contains(got.body, tt.wantBody) {
				t.Errorf("GET %s: %d %q, want %d with %q", tt.path, got.status, got.body, tt.wantStatus, tt.wantBody)
			}
			if strings.Contains(got.body, "disk on fire") {
				t.Errorf("GET %s shows the error's detail: %q", tt.path, got.body)
			}
			if cc := got.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			if ck := got.header.Values("Set-Cookie"); len(ck) > 0 {
				t.Errorf("cookies set: %q", ck)
			}
		})
	}
}

// Probes poll from one address: the per-address limit never counts them.
func TestHealthRoutesEscapeThePerAddressLimit(t *testing.T) {
	srv, lim := healthServer(t, func(context.Context) error { return nil }, metrics.New().Handler(), "")
	for range 5 {
		for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
			if got := fetch(t, http.MethodGet, srv.URL+p); got.status != http.StatusOK {
				t.Fatalf("GET %s: %d", p, got.status)
			}
		}
	}
	if n := lim.taken.Load(); n != 0 {
		t.Errorf("the per-address limiter counted %d probe requests", n)
	}
	if got := fetch(t, http.MethodGet, srv.URL+"/no-such-page"); got.status != http.StatusNotFound {
		t.Errorf("the first ordinary request: %d, want 404", got.status)
	}
	if got := fetch(t, http.MethodGet, srv.URL+"/no-such-page"); got.status != http.StatusTooManyRequests {
		t.Errorf("the second ordinary request: %d, want 429", got.status)
	}
}

func TestMetricsToken(t *testing.T) {
	m := metrics.New()
	m.RateLimited()
	m.Verification("not_found", time.Second, 200*time.Millisecond)
	srv, _ := healthServer(t, func(context.Context) error { return nil }, m.Handler(), "s3cret-scrape-token")
	tests := []struct {
		name          string
		authorization string
		want          int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", http.StatusUnauthorized},
		{"basic auth", "Basic czNjcmV0LXNjcmFwZS10b2tlbg==", http.StatusUnauthorized},
		{"right token", "Bearer s3cret-scrape-token", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h []string
			if tt.authorization != "" {
				h = []string{"Authorization", tt.authorization}
			}
			got := fetch(t, http.MethodGet, srv.URL+"/metrics", h...)
			if got.status != tt.want {
				t.Fatalf("status %d, want %d", got.status, tt.want)
			}
			counted := strings.Contains(got.body, `questgate_verifications_total{outcome="failed",reason="not_found"} 1`) &&
				strings.Contains(got.body, "questgate_rate_limited_total 1")
			if counted != (tt.want == http.StatusOK) {
				t.Errorf("metrics shown: %v, want %v", counted, tt.want == http.StatusOK)
			}
			if tt.want == http.StatusUnauthorized && got.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// The other probes stay open: an orchestrator has no token.
	if got := fetch(t, http.MethodGet, srv.URL+"/healthz"); got.status != http.StatusOK {
		t.Errorf("/healthz with a metrics token: %d", got.status)
	}
}
