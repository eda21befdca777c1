package handlers

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
)

// The operations routes, for load balancers, orchestrators and
// Prometheus rather than people. They take no session, CSRF token nor
// language, and the per-address limit does not count them: a health
// check polled every second from one address must never be refused, nor
// create a player.
const (
	healthzPath = "/healthz"
	readyzPath  = "/readyz"
	metricsPath = "/metrics"
)

// isOpsRoute reports whether the request was routed to an operations
// route, by the matched route as routeUnder does.
func isOpsRoute(c echo.Context) bool {
	switch c.Path() {
	case healthzPath, readyzPath, metricsPath:
		return true
	}
	return false
}

// readyTimeout bounds a readiness check: an orchestrator waiting longer
// than this for an answer would take the server for dead anyway.
const readyTimeout = 2 * time.Second

// Readiness tells whether the server can do its work (the store's Ready:
// the database answers and is migrated).
type Readiness interface {
	Ready(ctx context.Context) error
}

// Health serves /healthz (the process is alive), /readyz (it can serve
// players) and /metrics (Prometheus).
type Health struct {
	ready   Readiness
	metrics http.Handler
	token   []byte
	log     *slog.Logger
	// notReady is the last readiness answered, to log its changes only.
	notReady atomic.Bool
}

// NewHealth returns the operations routes. metrics serves /metrics (nil:
// no /metrics route); when token is not empty, /metrics requires the
// header "Authorization: Bearer <token>", since counts by reason tell
// outsiders how the server is used.
func NewHealth(ready Readiness, metrics http.Handler, token string, log *slog.Logger) *Health {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Health{ready: ready, metrics: metrics, token: []byte(token), log: log}
}

// Routes mounts the operations routes at the root of g's server: mount
// them on e.Group("").
func (h *Health) Routes(g *echo.Group) {
	g.GET(healthzPath, h.healthz)
	g.GET(readyzPath, h.readyz)
	if h.metrics != nil {
		g.GET(metricsPath, h.serveMetrics)
	}
}

// noStore keeps caches (and proxies between the prober and questgate)
// from answering in the server's place.
func noStore(c echo.Context) {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
}

// healthz answers 200 while the process serves HTTP at all: it asks
// nothing of the database, so a slow database never gets the process
// restarted.
func (h *Health) healthz(c echo.Context) error {
	noStore(c)
	return c.String(http.StatusOK, "ok\n")
}

// readiness is the body of /readyz.
type readiness struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// readyz answers 200 when the store is ready within readyTimeout, and 503
// with the reason otherwise, so a load balancer sends players elsewhere.
func (h *Health) readyz(c echo.Context) error {
	noStore(c)
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
	defer cancel()
	err := h.ready.Ready(ctx)
	// Probes come every few seconds from every load balancer: the log
	// says when readiness changes, not each time it is asked.
	if was := h.notReady.Swap(err != nil); was != (err != nil) {
		if err != nil {
			h.log.WarnContext(ctx, "not ready", "error", err)
		} else {
			h.log.InfoContext(ctx, "ready again")
		}
	}
	if err != nil {
		// The answer is public: it names no host, user nor file.
		reason := "database unavailable"
		if errors.Is(err, quest.ErrMigrationsPending) {
			reason = "database migrations pending: run questgate migrate"
		}
		return c.JSON(http.StatusServiceUnavailable, readiness{Status: "unavailable", Reason: reason})
	}
	return c.JSON(http.StatusOK, readiness{Status: "ready"})
}

// ProfilerRoutes serves Go's profiler (/debug/pprof/) behind the same
// token as /metrics: operators measure where a HACK's CPU goes on the
// server itself (make bench takes its profiles this way). Only the
// operations listener of --metrics-addr mounts it, never the players'.
func (h *Health) ProfilerRoutes(g *echo.Group) {
	g.GET("/debug/pprof/*", func(c echo.Context) error {
		return h.authorized(c, func(w http.ResponseWriter, r *http.Request) {
			switch c.Param("*") {
			case "profile":
				pprof.Profile(w, r)
			case "trace":
				pprof.Trace(w, r)
			case "cmdline", "symbol":
				http.Error(w, "not served", http.StatusNotFound)
			default:
				pprof.Index(w, r)
			}
		})
	})
}

// serveMetrics hands over to the metrics handler, behind the token.
func (h *Health) serveMetrics(c echo.Context) error {
	return h.authorized(c, h.metrics.ServeHTTP)
}

// authorized checks the bearer token, when one is set, in constant time,
// and hands over to next.
func (h *Health) authorized(c echo.Context, next http.HandlerFunc) error {
	noStore(c)
	if len(h.token) > 0 {
		got, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), h.token) != 1 {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="questgate metrics"`)
			return c.String(http.StatusUnauthorized, "unauthorized: send Authorization: Bearer <--metrics-token>\n")
		}
	}
	next(c.Response(), c.Request())
	return nil
}
