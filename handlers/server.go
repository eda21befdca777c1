// Package handlers is questgate's HTTP layer, outside the domain: it turns
// requests into calls on the domain (quest, and store reads through the
// small interfaces each handler declares, typed with quest values) and
// renders the answers with the templates. It knows HTTP, not SQL nor
// Twilio, and imports neither store nor verifier: cmd/questgate passes the
// *store.Store in.
package handlers

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/logging"
	"github.com/questgate/questgate/static"
	"github.com/questgate/questgate/templates"
)

// Config wires the Echo instance shared by every handler.
type Config struct {
	Log     *slog.Logger
	Locales *locale.Bundle
	// Version is shown in debug info and the page footer.
	Version string
	// MaxBodyBytes bounds every request body outside the sandbox (which
	// bounds its own); larger ones get 413. 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// TrustedProxies are the networks of the reverse proxies in front of
	// questgate, whose X-Forwarded-For and X-Forwarded-Proto are believed.
	// Empty: the connection's own address and scheme count, headers are
	// ignored.
	TrustedProxies []*net.IPNet
	// IPLimiter, when set, bounds the requests each client address makes
	// to everything but the static files and the sandbox. Keep it
	// generous: a classroom behind one NAT shares an address; players are
	// limited one by one by quest's failure budget.
	IPLimiter RequestLimiter
	// Sessions keeps each browser's session, which holds the CSRF token
	// every request that changes something must send; without it every
	// such request outside the exempt routes is refused. Whether its
	// cookie is Secure decides the language cookie's too.
	Sessions *Sessions
	// PublicURL is where players reach questgate; when it is https://,
	// every response carries HSTS, even when a proxy in front terminates
	// TLS.
	PublicURL string
}

// secureCookies reports whether questgate's cookies are Secure and named
// with HostPrefix: as the sessions' cookie is.
func (cfg Config) secureCookies() bool { return cfg.Sessions != nil && cfg.Sessions.Secure() }

// cookieNames are the names of the cookies questgate reads, of which a
// request may carry one each (see refuseDuplicateCookies).
func (cfg Config) cookieNames() []string {
	names := []string{cookieName(langCookie, cfg.secureCookies())}
	if cfg.Sessions != nil {
		names = append(names, cfg.Sessions.CookieName())
	}
	return names
}

// New returns an Echo instance with questgate's middleware, error handler
// and static files. Handlers add their routes with their Routes method.
func New(cfg Config) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	setClientAddress(e, cfg.TrustedProxies)
	e.HTTPErrorHandler = errorHandler(cfg.Log)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, DisablePrintStack: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			cfg.Log.ErrorContext(c.Request().Context(), "panic", "error", err, "stack", string(stack))
			return err
		}}))
	e.Use(clientRequestID)
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		RequestIDHandler: func(c echo.Context, id string) {
			c.SetRequest(c.Request().WithContext(logging.WithRequestID(c.Request().Context(), id)))
		},
	}))
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogMethod: true, LogURIPath: true, LogLatency: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			cfg.Log.LogAttrs(c.Request().Context(), slog.LevelDebug, "request",
				slog.String("method", v.Method), slog.String("path", v.URIPath),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency))
			return nil
		},
	}))
	e.Use(secureHeaders(cfg.PublicURL))
	e.Use(withLocale(cfg.Locales, cfg.secureCookies()))
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.SetRequest(c.Request().WithContext(templates.WithVersion(c.Request().Context(), cfg.Version)))
			return next(c)
		}
	})
	e.Use(defences(cfg)...)
	static.Routes(e.Group("/static"))
	e.GET("/lang/:lang", switchLanguage)
	return e
}

// render writes a templ component as the response with status.
//
// The page is rendered whole into a buffer first, then written at once
// with its length: streamed, a hack panel went out in a write system
// call per 4 KiB chunk (3% of the server's CPU under load), and a
// template that failed halfway left half a page sent under a 200 that
// the error handler could no longer replace.
func render(c echo.Context, status int, t templ.Component) error {
	b := templ.GetBuffer()
	defer releasePageBuffer(b)
	if err := t.Render(c.Request().Context(), b); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set(echo.HeaderContentLength, strconv.Itoa(b.Len()))
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(b.Bytes())
	return err
}

// maxPooledPage bounds the buffers given back to templ's pool for reuse:
// a rare big page (a progress view of 50 players is 340 KiB) is left to
// the collector rather than held on to.
const maxPooledPage = 512 << 10

// releasePageBuffer gives render's buffer back to templ's pool, which
// empties it, unless it grew past maxPooledPage.
func releasePageBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledPage {
		templ.ReleaseBuffer(b)
	}
}

