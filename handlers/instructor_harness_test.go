package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/live"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
	"github.com/questgate/questgate/twilioquest"
)

const (
	instructorEmail    = "grace@example.org"
	instructorPassword = "correct horse battery"
)

// exportDay is the day the test server believes it is, for file names.
var exportDay = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// instructorOptions change the dashboard a test runs.
type instructorOptions struct {
	accountLimiter, ipLimiter handlers.LoginLimiter
	accountCeiling            handlers.LoginLimiter
	// behindProxy trusts the loopback proxy's X-Forwarded-For, so a test
	// can sign in from several client addresses.
	behindProxy bool
	// heartbeats, when set, replaces the live views' heartbeat ticker:
	// the test ticks it.
	heartbeats               chan time.Time
	heartbeat, progressEvery time.Duration
	// now is the dashboard's clock (sign-in ends, export dates); always
	// exportDay when nil.
	now func() time.Time
	// log receives quest's and the server's log, JSON at debug level;
	// discarded when nil.
	log io.Writer
	// workshop mounts the workshop day (event windows in quest on the
	// clock now, the players' banner, stream and hints), with the wall
	// sent at most every wallEvery.
	workshop  bool
	wallEvery time.Duration
}

// ienv is a running questgate with the player pages and the instructors'
// dashboard on one real store, a live broker between quest and the
// dashboard, and one instructor account. Its client is the instructor's
// browser, not yet signed in.
type ienv struct {
	*env
	ech        *echo.Echo
	quests     *quest.Service
	sessions   *scs.SessionManager
	subs       *watchedSubscriber
	instructor quest.Instructor
}

// watchedSubscriber is the broker, remembering the contexts of its
// subscriptions so a test can see a stream end when its client leaves.
type watchedSubscriber struct {
	live.Subscriber
	mu   sync.Mutex
	ctxs []context.Context
}

func (w *watchedSubscriber) Subscribe(ctx context.Context) <-chan live.Event {
	w.mu.Lock()
	w.ctxs = append(w.ctxs, ctx)
	w.mu.Unlock()
	return w.Subscriber.Subscribe(ctx)
}

func (w *watchedSubscriber) last() context.Context {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.ctxs) == 0 {
		return nil
	}
	return w.ctxs[len(w.ctxs)-1]
}

// playerSessionKey stands for issue 3's player sessions, which will share
// the session manager: the dashboard must neither trust nor disturb them.
const playerSessionKey = "player_id"

