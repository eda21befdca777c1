package handlers

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// PlayerStore creates and finds players.
type PlayerStore interface {
	CreatePlayer(ctx context.Context) (quest.Player, error)
	Player(ctx context.Context, id string) (quest.Player, error)
}

// SessionCookie is the name of the session cookie. It carries a random
// token only; the session (the player's id) is kept on the server. A
// Secure cookie is named with HostPrefix before it (see
// Sessions.CookieName).
const SessionCookie = "questgate_session"

// HostPrefix starts the name of every cookie questgate sets when its
// cookies are Secure. Browsers accept a cookie so named only when it is
// Secure, host-only (no Domain) and on Path=/, so a page of a sibling
// subdomain, or of plain HTTP, cannot plant one questgate would read.
const HostPrefix = "__Host-"

// Session lifetimes: a player who comes back within DefaultIdleTimeout
// keeps their progress, a workshop day and its follow-up many times over;
// no session lives longer than DefaultLifetime.
const (
	DefaultIdleTimeout = 30 * 24 * time.Hour
	DefaultLifetime    = 180 * 24 * time.Hour
)

// SessionOptions configure Sessions.
type SessionOptions struct {
	// Store keeps the sessions: *store.SessionStore for SQLite, or any
	// scs store (postgresstore for PostgreSQL). Memory when nil, which
	// only suits tests: sessions would not survive a restart.
	Store scs.Store
	// IdleTimeout ends a session unused this long (DefaultIdleTimeout when
	// zero), give or take its hundredth (see Sessions); Lifetime ends any
	// session this old (DefaultLifetime when zero).
	IdleTimeout time.Duration
	Lifetime    time.Duration
	// Secure marks the cookie Secure, named with HostPrefix: browsers
	// then send it over HTTPS only, and take it only from this very host.
	// Set it whenever players reach the server over HTTPS, directly or
	// through a TLS-terminating proxy. The language cookie follows it.
	Secure bool
	// Log receives the failures to save a session, which happen after the
	// response has started and cannot change it.
	Log *slog.Logger
	// Decorate, when set, adds to each player request's context what the
	// pages show besides the player (PlayerWorkshop.Decorate).
	Decorate func(ctx context.Context, p quest.Player) context.Context
	// Now tells when a session was last written; time.Now when nil. The
	// store must expire sessions on the same clock (tests give both a
	// fake one).
	Now func() time.Time
}

// Sessions attaches a player to each browser with a server-side session
// (alexedwards/scs): the cookie is HttpOnly, SameSite=Lax, Secure when
// configured, and holds a random token whose hash names the session in
// the store, so neither the cookie nor a copy of the database reveals a
// player id.
//
// The idle timeout is Sessions' own, not scs's: scs would write every
// session on every request just to move its expiry, a second write
// transaction on each HACK, queued on SQLite's one writer behind the real
// work. Instead a session remembers when it was last written (its
// "touched" value), and a request that changes nothing writes it only when
// that is a refresh interval (a hundredth of the idle timeout: 7.2 hours
// by default) or more ago. Each write gives the store, and the persistent
// cookie, the expiry touched + idle timeout + refresh interval (never past
// the Lifetime). As a write comes at most a refresh interval after the
// activity it follows, a player active within the idle timeout always
// keeps their session, and an abandoned one ends between the idle timeout
// and the idle timeout plus a hundredth of it after its last use. All of
// it lives in the session's data, so instances sharing a database agree.
type Sessions struct {
	sm      *scs.SessionManager
	players PlayerStore
	log     *slog.Logger
	now     func() time.Time
	// ttl is how long a write keeps a session (idle timeout plus refresh);
	// refresh is how far its expiry must move before an unchanged session
	// is written again.
	ttl, refresh time.Duration
	// decorate is SessionOptions.Decorate.
	decorate func(ctx context.Context, p quest.Player) context.Context
}