// errorHandler renders every error as a friendly, localised page. Server
// faults (5xx) are logged with their detail; players only see what to do.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status := http.StatusInternalServerError
		var he *echo.HTTPError
		var pe *Problem
		if errors.As(err, &he) {
			status = he.Code
		} else if errors.As(err, &pe) {
			status = pe.Status
		}
		ctx := c.Request().Context()
		if status >= 500 && !errors.Is(err, context.Canceled) {
			log.ErrorContext(ctx, "request failed", "method", c.Request().Method,
				"path", c.Request().URL.Path, "status", status, "error", err)
		}
		if isAPIRequest(c) {
			if rerr := renderProblem(c, err, logging.RequestID(ctx)); rerr != nil {
				log.ErrorContext(ctx, "render problem", "error", rerr)
			}
			return
		}
		props := templates.ErrorProps{Status: status, RequestID: logging.RequestID(ctx)}
		if errors.Is(err, errCSRF) {
			props.Messages = "error.csrf"
		}
		if errors.Is(err, errDuplicateCookie) {
			props.Messages = "error.duplicate_cookie"
		}
		if isHTMX(c) {
			// An error page is a whole page: never swap it into the
			// fragment htmx targets. app.js shows a message instead.
			c.Response().Header().Set("HX-Reswap", "none")
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		if rerr := render(c, status, templates.ErrorPage(props)); rerr != nil {
			log.ErrorContext(ctx, "render error page", "error", rerr)
		}
	}
}

// langCookie remembers a language chosen with the switcher; with
// HostPrefix before it when cookies are Secure.
const langCookie = "questgate_lang"

// withLocale picks the request's language (the switcher's cookie, then
// Accept-Language) and puts its Localizer in the request context. A cookie sent twice counts for nothing: one was planted, and
// the refusal that follows (refuseDuplicateCookies) speaks the browser's
// language. The operations routes negotiate nothing (their answers must
// not vary with the prober's cookies or headers): they get the default
// language, for the rare error page.
func withLocale(b *locale.Bundle, secureCookies bool) echo.MiddlewareFunc {
	fallback := b.Localizer(b.Match("", ""))
	cookie := cookieName(langCookie, secureCookies)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(secureCookiesKey, secureCookies)
			if isOpsRoute(c) {
				c.SetRequest(c.Request().WithContext(locale.With(c.Request().Context(), fallback)))
				return next(c)
			}
			choice := ""
			if cks := c.Request().CookiesNamed(cookie); len(cks) == 1 {
				choice = cks[0].Value
			}
			lang := b.Match(choice, c.Request().Header.Get("Accept-Language"))
			h := c.Response().Header()
			h.Set("Content-Language", lang)
			vary(h, "Accept-Language")
			vary(h, "Cookie")
			c.SetRequest(c.Request().WithContext(locale.With(c.Request().Context(), b.Localizer(lang))))
			return next(c)
		}
	}
}

// switchLanguage stores the chosen language and goes back to the page the
// player was on. It is a plain link, so it works without JavaScript.
func switchLanguage(c echo.Context) error {
	lang := c.Param("lang")
	if !isSupported(lang) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	c.SetCookie(languageCookie(c, lang))
	return c.Redirect(http.StatusSeeOther, localPath(c.QueryParam("next")))
}

// secureCookiesKey holds, in echo's context, whether questgate's cookies
// are Secure (Config.secureCookies), for the language cookie.
const secureCookiesKey = "questgate.secure_cookies"

// languageCookie is the cookie remembering lang: Secure and named with
// HostPrefix when questgate's cookies are, or Secure when the request
// came over TLS.
func languageCookie(c echo.Context, lang string) *http.Cookie {
	secure, _ := c.Get(secureCookiesKey).(bool)
	return &http.Cookie{Name: cookieName(langCookie, secure), Value: lang, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure || c.Scheme() == "https"}
}

func isSupported(lang string) bool { return slices.Contains(locale.Supported, lang) }

// localPath keeps redirects on this site: anything but a plain local path
// becomes "/". Browsers do not read a Location as Go does: they drop tabs
// and line breaks anywhere and read "\\" as "/", so "/\t/evil.example"
// and "/\\evil.example" lead off the site. Only printable ASCII without
// backslashes is kept (a link the pages make is percent-encoded anyway),
// and it must parse as a path of this site: no scheme, no host, not "//".
func localPath(p string) string {
	if len(p) == 0 || p[0] != '/' || strings.HasPrefix(p, "//") {
		return "/"
	}
	for i := range len(p) {
		if b := p[i]; b < 0x21 || b > 0x7e || b == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return p
}

// maxRequestIDLength bounds a request id a client sends in X-Request-Id.
const maxRequestIDLength = 64

// clientRequestID lets a client's (or its proxy's) X-Request-Id through
// only when it is short and of a safe alphabet, [A-Za-z0-9._:-]: the id is
// logged with every line, stored with each attempt and echoed, so a 40 KB
// or markup-laden one would be kept as it came. Any other is dropped, and
// echo's RequestID middleware then makes a fresh one.
func clientRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if ids := h.Values(echo.HeaderXRequestID); len(ids) > 0 && (len(ids) > 1 || !safeRequestID(ids[0])) {
			h.Del(echo.HeaderXRequestID)
		}
		return next(c)
	}
}

func safeRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLength {
		return false
	}
	for i := range len(id) {
		switch b := id[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '.', b == '_', b == ':', b == '-':
		default:
			return false
		}
	}
	return true
}

// vary names header in an answer's Vary, unless it is named there
// already: the language and the session both vary on the cookie, and a
// header named twice is noise to every cache that reads it.
func vary(h http.Header, header string) {
	for _, v := range h.Values("Vary") {
		for name := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(name), header) {
				return
			}
		}
	}
	h.Add("Vary", header)
}
