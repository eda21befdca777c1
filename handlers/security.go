package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/ratelimit"
	"github.com/questgate/questgate/templates"
)

// DefaultMaxBodyBytes bounds a request body when Config.MaxBodyBytes is 0:
// questgate's forms hold a few short fields, and a player who pastes a
// whole API answer into one still fits.
const DefaultMaxBodyBytes = 64 << 10

// Route prefixes with their own rules. The sandbox is Twilio's API for
// scripts (HTTP Basic auth, no cookies, its own body limits and error
// format); /api is for the JSON API of a later issue, authenticated with
// Bearer tokens. Neither has forms a browser could be tricked into
// sending with the player's cookies, so neither takes a CSRF token.
const (
	sandboxPrefix = "/sandbox"
	apiPrefix     = "/api"
	staticPrefix  = "/static"
)

// RequestLimiter keeps a budget of requests per client address, for the
// per-address limit on the player pages. The contract is package
// ratelimit's (whose *Memory implements it): Take counts one request for
// key, or counts nothing and returns false with the wait (> 0) until it
// could. An error lets the request through.
type RequestLimiter interface {
	Take(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// errCSRF marks a request refused by the CSRF check, so the error page
// says "your session expired, reload" rather than "you cannot do that".
var errCSRF = errors.New("refused by the CSRF check")

// routeUnder reports whether the request was routed to a route registered
// under prefix. It looks at the matched route (c.Path), not at the raw URL,
// so no spelling of a URL can borrow another route's exemption.
func routeUnder(c echo.Context, prefix string) bool {
	p := c.Path()
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}

// defences returns the middleware guarding every request, in order: a
// warning about ignored proxy headers, the per-address limit, the body
// limit, the refusal of duplicated cookies and the CSRF check. They run
// after the locale middleware, so what they refuse is explained in the
// player's language.
func defences(cfg Config) []echo.MiddlewareFunc {
	var mw []echo.MiddlewareFunc
	if len(cfg.TrustedProxies) == 0 {
		mw = append(mw, warnForwardedHeaders(cfg.Log))
	}
	if cfg.IPLimiter != nil {
		mw = append(mw, limitRequestsPerAddress(cfg.IPLimiter, cfg.Log))
	}
	maxBody := cfg.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	return append(mw, limitBody(maxBody), refuseDuplicateCookies(cfg.cookieNames, cfg.Log), checkCSRF(cfg.Sessions, cfg.Log))
}

// setClientAddress tells Echo where a request comes from and whether it
// was sent over TLS. Without trusted proxies only the connection counts:
// X-Forwarded-For and X-Forwarded-Proto are ignored, since anyone can send
// them (and a spoofed address would dodge the per-address limit). With
// trusted proxies, the headers are believed from those networks only, not
// from Echo's default of every private and loopback address.
func setClientAddress(e *echo.Echo, trusted []*net.IPNet) {
	if len(trusted) == 0 {
		e.IPExtractor = echo.ExtractIPDirect()
		e.SchemeExtractor = echo.ExtractSchemeDirect()
		return
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	e.SchemeExtractor = echo.ExtractSchemeFromHeaders(opts...)
}

// warnForwardedHeaders logs once when requests carry X-Forwarded-For while
// no proxy is trusted: questgate probably runs behind a proxy nobody told it
// about, so every player shares the proxy's address.
func warnForwardedHeaders(log *slog.Logger) echo.MiddlewareFunc {
	var once sync.Once
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Request().Header.Get(echo.HeaderXForwardedFor) != "" {
				once.Do(func() {
					log.WarnContext(c.Request().Context(), "requests carry X-Forwarded-For but no proxy is trusted (--trusted-proxies): "+
						"the header is ignored and every client behind that proxy shares one address for the per-address limit",
						"remote_addr", c.Request().RemoteAddr)
				})
			}
			return next(c)
		}
	}
}

// The security headers of every response. The policy allows only
// questgate's own scripts, styles, images and requests: no inline script,
// so injected markup cannot run even if escaping ever failed. Pages show
// SIDs, so no Referer leaves them. No page may be framed, except by the
// origins a route group allows with FrameAncestors.
const (
	cspBase = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors "
	permissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), " +
		"accelerometer=(), gyroscope=(), magnetometer=(), display-capture=()"
	hstsPolicy = "max-age=31536000"
)