func newInstructorEnv(t *testing.T, opt instructorOptions) *ienv {
	t.Helper()
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "q.db")
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := &ienv{env: &env{t: t, store: st, dbPath: dbPath, bundle: bundle, twilio: &fakeVerifier{t: t}, sandbox: &fakeVerifier{t: t}}}
	log := slog.New(slog.DiscardHandler)
	if opt.log != nil {
		log = slog.New(slog.NewJSONHandler(opt.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	broker := live.NewBroker(64)
	e.subs = &watchedSubscriber{Subscriber: broker}
	now := opt.now
	if now == nil {
		now = func() time.Time { return exportDay }
	}
	var heartbeats func() (<-chan time.Time, func())
	if opt.heartbeats != nil {
		heartbeats = func() (<-chan time.Time, func()) { return opt.heartbeats, func() {} }
	}
	qcfg := quest.Config{Catalog: cat, Store: st, Twilio: e.twilio, Live: broker, Log: log}
	sopts := handlers.SessionOptions{Store: st.SessionStore(0)}
	var workshop *handlers.PlayerWorkshop
	if opt.workshop {
		qcfg.Events, qcfg.Hints, qcfg.Now = st, st, now
		workshop = handlers.NewPlayerWorkshop(handlers.PlayerWorkshopConfig{Data: st, Catalog: cat, Live: e.subs, Now: now,
			Heartbeats: heartbeats, Log: log})
		sopts.Decorate = workshop.Decorate
	}
	e.quests = quest.New(qcfg)
	hcfg := handlers.Config{Log: log, Locales: bundle, Version: "test"}
	if opt.behindProxy {
		_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
		hcfg.TrustedProxies = []*net.IPNet{loopback}
	}
	players := handlers.NewSessions(st, sopts)
	hcfg.Sessions = players
	e.ech = handlers.New(hcfg)
	handlers.NewPlayer(e.quests, st, players, publicURL).Routes(e.ech.Group(""))
	handlers.NewProfile(quest.NewPlayers(st), players).Routes(e.ech.Group(""))
	if workshop != nil {
		workshop.Routes(e.ech.Group(""), players)
	}
	e.env.sessions = players
	e.tokenPage = "/instructor/login"
	e.sessions = players.Manager()
	icfg := handlers.InstructorConfig{
		Quests: e.quests, Data: st, Cohorts: quest.NewPlayers(st), PublicURL: publicURL, Sessions: players, Live: e.subs,
		AccountLimiter: opt.accountLimiter, AccountCeiling: opt.accountCeiling, IPLimiter: opt.ipLimiter,
		Heartbeat: opt.heartbeat, ProgressEvery: opt.progressEvery, Heartbeats: heartbeats,
		Now: now, Webhooks: st, WallEvery: opt.wallEvery,
		Extensions: twilioquest.Exporter{Catalog: cat, Bundle: bundle, Now: now},
	}
	if opt.workshop {
		icfg.Workshop, icfg.Publish = st, broker
	}
	handlers.NewInstructor(icfg).Routes(e.ech.Group("/instructor"))
	sess := players.LoadAndSave()
	e.ech.POST("/test/player-session", func(c echo.Context) error {
		e.sessions.Put(c.Request().Context(), playerSessionKey, c.FormValue("id"))
		return c.NoContent(http.StatusNoContent)
	}, sess)
	e.ech.GET("/test/player-session", func(c echo.Context) error {
		return c.String(http.StatusOK, e.sessions.GetString(c.Request().Context(), playerSessionKey))
	}, sess)
	e.srv = httptest.NewServer(e.ech)
	t.Cleanup(e.srv.Close)
	e.client = newBrowser(t)

	// A low bcrypt cost keeps the tests quick; checking reads the cost
	// from the hash, so the sign-in code runs as in production.
	hash, err := bcrypt.GenerateFromPassword([]byte(instructorPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if e.instructor, err = st.CreateInstructor(ctx, instructorEmail, string(hash)); err != nil {
		t.Fatal(err)
	}
	return e
}

// newBrowser is a client with its own cookies that does not follow
// redirects, so tests see each 303.
func newBrowser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// as returns the environment driven by another browser.
func (e *ienv) as(client *http.Client) *ienv {
	other := *e
	env := *e.env
	env.client = client
	env.csrf = "" // a token belongs to its browser
	other.env = &env
	return &other
}

// signIn signs the client in as the instructor.
func (e *ienv) signIn() {
	e.t.Helper()
	p := e.post("/instructor/login", url.Values{"email": {instructorEmail}, "password": {instructorPassword}})
	if p.status != http.StatusSeeOther {
		e.t.Fatalf("sign-in: status %d\n%s", p.status, p.body)
	}
}

// newPlayer creates a player with a browser of their own.
func (e *ienv) newPlayer() (*ienv, string) {
	e.t.Helper()
	p := e.as(newBrowser(e.t))
	return p, p.playerID()
}

// record stores an attempt for a player directly, as quest would.
func (e *ienv) record(playerID string, reason quest.Reason, sid string, m *quest.Message) quest.Submission {
	e.t.Helper()
	var grant *quest.Award
	if reason == quest.Awarded {
		grant = &quest.Award{XP: 100}
	}
	sub, err := e.store.RecordAttempt(context.Background(), quest.Submission{PlayerID: playerID, ObjectiveID: "send-sms",
		RawSID: sid, SID: quest.Normalize(sid), Reason: reason, Message: m, IP: "198.51.100.7", Upstream: 120 * time.Millisecond}, grant)
	if err != nil {
		e.t.Fatal(err)
	}
	return sub
}
