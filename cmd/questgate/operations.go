package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
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
func (f flags) operationsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: "twilio-attempt-timeout", Value: verifier.DefaultAttemptTimeout, Sources: f.env("QUESTGATE_TWILIO_ATTEMPT_TIMEOUT"),
			Usage:     "how long one request to Twilio may take before it is abandoned (and retried, within --twilio-timeout)",
			Validator: positive("--twilio-attempt-timeout")},
		&cli.IntFlag{Name: "twilio-max-tries", Value: verifier.DefaultMaxTries, Sources: f.env("QUESTGATE_TWILIO_MAX_TRIES"),
			Usage:     fmt.Sprintf("requests to Twilio one verification may make, the first included (1 to %d; 1 never retries)", maxMaxTries),
			Validator: intBetween("--twilio-max-tries", 1, maxMaxTries)},
		&cli.IntFlag{Name: "twilio-account-concurrency", Value: verifier.DefaultAccountConcurrency, Sources: f.env("QUESTGATE_TWILIO_ACCOUNT_CONCURRENCY"),
			Usage:     fmt.Sprintf("requests to Twilio in flight at once for one Twilio account; more wait their turn (1 to %d)", maxAccountConcurrency),
			Validator: intBetween("--twilio-account-concurrency", 1, maxAccountConcurrency)},
		&cli.DurationFlag{Name: "shutdown-timeout", Value: defaultShutdownTimeout, Sources: f.env("QUESTGATE_SHUTDOWN_TIMEOUT"),
			Usage:     "on SIGTERM or SIGINT, how long requests in flight may take to finish before they are cut off; at least --twilio-timeout",
			Validator: positive("--shutdown-timeout")},
		&cli.StringFlag{Name: "metrics-token", Sources: f.env("QUESTGATE_METRICS_TOKEN"),
			Usage: "/metrics requires Authorization: Bearer <token>; without it (or --metrics-addr) /metrics is not served " +
				"(prefer the environment variable: flags show in the process list)"},
		&cli.StringFlag{Name: "metrics-addr", Sources: f.env("QUESTGATE_METRICS_ADDR"),
			Usage: "serve /metrics (and /healthz, /readyz) on this address of its own, such as 127.0.0.1:9090, and not on --addr; " +
				"an address other machines can reach needs --metrics-token"},
	}
}

// metricsSettings say where /metrics is served, read from the flags:
// on the main listener only with a token (the counts by reason tell
// outsiders how the server is used); on a listener of its own at Addr,
// with Token when set.
type metricsSettings struct {
	Addr, Token string
}

// onMain reports whether the main listener serves /metrics.
func (m metricsSettings) onMain() bool { return m.Addr == "" && m.Token != "" }

// metricsFromFlags reads --metrics-addr and --metrics-token, refusing a
// metrics address reachable from other machines without a token.
func metricsFromFlags(cmd *cli.Command) (metricsSettings, error) {
	m := metricsSettings{Addr: cmd.String("metrics-addr"), Token: cmd.String("metrics-token")}
	if m.Addr == "" || m.Token != "" {
		return m, nil
	}
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return m, fmt.Errorf("--metrics-addr %q: give host:port, such as 127.0.0.1:9090", m.Addr)
	}
	if ip, err := netip.ParseAddr(host); (err == nil && ip.IsLoopback()) || host == "localhost" {
		return m, nil
	}
	return m, fmt.Errorf("--metrics-addr %s can be reached from other machines: bind it to 127.0.0.1 (or [::1]), "+
		"or set --metrics-token (QUESTGATE_METRICS_TOKEN)", m.Addr)
}

// mainMetrics is the metrics handler the main listener serves /metrics
// with: nil (no such route, so 404) unless m says it serves it there.
func (m metricsSettings) mainMetrics(h http.Handler) http.Handler {
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
func listenMetrics(ctx context.Context, log *slog.Logger, out io.Writer, m metricsSettings,
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
	handlers.NewHealth(ready, metrics, m.Token, log).Routes(e.Group(""))
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

// upstreamSettings are how serve talks to Twilio, read from its flags.
type upstreamSettings struct {
	// Timeout bounds a whole verification, retries included;
	// AttemptTimeout bounds one request within it.
	Timeout, AttemptTimeout time.Duration
	// MaxTries is how many requests one verification may make.
	MaxTries int
	// AccountConcurrency bounds the requests in flight per Twilio account.
	AccountConcurrency int
}

// upstreamFromFlags reads and cross-checks the upstream settings (each
// flag's own range is checked by its validator).
func upstreamFromFlags(cmd *cli.Command) (upstreamSettings, error) {
	u := upstreamSettings{Timeout: cmd.Duration("twilio-timeout"), AttemptTimeout: cmd.Duration("twilio-attempt-timeout"),
		MaxTries: cmd.Int("twilio-max-tries"), AccountConcurrency: cmd.Int("twilio-account-concurrency")}
	if u.AttemptTimeout > u.Timeout {
		return u, fmt.Errorf("--twilio-attempt-timeout %v is longer than --twilio-timeout %v, which bounds the whole verification: "+
			"lower it, or raise --twilio-timeout", u.AttemptTimeout, u.Timeout)
	}
	return u, nil
}

// shutdownFromFlags returns --shutdown-timeout, which must let a
// verification that just started finish: a player who pressed HACK
// before the signal gets their answer.
func shutdownFromFlags(cmd *cli.Command) (time.Duration, error) {
	d, twilio := cmd.Duration("shutdown-timeout"), cmd.Duration("twilio-timeout")
	if d < twilio {
		return d, fmt.Errorf("--shutdown-timeout %v is shorter than --twilio-timeout %v: verifications in flight could be cut off "+
			"at shutdown; raise it to at least %v", d, twilio, twilio)
	}
	return d, nil
}