// secureHeaders sets the security headers on every response. HSTS is sent
// when the public URL is https (behind a proxy that terminates TLS,
// questgate itself sees plain HTTP) or the request came over TLS
// (directly, or as a trusted proxy says); never otherwise, since a server
// reached over plain HTTP on a workshop LAN must stay reachable that way.
func secureHeaders(publicURL string) echo.MiddlewareFunc {
	httpsURL := strings.HasPrefix(strings.ToLower(publicURL), "https://")
	csp := cspBase + "'none'"
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", csp)
			h.Set(echo.HeaderXContentTypeOptions, "nosniff")
			h.Set(echo.HeaderReferrerPolicy, "no-referrer")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", permissionsPolicy)
			if httpsURL || c.Scheme() == "https" {
				h.Set(echo.HeaderStrictTransportSecurity, hstsPolicy)
			}
			return next(c)
		}
	}
}

// FrameAncestors returns middleware for a route group whose pages other
// sites may frame (the embed routes): it replaces the policy's
// frame-ancestors 'none' with origins, each a scheme and host such as
// "https://course.example". Everything else in the policy stays.
func FrameAncestors(origins ...string) (echo.MiddlewareFunc, error) {
	if len(origins) == 0 {
		return nil, errors.New("frame ancestors: give at least one origin")
	}
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(o, " ;,'\"") {
			return nil, fmt.Errorf("frame ancestor %q: give an origin such as https://course.example", o)
		}
	}
	csp := cspBase + strings.Join(origins, " ")
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Response().Header().Set("Content-Security-Policy", csp)
			return next(c)
		}
	}, nil
}

// limitRequestsPerAddress takes one request from the client address's
// budget (the address as setClientAddress extracts it) on every route but
// the static files, the sandbox and the operations routes. (The sandbox
// takes from the same limiter itself, to refuse in Twilio's shape: serve
// hands it Config.IPLimiter.) Refusals are
// 429 with Retry-After and the friendly page. A limiter that fails lets
// the request through, with a warning carrying the request's id.
func limitRequestsPerAddress(l RequestLimiter, log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if routeUnder(c, staticPrefix) || routeUnder(c, sandboxPrefix) || isOpsRoute(c) {
				return next(c)
			}
			ctx := c.Request().Context()
			ok, wait, err := l.Take(ctx, ratelimit.AddressKey(c.RealIP()))
			if err != nil {
				log.WarnContext(ctx, "per-address limiter failed, request let through", "error", err)
				return next(c)
			}
			if !ok {
				setRetryAfter(c, wait)
				return echo.NewHTTPError(http.StatusTooManyRequests).SetInternal(fmt.Errorf("rate limited for %v", wait))
			}
			return next(c)
		}
	}
}

// bodyKey is where limitBody keeps the body it read, for readForm.
const bodyKey = "questgate.body"

// limitBody reads every request body outside the sandbox into memory, up
// to max bytes, and answers 413 with the friendly page beyond that. Reading
// it whole up front, rather than lazily, makes the limit hold for whoever
// reads the body first (the CSRF check reads the form's token field) and
// whatever the client declared: a body is refused whole, before anything
// acts on part of it. The bytes stay in the context under bodyKey.
func limitBody(max int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if routeUnder(c, sandboxPrefix) || r.Body == nil || r.Body == http.NoBody {
				return next(c)
			}
			if r.ContentLength > max {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
			}
			b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
			if err != nil {
				return echo.NewHTTPError(http.StatusBadRequest).SetInternal(fmt.Errorf("read request body: %w", err))
			}
			if int64(len(b)) > max {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
			c.Set(bodyKey, b)
			return next(c)
		}
	}
}

// csrfExempt reports whether the request's route takes no CSRF token and
// no cookie check: the sandbox, the API, the static files, the widget (see
// embedPrefix) and the operations routes (see isOpsRoute). None of them
// reads a cookie.
func csrfExempt(c echo.Context) bool {
	return routeUnder(c, sandboxPrefix) || routeUnder(c, apiPrefix) || routeUnder(c, staticPrefix) ||
		routeUnder(c, embedPrefix) || isOpsRoute(c)
}

