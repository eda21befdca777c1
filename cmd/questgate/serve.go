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
	"github.com/questgate/questgate/live"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/logging"
	"github.com/questgate/questgate/metrics"
	"github.com/questgate/questgate/pgfeed"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/sandbox"
	"github.com/questgate/questgate/store"
	"github.com/questgate/questgate/verifier"
	"github.com/questgate/questgate/webhook"
)

// sandboxURL is where in-process verifications of sandbox accounts go; the
// host is never dialled, the sandbox answers in memory.
const sandboxURL = "http://sandbox.questgate.internal/sandbox"

func serveCommand(f flags) *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the player pages (and, with --sandbox, a Twilio-compatible sandbox)",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "addr", Value: ":8080", Sources: f.env("QUESTGATE_ADDR"),
				Usage: "address to listen on, host:port"},
			&cli.StringFlag{Name: "public-url", Sources: f.env("QUESTGATE_PUBLIC_URL"),
				Usage:     "URL players reach this server at, used in examples (default: http://localhost:<port>)",
				Validator: httpURL("--public-url")},
			f.dataDir(), f.database(), f.logFormat(), f.logLevel(),
			&cli.StringFlag{Name: "twilio-api-url", Value: "https://api.twilio.com", Sources: f.env("QUESTGATE_TWILIO_API_URL"),
				Usage:     "base URL of the Twilio API; may carry a path prefix, such as http://localhost:8081/sandbox",
				Validator: httpURL("--twilio-api-url")},
			&cli.DurationFlag{Name: "twilio-timeout", Value: 15 * time.Second, Sources: f.env("QUESTGATE_TWILIO_TIMEOUT"),
				Usage: "how long one verification may wait for Twilio", Validator: positive("--twilio-timeout")},
			&cli.BoolFlag{Name: "sandbox", Sources: f.env("QUESTGATE_SANDBOX"),
				Usage: "serve the Twilio-compatible sandbox under /sandbox and verify sandbox accounts against it"},
			&cli.StringFlag{Name: "cookie-secure", Value: "auto", Sources: f.env("QUESTGATE_COOKIE_SECURE"),
				Usage:     "mark every cookie Secure (sent over HTTPS only) and name it __Host-…: auto (when --public-url is https://), true or false",
				Validator: oneOf("--cookie-secure", "auto", "true", "false")},
			&cli.DurationFlag{Name: "session-idle-timeout", Value: handlers.DefaultIdleTimeout, Sources: f.env("QUESTGATE_SESSION_IDLE_TIMEOUT"),
				Usage: "a player unseen this long (at most 1% longer) starts over as a new player", Validator: positive("--session-idle-timeout")},
			&cli.DurationFlag{Name: "session-lifetime", Value: handlers.DefaultLifetime, Sources: f.env("QUESTGATE_SESSION_LIFETIME"),
				Usage: "no session lives longer than this, however active", Validator: positive("--session-lifetime")},
			f.objectives(),
			&cli.BoolFlag{Name: "no-migrate", Sources: f.env("QUESTGATE_NO_MIGRATE"),
				Usage: "do not apply pending migrations at start (run `questgate migrate` as a deployment step); /readyz fails while some are pending"},
		}, slices.Concat(f.defenceFlags(), f.operationsFlags(), f.poolFlags(), f.sandboxLimitFlags())...),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return serve(ctx, cmd, f.getenv)
		},
	}
}

// cookieSecure decides whether questgate's cookies are Secure (and named
// __Host-…). "auto" follows the public URL, the address players type:
// behind a TLS-terminating proxy it is https:// although questgate itself
// serves plain HTTP, and a
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

