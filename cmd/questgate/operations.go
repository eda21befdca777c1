package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/urfave/cli/v3"

	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/verifier"
)

// Bounds of the upstream settings (their defaults are the verifier's),
// and the shutdown default.
const (
	maxMaxTries            = 10
	maxAccountConcurrency  = 1000
	defaultShutdownTimeout = 30 * time.Second
)

// operationsFlags are serve's settings for running in production: how it
// talks to Twilio under load, how it stops, and who may read /metrics.
// TwilioConfig, ServerConfig and MetricsConfig hold them, and
// Config.Validate checks them.
func (f flags) operationsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: "twilio-attempt-timeout", Value: verifier.DefaultAttemptTimeout, Sources: f.env("QUESTGATE_TWILIO_ATTEMPT_TIMEOUT"),
			Usage: "how long one request to Twilio may take before it is abandoned (and retried, within --twilio-timeout)"},
		&cli.IntFlag{Name: "twilio-max-tries", Value: verifier.DefaultMaxTries, Sources: f.env("QUESTGATE_TWILIO_MAX_TRIES"),
			Usage: fmt.Sprintf("requests to Twilio one verification may make, the first included (1 to %d; 1 never retries)", maxMaxTries)},
		&cli.IntFlag{Name: "twilio-account-concurrency", Value: verifier.DefaultAccountConcurrency, Sources: f.env("QUESTGATE_TWILIO_ACCOUNT_CONCURRENCY"),
			Usage: fmt.Sprintf("requests to Twilio in flight at once for one Twilio account; more wait their turn (1 to %d)", maxAccountConcurrency)},
		&cli.DurationFlag{Name: "shutdown-timeout", Value: defaultShutdownTimeout, Sources: f.env("QUESTGATE_SHUTDOWN_TIMEOUT"),
			Usage: "on SIGTERM or SIGINT, how long requests in flight may take to finish before they are cut off; at least --twilio-timeout"},
		&cli.StringFlag{Name: "metrics-token", Sources: f.env("QUESTGATE_METRICS_TOKEN"),
			Usage: "/metrics requires Authorization: Bearer <token>; without it (or --metrics-addr) /metrics is not served " +
				"(prefer the environment variable: flags show in the process list)"},
		&cli.StringFlag{Name: "metrics-addr", Sources: f.env("QUESTGATE_METRICS_ADDR"),
			Usage: "serve /metrics (and /healthz, /readyz) on this address of its own, such as 127.0.0.1:9090, and not on --addr; " +
				"an address other machines can reach needs --metrics-token"},
		&cli.BoolFlag{Name: "pprof", Sources: f.env("QUESTGATE_PPROF"),
			Usage: "also serve Go's profiler (/debug/pprof/) on --metrics-addr, behind --metrics-token when set; needs --metrics-addr"},
	}
}

// mainMetrics is the metrics handler the main listener serves /metrics
// with: nil (no such route, so 404) unless m says it serves it there.
func (m MetricsConfig) mainMetrics(h http.Handler) http.Handler {
	if !m.onMain() {
		return nil
	}
	return h
}

// listenMetrics listens on m.Addr (when set) and serves the operations
// routes there (/metrics with metrics, behind m.Token when set, and
// /healthz, /readyz) until ctx ends or stop is called. stop waits for that
// server to have stopped; it must be called. The address it listens on is
// printed on out, so that ":0" can be found.
func listenMetrics(ctx context.Context, log *slog.Logger, out io.Writer, m MetricsConfig,
	ready handlers.Readiness, metrics http.Handler) (stop func(), err error) {
	if m.Addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on --metrics-addr %s: %w", m.Addr, err)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	health := handlers.NewHealth(ready, metrics, m.Token, log)
	health.Routes(e.Group(""))
	if m.Pprof {
		health.ProfilerRoutes(e.Group(""))
	}
	h := http.Handler(e)
	ctx, cancel := context.WithCancel(ctx)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "error", err)
		}
	}()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-ctx.Done():
		case <-done:
		}
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
		<-done
	}()
	fmt.Fprintf(out, "metrics are served on http://%s/metrics\n", ln.Addr())
	return func() { cancel(); <-stopped }, nil
}