// safeMethod reports whether method only reads, so needs no CSRF token.
func safeMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// checkCSRF guards every route but the exempt ones (csrfExempt) with a
// synchronizer token: a random token kept in the server-side session
// (Sessions), put in every page (the csrf-token meta tag and each form's
// templates.CSRFField; htmx sends it in the templates.CSRFHeader header)
// and compared, in constant time, with the one a request that changes
// something sends. No cookie carries it, so a page of a sibling origin
// (another port, a sibling subdomain) that plants cookies cannot forge
// it, unlike the double-submit cookie it replaces. A browser that sends
// Sec-Fetch-Site is judged by it first: same-origin passes, cross-site is
// refused, same-site must show the token. A page that saved no session (a
// visitor who only read) carries a token bound to nothing, which passes
// nowhere: the browser's own form is same-origin, and a client that does
// not say is refused and given a session (Sessions.beginForRetry) for the
// reloaded page. Without sessions every such request is refused. Every
// refusal is a 403 whose page says to reload.
func checkCSRF(sessions *Sessions, log *slog.Logger) echo.MiddlewareFunc {
	refuse := func(c echo.Context, reason string) error {
		log.InfoContext(c.Request().Context(), "request refused by the CSRF check",
			"method", c.Request().Method, "path", c.Request().URL.Path, "reason", reason)
		return echo.NewHTTPError(http.StatusForbidden).SetInternal(fmt.Errorf("%w: %s", errCSRF, reason))
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if csrfExempt(c) || safeMethod(r.Method) {
				return next(c)
			}
			switch r.Header.Get(echo.HeaderSecFetchSite) {
			case "cross-site":
				return refuse(c, "cross-site request")
			case "same-origin":
				return next(c)
			}
			if sessions == nil {
				return refuse(c, "no session to check the token against")
			}
			sent := sentCSRF(c)
			ctx, _, err := sessions.loadOnly(c)
			if err != nil {
				return err
			}
			if !sessions.validCSRF(ctx, sent) {
				if err := sessions.beginForRetry(c); err != nil {
					return err
				}
				return refuse(c, "token does not match the session's")
			}
			return next(c)
		}
	}
}

// sentCSRF is the CSRF token the request sends: the header htmx sets, else
// the form field, read from the body limitBody kept.
func sentCSRF(c echo.Context) string {
	if t := c.Request().Header.Get(templates.CSRFHeader); t != "" {
		return t
	}
	body, _ := c.Get(bodyKey).([]byte)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return form.Get(templates.CSRFField)
}

// errDuplicateCookie marks a request refused because it carries two
// cookies of one name, so the error page explains it.
var errDuplicateCookie = errors.New("two cookies of the same name")

// refuseDuplicateCookies refuses, with 400 and a page saying why, every
// request but the exempt ones (csrfExempt) that carries two cookies named
// as one of questgate's (names). questgate sets each once, host-only, on
// Path=/; a second one was planted by another origin of the same site,
// on a narrower path or a parent domain so that the browser sends it
// first: fixing the victim's session, so that what they save lands in
// the attacker's player. Nothing is done. The answer expires the cookie
// on the request's path and each path above it but /, where a planted
// host-only cookie sits, so that a reload works again; the player's own
// cookie, on /, stays.
func refuseDuplicateCookies(names func() []string, log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if csrfExempt(c) {
				return next(c)
			}
			r := c.Request()
			for _, name := range names() {
				if len(r.CookiesNamed(name)) < 2 {
					continue
				}
				log.WarnContext(r.Context(), "request refused: it carries two cookies of the same name, one probably planted by another site",
					"cookie", name, "method", r.Method, "path", r.URL.Path)
				if !strings.HasPrefix(name, HostPrefix) {
					for _, p := range pathsAbove(r.URL.Path) {
						c.SetCookie(&http.Cookie{Name: name, Value: "", Path: p, MaxAge: -1, HttpOnly: true,
							SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"})
					}
				}
				return echo.NewHTTPError(http.StatusBadRequest).SetInternal(fmt.Errorf("%w: %s", errDuplicateCookie, name))
			}
			return next(c)
		}
	}
}

// pathsAbove lists path and each path above it, "/" excepted, each with
// and without a trailing slash: "/a/b" gives "/a/b", "/a/b/", "/a", "/a/".
// At most a few are given, however deep the path.
func pathsAbove(path string) []string {
	const most = 8
	var out []string
	p := strings.TrimRight(path, "/")
	for strings.HasPrefix(p, "/") && len(out) < most {
		out = append(out, p, p+"/")
		p = p[:strings.LastIndexByte(p, '/')]
	}
	return out
}
