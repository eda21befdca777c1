package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/logging"
)

func serveCommand(f flags) *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the player pages (and, with --sandbox, a Twilio-compatible sandbox)",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "addr", Value: ":8080", Sources: f.env("QUESTGATE_ADDR"),
				Usage: "address to listen on, host:port"},
			&cli.StringFlag{Name: "public-url", Sources: f.env("QUESTGATE_PUBLIC_URL"),
				Usage: "URL players reach this server at, used in examples (default: http://localhost:<port>)"},
			f.dataDir(), f.database(), f.logFormat(), f.logLevel(),
			&cli.StringFlag{Name: "twilio-api-url", Value: "https://api.twilio.com", Sources: f.env("QUESTGATE_TWILIO_API_URL"),
				Usage: "base URL of the Twilio API; may carry a path prefix, such as http://localhost:8081/sandbox"},
			&cli.DurationFlag{Name: "twilio-timeout", Value: 15 * time.Second, Sources: f.env("QUESTGATE_TWILIO_TIMEOUT"),
				Usage: "how long one verification may wait for Twilio"},
			&cli.BoolFlag{Name: "allow-private-webhooks", Sources: f.env("QUESTGATE_ALLOW_PRIVATE_WEBHOOKS"),
				Usage: "let checks.webhook_answers call private, loopback and link-local addresses (a workshop on a LAN; never on a shared server)"},
			&cli.BoolFlag{Name: "sandbox", Sources: f.env("QUESTGATE_SANDBOX"),
				Usage: "serve the Twilio-compatible sandbox under /sandbox and verify sandbox accounts against it"},
			&cli.StringFlag{Name: "cookie-secure", Value: "auto", Sources: f.env("QUESTGATE_COOKIE_SECURE"),
				Usage: "mark every cookie Secure (sent over HTTPS only) and name it __Host-…: auto (when --public-url is https://), true or false"},
			&cli.DurationFlag{Name: "session-idle-timeout", Value: handlers.DefaultIdleTimeout, Sources: f.env("QUESTGATE_SESSION_IDLE_TIMEOUT"),
				Usage: "a player unseen this long (at most 1% longer) starts over as a new player"},
			&cli.DurationFlag{Name: "session-lifetime", Value: handlers.DefaultLifetime, Sources: f.env("QUESTGATE_SESSION_LIFETIME"),
				Usage: "no session lives longer than this, however active"},
			f.objectives(),
			&cli.BoolFlag{Name: "no-migrate", Sources: f.env("QUESTGATE_NO_MIGRATE"),
				Usage: "do not apply pending migrations at start (run `questgate migrate` as a deployment step); /readyz fails while some are pending"},
		}, slices.Concat(f.defenceFlags(), f.operationsFlags(), f.poolFlags(), f.sandboxLimitFlags())...),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return serve(ctx, cmd, f.getenv)
		},
	}
}

// cookieSecure decides whether the session cookie is Secure. "auto" follows
// the public URL, the address players type: behind a TLS-terminating proxy
// it is https:// although questgate itself serves plain HTTP, and a
// request's own scheme or an X-Forwarded-Proto header (which anyone can
// send) would say otherwise.
func cookieSecure(setting, publicURL string) bool {
	switch setting {
	case "true":
		return true
	case "false":
		return false
	}
	return strings.HasPrefix(publicURL, "https://")
}

