package handlers_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/ratelimit"
)

// BenchmarkDefences measures what the web defences add to a request: a
// trivial GET and a form POST with its CSRF token, through every
// middleware New installs (per-address limit on).
func BenchmarkDefences(b *testing.B) {
	bundle, err := locale.Load()
	if err != nil {
		b.Fatal(err)
	}
	e := handlers.New(handlers.Config{Log: slog.New(slog.DiscardHandler), Locales: bundle,
		IPLimiter: ratelimit.NewMemory(ratelimit.PerMinute(1_000_000), nil)})
	ok := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	e.GET("/x", ok)
	e.POST("/x", ok)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	var token string
	for _, c := range rec.Result().Cookies() {
		if c.Name == "questgate_csrf" {
			token = c.Value
		}
	}
	body := url.Values{"_csrf": {token}, "sid": {"SM0123456789abcdef0123456789abcdef"}}.Encode()
	b.Run("GET", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
		}
	})
	b.Run("POST form", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: "questgate_csrf", Value: token})
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != http.StatusNoContent {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}