// NewSessions returns the sessions of players kept in players.
func NewSessions(players PlayerStore, opt SessionOptions) *Sessions {
	idle := cmpOr(opt.IdleTimeout, DefaultIdleTimeout)
	s := &Sessions{sm: scs.New(), players: players, log: opt.Log, now: opt.Now, refresh: idle / 100, decorate: opt.Decorate}
	s.ttl = idle + s.refresh
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	sm := s.sm
	if opt.Store != nil {
		sm.Store = opt.Store
	}
	// scs knows the Lifetime only: with an IdleTimeout it would mark every
	// loaded session modified. It passes the Lifetime's deadline to every
	// commit, which idleStore brings forward to the idle expiry.
	sm.Store = idleStore{Store: sm.Store, expiry: s.expiry}
	sm.IdleTimeout = 0
	sm.Lifetime = cmpOr(opt.Lifetime, DefaultLifetime)
	sm.HashTokenInStore = true
	sm.Codec = sessionCodec{}
	sm.Cookie.Name = cookieName(SessionCookie, opt.Secure)
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = opt.Secure
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = true
	return s
}

// cookieName is the name of the cookie base: with HostPrefix when secure.
func cookieName(base string, secure bool) string {
	if secure {
		return HostPrefix + base
	}
	return base
}

// CookieName is the session cookie's name: SessionCookie, with
// HostPrefix when the cookie is Secure.
func (s *Sessions) CookieName() string { return s.sm.Cookie.Name }

// Secure reports whether questgate's cookies are Secure (and named with
// HostPrefix), as SessionOptions.Secure said.
func (s *Sessions) Secure() bool { return s.sm.Cookie.Secure }

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// expiry is when a session written now ends: the idle expiry, or deadline
// (the end of its Lifetime) when that comes first.
func (s *Sessions) expiry(deadline time.Time) time.Time {
	if idle := s.now().Add(s.ttl); idle.Before(deadline) {
		return idle
	}
	return deadline
}

// idleStore is the session store as scs sees it: every commit's expiry,
// scs's Lifetime deadline, becomes the session's expiry as Sessions
// counts it, so the store drops abandoned sessions after the idle timeout.
// Find and Delete are the store's own. Embedding only scs.Store hides
// the store's optional interfaces (scs.IterableStore, the context-aware
// scs.CtxStore): nothing here iterates sessions; forward them before
// anything does.
type idleStore struct {
	scs.Store
	expiry func(deadline time.Time) time.Time
}

// Commit saves a session until its expiry.
func (st idleStore) Commit(token string, b []byte, deadline time.Time) error {
	return st.Store.Commit(token, b, st.expiry(deadline))
}

// sessionPlayer is the session key holding the player's id.
const sessionPlayer = "player_id"

const playerKey = "questgate.player"

// sessionTouched is the session key holding when the session was last
// written (Unix nanoseconds), from which Sessions tells whether it must
// be written again to stay alive.
const sessionTouched = "touched"

// WithPlayer loads the request's session and makes sure it has a player:
// the one it names, or a new one created on this first action. The
// session is saved (and the cookie set) just before the response is
// written.
//
// Put it on the routes where a player does something (opens an objective,
// HACKs, saves a form), and MaybePlayer on those that only show: a
// visitor reading pages costs no row. Attach it to each route, never to a
// group: a group's middleware also runs for its catch-all 404 route, and
// would create a player (and a session) for every bot probing unknown
// URLs.
func (s *Sessions) WithPlayer() echo.MiddlewareFunc {
	return s.withPlayer(true)
}

// MaybePlayer loads the request's session and, when it names a player who
// still exists, makes them the request's player; otherwise the request
// has none (playerOf's ID is ""), and nothing is created or written: an
// anonymous visitor reading the home page, or a bot, leaves no player nor
// session row behind.
func (s *Sessions) MaybePlayer() echo.MiddlewareFunc {
	return s.withPlayer(false)
}

