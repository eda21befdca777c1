package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/live"
	"github.com/questgate/questgate/live/pgfeed"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/metrics"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/ratelimit"
	"github.com/questgate/questgate/sandbox"
	"github.com/questgate/questgate/store"
	"github.com/questgate/questgate/twilioquest"
	"github.com/questgate/questgate/verifier"
	"github.com/questgate/questgate/webhook"
)

// sandboxURL is where in-process verifications of sandbox accounts go; the
// host is never dialled, the sandbox answers in memory.
const sandboxURL = "http://sandbox.questgate.internal/sandbox"

// liveBuffer is how many events an instructor's live view may lag behind
// before it misses some (it catches up when it reconnects or reloads).
const liveBuffer = 256

// feed carries live events from the quest service to the instructors'
// live views.
type feed interface {
	live.Publisher
	live.Subscriber
}

// graph is serve's object graph, built by wire from a Config, explicitly:
// what serve's lifecycle listens with, serves and stops.
type graph struct {
	cfg     Config
	log     *slog.Logger
	catalog *catalog.Catalog
	store   *store.Store
	metrics *metrics.Metrics
	// sandbox is nil unless cfg.Sandbox.Enabled.
	sandbox *sandbox.Sandbox
	handler http.Handler
	// stops are run by close, last added first.
	stops []func()
}

// close stops whatever wire and startWebhooks started, in the reverse
// order: the webhook worker, the live feed, the sessions, the database.
func (s *graph) close() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
}

// wire builds the object graph cfg describes; cfg.Server.PublicURL must be set.
// The graph it returns must be closed, even with an error, as what was
// built before the error needs stopping.
func wire(ctx context.Context, cfg Config, getenv func(string) string, log *slog.Logger) (*graph, error) {
	// The metrics are one registry for the whole server: quest counts
	// verifications, the verifiers count their requests to Twilio.
	s := &graph{cfg: cfg, log: log, metrics: metrics.New()}
	cat, err := loadCatalog(cfg.Server.Objectives)
	if err != nil {
		return s, err
	}
	s.catalog = cat
	bundle, err := locale.Load()
	if err != nil {
		return s, err
	}
	st, err := cfg.Database.open(ctx, getenv, log)
	if err != nil {
		return s, err
	}
	s.store = st
	s.stops = append(s.stops, func() { _ = st.Close() })
	sessionStore := st.SessionStore(5 * time.Minute)
	s.stops = append(s.stops, sessionStore.Stop)
	failures, web, err := defences(cfg.Limits)
	if err != nil {
		return s, err
	}
	events, err := s.liveFeed(ctx)
	if err != nil {
		return s, err
	}
	// Every instance must see a player's failures, whichever one a click
	// reaches: with a shared database, the budget lives there.
	if n := cfg.Limits.AttemptsPerMinute; n > 0 && st.Backend() == store.BackendPostgres {
		failures = st.FailureLimiter(n, time.Minute)
	}
	quests, err := s.quests(events, failures, web.IPLimiter)
	if err != nil {
		return s, err
	}
	web.Log, web.Locales, web.Version = log, bundle, buildVersion()
	workshop := handlers.NewPlayerWorkshop(handlers.PlayerWorkshopConfig{Data: st, Catalog: cat, Live: events, Log: log})
	sessions := handlers.NewSessions(st, handlers.SessionOptions{Store: sessionStore, Log: log, Decorate: workshop.Decorate,
		IdleTimeout: cfg.Server.SessionIdleTimeout, Lifetime: cfg.Server.SessionLifetime,
		Secure: cookieSecure(cfg.Server.CookieSecure, cfg.Server.PublicURL)})
	s.handler = s.routes(web, quests, sessions, events, bundle, workshop)
	return s, nil
}

// liveFeed is where live events go: in memory on one machine; through
// PostgreSQL between instances, with a listener running until close.
func (s *graph) liveFeed(ctx context.Context) (feed, error) {
	broker := live.NewBroker(liveBuffer)
	if s.store.Backend() != store.BackendPostgres {
		return broker, nil
	}
	pf, err := pgfeed.New(ctx, s.cfg.Database.databaseURL(), broker, pgfeed.Options{Log: s.log})
	if err != nil {
		return nil, err
	}
	feedCtx, stopFeed := context.WithCancel(ctx)
	feedDone := make(chan struct{})
	go func() {
		defer close(feedDone)
		if err := pf.Run(feedCtx); err != nil {
			s.log.Error("live feed stopped", "error", err)
		}
	}()
	s.stops = append(s.stops, func() { stopFeed(); <-feedDone })
	return pf, nil
}

