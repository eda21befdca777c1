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
	"github.com/questgate/questgate/templates"
)

// BenchmarkDefences measures what the web defences add to a request: a
// trivial GET and a form POST with its CSRF token, through every
// middleware New installs (per-address limit on) and the session's.
func BenchmarkDefences(b *testing.B) {
	bundle, err := locale.Load()
	if err != nil {
		b.Fatal(err)
	}
	sessions := handlers.NewSessions(nil, handlers.SessionOptions{})
	e := handlers.New(handlers.Config{Log: slog.New(slog.DiscardHandler), Locales: bundle,
		IPLimiter: ratelimit.NewMemory(ratelimit.PerMinute(1_000_000), nil), Sessions: sessions})
	ok := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	e.GET("/x", func(c echo.Context) error {
		return c.String(http.StatusOK, templates.CSRF(c.Request().Context()))
	}, sessions.LoadAndSave())
	e.POST("/x", ok, sessions.LoadAndSave())
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	token := rec.Body.String()
	cookies := rec.Result().Cookies()
	body := url.Values{"_csrf": {token}, "sid": {"SM0123456789abcdef0123456789abcdef"}}.Encode()
	b.Run("GET", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			e.ServeHTTP(httptest.NewRecorder(), req)
		}
	})
	b.Run("POST form", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for _, c := range cookies {
				req.AddCookie(c)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != http.StatusNoContent {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}