// serve is serve's lifecycle: read and check the configuration, listen,
// wire the server, run it until a signal, then stop every part in the
// reverse order it started (the HTTP server first, the database last).
func serve(ctx context.Context, cmd *cli.Command, getenv func(string) string) error {
	cfg, err := configFrom(cmd)
	if err != nil {
		return err
	}
	log, err := logging.New(cmd.Root().ErrWriter, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another questgate running? choose another --addr)", cfg.Server.Addr, err)
	}
	defer ln.Close()
	// Deferred first, so it runs last: after the HTTP server, the webhook
	// worker, the sessions and the database have stopped.
	serving := false
	defer func() {
		if serving {
			log.Info("stopped")
		}
	}()
	if cfg.Server.PublicURL == "" {
		cfg.Server.PublicURL = "http://localhost:" + portOf(ln.Addr())
	}
	log.Info("configuration", "config", cfg)
	srv, err := wire(ctx, cfg, getenv, log)
	defer srv.close()
	if err != nil {
		return err
	}
	srv.startWebhooks(ctx)
	out := cmd.Root().Writer
	stopMetrics, err := listenMetrics(ctx, log, out, cfg.Metrics, srv.store, srv.metrics.Handler())
	if err != nil {
		return err
	}
	defer stopMetrics()
	fmt.Fprintf(out, "questgate %s is serving on %s\n", buildVersion(), cfg.Server.PublicURL)
	if srv.sandbox != nil {
		printSandboxHelp(out, cfg.Server.PublicURL, srv.catalog)
	}
	serving = true
	return serveHTTP(ctx, log, ln, srv.handler, writeTimeout(cfg.Twilio.Timeout), cfg.Server.ShutdownTimeout)
}

// writeTimeout is how long a response may take: a HACK waits for Twilio
// up to --twilio-timeout, and must still get its answer written after.
func writeTimeout(twilio time.Duration) time.Duration {
	return max(60*time.Second, twilio+30*time.Second)
}

// serveHTTP serves until ctx is done, then shuts down gracefully: the
// listener closes (new connections are refused), idle connections close,
// and requests in flight get up to grace to finish: a verification that
// started before the signal gets its answer. Event streams (the
// instructors' live views) end at once instead, told by the stopping
// signal every request carries (handlers.WithStopping), as their browsers
// reconnect by themselves. Past grace, the connections left are cut.
//
// Every timeout is explicit: a client trickling its headers or body
// (slowloris) is cut off, and a response may take writeTimeout, which
// must cover the slowest handler.
func serveHTTP(ctx context.Context, log *slog.Logger, ln net.Listener, h http.Handler, writeTimeout, grace time.Duration) error {
	stopping, stop := context.WithCancel(context.Background())
	defer stop()
	tr := &tracker{h: h, stopping: stopping}
	srv := &http.Server{
		Handler:           tr,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: refusing new connections, letting requests in flight finish",
		"in_flight", tr.requests.Load(), "grace", grace)
	stop()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		left := tr.requests.Load()
		_ = srv.Close()
		return fmt.Errorf("shutdown: %d request(s) still running after --shutdown-timeout %v cut off: %w", left, grace, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("every request in flight has been answered")
	return nil
}

// tracker counts the requests being served, for the shutdown log, and
// hands each one the stopping signal (handlers.WithStopping), on which
// the live views end when shutdown begins.
type tracker struct {
	h        http.Handler
	stopping context.Context
	requests atomic.Int64
}

func (t *tracker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	growStack()
	t.requests.Add(1)
	defer t.requests.Add(-1)
	t.h.ServeHTTP(w, r.WithContext(handlers.WithStopping(r.Context(), t.stopping.Done())))
}

func portOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return fmt.Sprint(ta.Port)
	}
	_, port, _ := net.SplitHostPort(a.String())
	return port
}

// printSandboxHelp tells whoever ran `make run` how to win the first
// objective. It prints no credentials: each player's own sandbox account,
// made when they open an objective, is shown on their pages only.
func printSandboxHelp(w io.Writer, publicURL string, cat *catalog.Catalog) {
	first := "send-sms"
	if _, ok := cat.Get(first); !ok {
		if all := cat.All(); len(all) > 0 {
			first = all[0].ID
		}
	}
	fmt.Fprintf(w, `
The sandbox is on: it behaves like Twilio and sends no real message. Open

  %s/objectives/%s

in your browser: questgate makes you a sandbox account of your own and shows
commands (curl, Go, Python, Node.js) that use it. Run one, paste the "sid" it
answers into the page and press HACK.
`, publicURL, first)
}