func (s *Sessions) withPlayer(create bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, token, err := s.load(c)
			if err != nil {
				return err
			}
			var p quest.Player
			if create {
				p, err = s.player(ctx, token)
			} else {
				p, err = s.existing(ctx)
			}
			if err != nil {
				return err
			}
			c.Set(playerKey, p)
			// The store may answer this request's reads of the player's
			// awards, credentials and event window from memory, at the
			// version just read with them (quest.WithPlayerRead).
			ctx = quest.WithPlayerRead(ctx, p)
			ctx = templates.WithPlayer(ctx, p.DisplayName)
			if s.decorate != nil {
				ctx = s.decorate(ctx, p)
			}
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// LoadAndSave loads the request's session and saves it as WithPlayer
// does, for routes that keep something in the session without needing a
// player (the instructors' sign-in). The session is saved with its CSRF
// token from the first page on, since these pages hold the forms that
// start a session (bind). Use it rather than the manager's own
// LoadAndSave, which knows nothing of Sessions' idle timeout.
func (s *Sessions) LoadAndSave() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, _, err := s.load(c)
			if err != nil {
				return err
			}
			s.bind(ctx)
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// load loads the session named by the request's cookie (a new one when it
// names none, or none the store still holds) and arranges for it to be
// saved just before the response is written. It returns the context
// carrying the session, with the session's CSRF token for the templates,
// and the cookie's token.
//
// A stored session without a CSRF token gets one at once. A new session
// gets one only if it is saved anyway (the request made a player, say): a
// visitor who only reads costs no session row, and their page's token,
// bound to no session, is accepted from no one (see checkCSRF).
func (s *Sessions) load(c echo.Context) (context.Context, string, error) {
	vary(c.Response().Header(), "Cookie")
	ctx, token, err := s.loadOnly(c)
	if err != nil {
		return nil, "", err
	}
	csrf, pending := s.csrfToken(ctx)
	c.Response().Before(func() { s.save(ctx, c.Response(), pending) })
	ctx = templates.WithCSRF(ctx, csrf)
	return ctx, token, nil
}

// bind makes sure the request's session, loaded by load, is saved with the
// CSRF token its pages carry, for the routes whose forms a first visitor
// sends (the instructors' sign-in): their first form then passes the
// check without the browser's word for it (Sec-Fetch-Site).
func (s *Sessions) bind(ctx context.Context) {
	if s.sm.GetString(ctx, sessionCSRF) == "" {
		s.sm.Put(ctx, sessionCSRF, templates.CSRF(ctx))
	}
}

// loadOnly loads the request's session into the request's context, once
// per request, and returns that context and the cookie's token. It saves
// nothing: the CSRF check reads the session with it before the route's
// own middleware (WithPlayer, LoadAndSave) loads the same session again,
// which then costs no second read of the store.
func (s *Sessions) loadOnly(c echo.Context) (context.Context, string, error) {
	r := c.Request()
	token := ""
	if ck, err := r.Cookie(s.sm.Cookie.Name); err == nil {
		token = ck.Value
	}
	ctx, err := s.sm.Load(r.Context(), token)
	if err != nil {
		return nil, "", fmt.Errorf("load session: %w", err)
	}
	c.SetRequest(r.WithContext(ctx))
	return ctx, token, nil
}

// existing returns the player the session names, or the zero Player when
// it names none, or one that no longer exists.
func (s *Sessions) existing(ctx context.Context) (quest.Player, error) {
	id := s.sm.GetString(ctx, sessionPlayer)
	if id == "" {
		return quest.Player{}, nil
	}
	p, err := s.players.Player(ctx, id)
	if errors.Is(err, quest.ErrNotFound) {
		return quest.Player{}, nil
	}
	return p, err
}

// sessionCSRF is the session key holding the session's CSRF token: a
// synchronizer token, random, kept on the server and never in a cookie,
// so that a cookie planted by a sibling origin cannot forge it.
const sessionCSRF = "csrf"

// csrfToken returns the session's CSRF token, creating one when it has
// none: put in a stored session at once, or for a new one returned as
// pending too, for save to keep if it saves the session.
func (s *Sessions) csrfToken(ctx context.Context) (token, pending string) {
	if t := s.sm.GetString(ctx, sessionCSRF); t != "" {
		return t, ""
	}
	t := rand.Text()
	if s.sm.Token(ctx) == "" {
		return t, t
	}
	s.sm.Put(ctx, sessionCSRF, t)
	return t, ""
}

// beginForRetry gives a request the CSRF check refused, when it has no
// stored session, a session holding a CSRF token, saved with the refusal:
// the form page the visitor reloads then carries a token the next try
// passes with. It serves browsers that do not say Sec-Fetch-Site, whose
// first form from a page that made no session (a visitor who only read)
// has no bound token; others get nothing. A stored session is left alone.
func (s *Sessions) beginForRetry(c echo.Context) error {
	if c.Request().Header.Get(echo.HeaderSecFetchSite) != "" || s.sm.Token(c.Request().Context()) != "" {
		return nil
	}
	ctx, _, err := s.load(c)
	if err != nil {
		return err
	}
	s.bind(ctx)
	return nil
}

// validCSRF reports whether sent is the CSRF token of the session in ctx,
// compared in constant time. A session without a token (none, or one
// that expired) accepts nothing.
func (s *Sessions) validCSRF(ctx context.Context, sent string) bool {
	want := s.sm.GetString(ctx, sessionCSRF)
	return want != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(want)) == 1
}