func serve(ctx context.Context, cmd *cli.Command, getenv func(string) string) error {
	log, err := logging.New(cmd.Root().ErrWriter, cmd.String("log-format"), cmd.String("log-level"))
	if err != nil {
		return err
	}
	upstream, err := upstreamFromFlags(cmd)
	if err != nil {
		return err
	}
	grace, err := shutdownFromFlags(cmd)
	if err != nil {
		return err
	}
	metricsAt, err := metricsFromFlags(cmd)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cmd.String("addr"))
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another questgate running? choose another --addr)", cmd.String("addr"), err)
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
	publicURL := strings.TrimSuffix(cmd.String("public-url"), "/")
	if publicURL == "" {
		publicURL = "http://localhost:" + portOf(ln.Addr())
	}

	cat, err := loadCatalog(cmd.String("objectives"))
	if err != nil {
		return err
	}
	bundle, err := locale.Load()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cmd, getenv, log)
	if err != nil {
		return err
	}
	defer st.Close()
	sessionStore := st.SessionStore(5 * time.Minute)
	defer sessionStore.Stop()

	// The metrics are one registry for the whole server: quest counts
	// verifications, the verifiers count their requests to Twilio.
	m := metrics.New()
	log.Info("twilio upstream", "timeout", upstream.Timeout,
		"attempt_timeout", upstream.AttemptTimeout, "max_tries", upstream.MaxTries,
		"account_concurrency", upstream.AccountConcurrency)
	twilio, err := verifier.New(verifier.Options{BaseURL: cmd.String("twilio-api-url"), Timeout: upstream.Timeout,
		AttemptTimeout: upstream.AttemptTimeout, MaxTries: upstream.MaxTries,
		AccountConcurrency: upstream.AccountConcurrency, Metrics: m})
	if err != nil {
		return err
	}
	failures, web, err := defences(cmd, log)
	if err != nil {
		return err
	}
	// Live events go from the quest service to the instructors' live views:
	// in memory on one machine; through PostgreSQL between instances.
	broker := live.NewBroker(liveBuffer)
	var feed interface {
		live.Publisher
		live.Subscriber
	} = broker
	if st.Backend() == store.BackendPostgres {
		pf, err := pgfeed.New(ctx, databaseURL(cmd), broker, pgfeed.Options{Log: log})
		if err != nil {
			return err
		}
		feedCtx, stopFeed := context.WithCancel(ctx)
		feedDone := make(chan struct{})
		go func() {
			defer close(feedDone)
			if err := pf.Run(feedCtx); err != nil {
				log.Error("live feed stopped", "error", err)
			}
		}()
		defer func() { stopFeed(); <-feedDone }()
		feed = pf
		// Every instance must see a player's failures, whichever one
		// a click reaches: the budget lives in the database.
		if n := cmd.Int("attempts-per-minute"); n > 0 {
			failures = st.FailureLimiter(n, time.Minute)
		}
	}
	qcfg := quest.Config{Catalog: cat, Store: st, Twilio: twilio, Live: feed, Log: log, Failures: failures, Metrics: m}

	var sb *sandbox.Sandbox
	if cmd.Bool("sandbox") {
		// One budget per address for the pages and the sandbox.
		sb = sandbox.New(st, sandboxLimits(cmd, web.IPLimiter, log))
		// The in-process sandbox is not Twilio: no breaker state or
		// upstream latency of its own in the metrics.
		sv, err := verifier.New(verifier.Options{BaseURL: sandboxURL, Transport: sandbox.InProcess(sb),
			Timeout: upstream.Timeout, AttemptTimeout: upstream.AttemptTimeout, MaxTries: upstream.MaxTries,
			AccountConcurrency: upstream.AccountConcurrency})
		if err != nil {
			return err
		}
		// No shared demo account: each player gets a sandbox account of
		// their own when they first need one (quest.EnsureCredentials).
		// A demo account's setting an older version left in the database
		// is kept, and no longer used.
		qcfg.Sandbox, qcfg.SandboxVerifier = sandboxAccounts{sb}, sv
	}
	quests := quest.New(qcfg)

	sessions := handlers.NewSessions(st, handlers.SessionOptions{Store: sessionStore, Log: log,
		IdleTimeout: cmd.Duration("session-idle-timeout"), Lifetime: cmd.Duration("session-lifetime"),
		Secure: cookieSecure(cmd.String("cookie-secure"), publicURL)})
	web.Log, web.Locales, web.Version = log, bundle, buildVersion()
	web.Sessions, web.PublicURL = sessions, publicURL
	e := handlers.New(web)
	handlers.NewHealth(st, metricsAt.mainMetrics(m.Handler()), metricsAt.Token, log).Routes(e.Group(""))
	handlers.NewPlayer(quests, st, sessions, publicURL).Routes(e.Group(""))
	handlers.NewProfile(quest.NewPlayers(st), sessions).Routes(e.Group(""))
	handlers.NewInstructor(handlers.InstructorConfig{Quests: quests, Data: st,
		Cohorts: quest.NewPlayers(st), PublicURL: publicURL,
		Sessions: sessions, Live: feed, Log: log, Webhooks: st,
	}).Routes(e.Group("/instructor"))
	handlers.NewAPI(quests, st, log).Routes(e.Group("/api"))
	handlers.NewEmbed(quests, st, bundle, publicURL, nil).Routes(e.Group("/embed"))
	if sb != nil {
		sb.Routes(e.Group("/sandbox"))
	}

	// The webhook worker stops after the HTTP server, and before the
	// store closes: deliveries in flight are recorded. Its context does
	// not end with the signal's, or it would stop while verifications are
	// still finishing.
	hooksCtx, stopHooks := context.WithCancel(context.WithoutCancel(ctx))
	hooksDone := make(chan struct{})
	notReady := st.Ready(ctx)
	if notReady != nil {
		log.Warn("the database is not ready: run `questgate migrate`; /readyz answers 503 and webhooks wait until it is",
			"error", notReady)
	}
	go func() {
		defer close(hooksDone)
		// Under --no-migrate, the tables may not exist yet: wait for
		// `questgate migrate` rather than fail every poll.
		for notReady != nil {
			select {
			case <-hooksCtx.Done():
				return
			case <-time.After(2 * time.Second):
				notReady = st.Ready(hooksCtx)
			}
		}
		webhook.NewWorker(st, webhook.Options{Log: log}).Run(hooksCtx)
	}()
	defer func() { stopHooks(); <-hooksDone }()

	out := cmd.Root().Writer
	stopMetrics, err := listenMetrics(ctx, log, out, metricsAt, st, m.Handler())
	if err != nil {
		return err
	}
	defer stopMetrics()
	fmt.Fprintf(out, "questgate %s is serving on %s\n", buildVersion(), publicURL)
	if sb != nil {
		printSandboxHelp(out, publicURL, cat)
	}
	serving = true
	return serveHTTP(ctx, log, ln, e, writeTimeout(upstream.Timeout), grace)
}

// writeTimeout is how long a response may take: a HACK waits for Twilio
// up to --twilio-timeout, and must still get its answer written after.
func writeTimeout(twilio time.Duration) time.Duration {
	return max(60*time.Second, twilio+30*time.Second)
}

// liveBuffer is how many events an instructor's live view may lag behind
// before it misses some (it catches up when it reconnects or reloads).
const liveBuffer = 256

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

// sandboxAccounts adapts the sandbox to what quest needs.
type sandboxAccounts struct{ sb *sandbox.Sandbox }

func (a sandboxAccounts) CreateAccount(ctx context.Context, name string) (string, string, error) {
	acc, err := a.sb.CreateAccount(ctx, name)
	return acc.SID, acc.AuthToken, err
}

func (a sandboxAccounts) IsAccount(ctx context.Context, sid string) (bool, error) {
	return a.sb.IsAccount(ctx, sid)
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
