package handlers

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/templates"
)

// TestReadersCostNoSessionAndFirstFormsStillWork: a route that loads the
// session without saving anything (a visitor who only reads, as the
// player pages' readers are) leaves no session and no cookie behind, and
// its page's token is bound to nothing. The visitor's first form then
// passes from a browser's own page (Sec-Fetch-Site: same-origin); from a
// client that does not say, it is refused and a session begins, so the
// reloaded page's token works; from a sibling origin it is refused and
// nothing begins.
func TestReadersCostNoSessionAndFirstFormsStillWork(t *testing.T) {
	bundle, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	sessions := NewSessions(nil, SessionOptions{})
	ech := New(Config{Log: slog.New(slog.DiscardHandler), Locales: bundle, Sessions: sessions})
	read := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, _, err := sessions.load(c)
			if err != nil {
				return err
			}
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
	ech.GET("/read", func(c echo.Context) error { return c.String(http.StatusOK, templates.CSRF(c.Request().Context())) }, read)
	ech.POST("/act", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, sessions.LoadAndSave())

	get := func(cookies []*http.Cookie) (token string, set []*http.Cookie) {
		req := httptest.NewRequest(http.MethodGet, "/read", nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		ech.ServeHTTP(rec, req)
		return rec.Body.String(), rec.Result().Cookies()
	}
	post := func(token string, cookies []*http.Cookie, fetchSite string) (int, []*http.Cookie) {
		req := httptest.NewRequest(http.MethodPost, "/act", strings.NewReader(url.Values{templates.CSRFField: {token}}.Encode()))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
		if fetchSite != "" {
			req.Header.Set(echo.HeaderSecFetchSite, fetchSite)
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		ech.ServeHTTP(rec, req)
		return rec.Code, rec.Result().Cookies()
	}

	unbound, set := get(nil)
	if unbound == "" || len(set) != 0 {
		t.Fatalf("a reader's page: token %q, cookies %v; want a token and no cookie", unbound, set)
	}
	if again, _ := get(nil); again == unbound {
		t.Error("two readers' pages carry the same token")
	}
	if code, _ := post(unbound, nil, "same-origin"); code != http.StatusNoContent {
		t.Errorf("the first form from the browser's own page: %d, want 204", code)
	}
	if code, set := post(unbound, nil, "same-site"); code != http.StatusForbidden || len(set) != 0 {
		t.Errorf("the unbound token from a sibling origin: %d, cookies %v; want 403 and no session", code, set)
	}
	code, session := post(unbound, nil, "")
	if code != http.StatusForbidden || len(session) != 1 || session[0].Name != SessionCookie {
		t.Fatalf("the unbound token from a client that does not say where it comes from: %d, cookies %v; want 403 and a session",
			code, session)
	}
	bound, _ := get(session)
	if code, _ := post(bound, session, ""); code != http.StatusNoContent {
		t.Errorf("after reloading the page: %d, want 204", code)
	}
	if code, _ := post(unbound, session, ""); code != http.StatusForbidden {
		t.Errorf("the old page's token with the new session: %d, want 403", code)
	}
}