// player returns the session's player, creating one when the session has
// none or names one that no longer exists.
func (s *Sessions) player(ctx context.Context, token string) (quest.Player, error) {
	if p, err := s.existing(ctx); err != nil || p.ID != "" {
		return p, err
	}
	p, err := s.players.CreatePlayer(ctx)
	if err != nil {
		return quest.Player{}, err
	}
	if token != "" {
		// A new identity never reuses a token the browser already had.
		if err := s.sm.RenewToken(ctx); err != nil {
			return quest.Player{}, fmt.Errorf("renew session: %w", err)
		}
	}
	s.sm.Put(ctx, sessionPlayer, p.ID)
	return p, nil
}

// save commits the session when it changed, or when it is stored and its
// expiry would move by a refresh interval or more, and then sets its
// cookie. Otherwise nothing is written, not even the cookie: the browser
// keeps it until the expiry of the last write, when the store drops the
// session too. A session saved without a CSRF token keeps csrf, the one
// its page carries (see load).
func (s *Sessions) save(ctx context.Context, w http.ResponseWriter, csrf string) {
	switch s.sm.Status(ctx) {
	case scs.Unmodified:
		if s.sm.Token(ctx) == "" || !s.stale(ctx) {
			return
		}
	case scs.Destroyed:
		s.sm.WriteSessionCookie(ctx, w, "", time.Time{})
		return
	}
	if csrf != "" && s.sm.GetString(ctx, sessionCSRF) == "" {
		s.sm.Put(ctx, sessionCSRF, csrf)
	}
	s.sm.Put(ctx, sessionTouched, s.now().UnixNano())
	token, deadline, err := s.sm.Commit(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "save session", "error", err)
		return
	}
	s.sm.WriteSessionCookie(ctx, w, token, s.expiry(deadline))
}

// stale reports whether the session was last written a refresh interval
// or more away from now. Either way counts, so that a clock set back (or
// an instance whose clock runs ahead) cannot keep a session from being
// written until it dies.
func (s *Sessions) stale(ctx context.Context) bool {
	d := s.now().Sub(time.Unix(0, s.sm.GetInt64(ctx, sessionTouched)))
	return d >= s.refresh || d <= -s.refresh
}

// Manager returns the session manager, for the other areas that keep
// something in the same session (the instructors' sign-in): one cookie,
// one store, one place that sets their flags. Their routes load and save
// it with LoadAndSave, never with the manager's own middleware.
func (s *Sessions) Manager() *scs.SessionManager { return s.sm }

// Renew gives the request's session a new token, keeping its data, as scs
// advises on every change of privilege (joining a cohort, saving
// credentials, an instructor signing in or out): a token someone saw
// before the change, planted in the browser to fix its session, is worth
// nothing after it. The CSRF token changes too, since whoever fixed the
// session knew it; the request's pages get the new one.
func (s *Sessions) Renew(c echo.Context) error {
	ctx := c.Request().Context()
	if err := s.sm.RenewToken(ctx); err != nil {
		return fmt.Errorf("renew session: %w", err)
	}
	t := rand.Text()
	s.sm.Put(ctx, sessionCSRF, t)
	c.SetRequest(c.Request().WithContext(templates.WithCSRF(ctx, t)))
	return nil
}

// playerOf returns the request's player, set by WithPlayer or
// MaybePlayer: the zero Player (ID "") for an anonymous visitor.
func playerOf(c echo.Context) quest.Player {
	p, _ := c.Get(playerKey).(quest.Player)
	return p
}