// quests builds the quest service, its Twilio verifier and, with
// --sandbox, the sandbox (sharing requests, the per-address budget of the
// pages) and its in-process verifier.
func (s *graph) quests(events feed, failures quest.Limiter, requests sandbox.Limiter) (*quest.Service, error) {
	tw := s.cfg.Twilio
	// One webhook tester for both verifiers: a sandbox number's webhook
	// is the player's server as much as a real one's.
	webhooks := &verifier.WebhookTester{AllowPrivate: tw.AllowPrivateWebhooks}
	twilio, err := verifier.New(verifier.Options{BaseURL: tw.APIURL, Timeout: tw.Timeout,
		AttemptTimeout: tw.AttemptTimeout, MaxTries: tw.MaxTries,
		AccountConcurrency: tw.AccountConcurrency, Metrics: s.metrics, Webhooks: webhooks})
	if err != nil {
		return nil, err
	}
	qcfg := quest.Config{Catalog: s.catalog, Store: s.store, Twilio: twilio, Live: events, Log: s.log,
		Failures: failures, Metrics: s.metrics, Events: s.store, Hints: s.store}
	if s.cfg.Sandbox.Enabled {
		s.sandbox = sandbox.New(s.store, sandboxLimits(s.cfg.Sandbox, requests))
		// The in-process sandbox is not Twilio: no breaker state or
		// upstream latency of its own in the metrics.
		sv, err := verifier.New(verifier.Options{BaseURL: sandboxURL, Transport: sandbox.InProcess(s.sandbox),
			Timeout: tw.Timeout, AttemptTimeout: tw.AttemptTimeout, MaxTries: tw.MaxTries,
			AccountConcurrency: tw.AccountConcurrency, Webhooks: webhooks})
		if err != nil {
			return nil, err
		}
		// No shared demo account: each player gets a sandbox account of
		// their own when they first need one (quest.EnsureCredentials).
		// A demo account's setting an older version left in the database
		// is kept, and no longer used.
		qcfg.Sandbox, qcfg.SandboxVerifier = sandboxAccounts{s.sandbox}, sv
	}
	return quest.New(qcfg), nil
}

// routes mounts every surface on one echo server: health and metrics,
// the player pages, profiles, the instructors' dashboard, the API, the
// widget and, with --sandbox, the sandbox.
func (s *graph) routes(web handlers.Config, quests *quest.Service, sessions *handlers.Sessions,
	events feed, bundle *locale.Bundle, workshop *handlers.PlayerWorkshop) http.Handler {
	st, publicURL := s.store, s.cfg.Server.PublicURL
	// The CSRF check keeps its token in the player's session.
	web.Sessions, web.PublicURL = sessions, publicURL
	e := handlers.New(web)
	handlers.NewHealth(st, s.cfg.Metrics.mainMetrics(s.metrics.Handler()), s.cfg.Metrics.Token, s.log).Routes(e.Group(""))
	handlers.NewPlayer(quests, st, sessions, publicURL).Routes(e.Group(""))
	handlers.NewProfile(quest.NewPlayers(st), sessions).Routes(e.Group(""))
	var inbox handlers.PhoneInbox // nil without the sandbox
	if s.sandbox != nil {
		inbox = s.sandbox
	}
	handlers.NewSandboxPhone(quests, inbox, sessions).Routes(e.Group(""))
	workshop.Routes(e.Group(""), sessions)
	handlers.NewInstructor(handlers.InstructorConfig{Quests: quests, Data: st,
		Cohorts: quest.NewPlayers(st), PublicURL: publicURL,
		Sessions: sessions, Live: events, Log: s.log, Webhooks: st,
		Workshop: st, Publish: events,
		Extensions: twilioquest.Exporter{Catalog: s.catalog, Bundle: bundle, Version: exportVersion()},
	}).Routes(e.Group("/instructor"))
	api := e.Group("/api")
	handlers.NewAPI(quests, st, s.log).Routes(api)
	handlers.NewGameAPI(quests, quest.NewGamePlayers(quest.GamePlayersConfig{Store: st, Cohorts: quest.NewPlayers(st),
		Check:     quests,
		Accounts:  ratelimit.NewMemory(ratelimit.PerMinute(quest.GameSignInsPerAccount), nil),
		Addresses: ratelimit.NewMemory(ratelimit.PerMinute(quest.GameChecksPerAddress), nil),
	})).Routes(api)
	handlers.NewEmbed(quests, st, bundle, publicURL, nil).Routes(e.Group("/embed"))
	if s.sandbox != nil {
		s.sandbox.Routes(e.Group("/sandbox"))
	}
	return e
}

// startWebhooks starts the webhook worker, which close stops after the
// HTTP server and before the store closes: deliveries in flight are
// recorded. Its context does not end with ctx (the signal's), or it would
// stop while verifications are still finishing. Under --no-migrate the
// tables may not exist yet: it waits for `questgate migrate` rather than
// fail every poll.
func (s *graph) startWebhooks(ctx context.Context) {
	hooksCtx, stopHooks := context.WithCancel(context.WithoutCancel(ctx))
	hooksDone := make(chan struct{})
	notReady := s.store.Ready(ctx)
	if notReady != nil {
		s.log.Warn("the database is not ready: run `questgate migrate`; /readyz answers 503 and webhooks wait until it is",
			"error", notReady)
	}
	go func() {
		defer close(hooksDone)
		for notReady != nil {
			select {
			case <-hooksCtx.Done():
				return
			case <-time.After(2 * time.Second):
				notReady = s.store.Ready(hooksCtx)
			}
		}
		webhook.NewWorker(s.store, webhook.Options{Log: s.log}).Run(hooksCtx)
	}()
	s.stops = append(s.stops, func() { stopHooks(); <-hooksDone })
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
