package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/store"
	"github.com/questgate/questgate/templates"
)

// PlayerStore creates and finds players.
type PlayerStore interface {
	CreatePlayer(ctx context.Context) (store.Player, error)
	Player(ctx context.Context, id string) (store.Player, error)
}

// SessionCookie is the name of the session cookie. It carries a random
// token only; the session (the player's id) is kept on the server.
const SessionCookie = "questgate_session"

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
	// zero); Lifetime ends any session this old (DefaultLifetime when zero).
	IdleTimeout time.Duration
	Lifetime    time.Duration
	// Secure marks the cookie Secure: browsers then send it over HTTPS
	// only. Set it whenever players reach the server over HTTPS, directly
	// or through a TLS-terminating proxy.
	Secure bool
	// Log receives the failures to save a session, which happen after the
	// response has started and cannot change it.
	Log *slog.Logger
}

// Sessions attaches a player to each browser with a server-side session
// (alexedwards/scs): the cookie is HttpOnly, SameSite=Lax, Secure when
// configured, and holds a random token whose hash names the session in
// the store, so neither the cookie nor a copy of the database reveals a
// player id.
type Sessions struct {
	sm      *scs.SessionManager
	players PlayerStore
	log     *slog.Logger
}

// NewSessions returns the sessions of players kept in players.
func NewSessions(players PlayerStore, opt SessionOptions) *Sessions {
	sm := scs.New()
	if opt.Store != nil {
		sm.Store = opt.Store
	}
	sm.IdleTimeout = cmpOr(opt.IdleTimeout, DefaultIdleTimeout)
	sm.Lifetime = cmpOr(opt.Lifetime, DefaultLifetime)
	sm.HashTokenInStore = true
	sm.Cookie.Name = SessionCookie
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = opt.Secure
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = true
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sessions{sm: sm, players: players, log: log}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// sessionPlayer is the session key holding the player's id.
const sessionPlayer = "player_id"

const playerKey = "questgate.player"

// WithPlayer loads the request's session and makes sure it has a player:
// the one it names, or a new one created on this first visit. The session
// is saved (and the cookie set) just before the response is written.
//
// Attach it to each route that needs a player, never to a group: a
// group's middleware also runs for its catch-all 404 route, and would
// create a player (and a session) for every bot probing unknown URLs.
func (s *Sessions) WithPlayer() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			c.Response().Header().Add("Vary", "Cookie")
			token := ""
			if ck, err := r.Cookie(SessionCookie); err == nil {
				token = ck.Value
			}
			ctx, err := s.sm.Load(r.Context(), token)
			if err != nil {
				return fmt.Errorf("load session: %w", err)
			}
			c.Response().Before(func() { s.save(ctx, c.Response()) })
			p, err := s.player(ctx, token)
			if err != nil {
				return err
			}
			c.Set(playerKey, p)
			c.SetRequest(r.WithContext(templates.WithPlayer(ctx, p.DisplayName)))
			return next(c)
		}
	}
}

// player returns the session's player, creating one when the session has
// none or names one that no longer exists.
func (s *Sessions) player(ctx context.Context, token string) (store.Player, error) {
	if id := s.sm.GetString(ctx, sessionPlayer); id != "" {
		p, err := s.players.Player(ctx, id)
		if !errors.Is(err, store.ErrNotFound) {
			return p, err
		}
	}
	p, err := s.players.CreatePlayer(ctx)
	if err != nil {
		return store.Player{}, err
	}
	if token != "" {
		// A new identity never reuses a token the browser already had.
		if err := s.sm.RenewToken(ctx); err != nil {
			return store.Player{}, fmt.Errorf("renew session: %w", err)
		}
	}
	s.sm.Put(ctx, sessionPlayer, p.ID)
	return p, nil
}

// save commits a changed session and sets its cookie. A session with an
// idle timeout changes on every request (its expiry moves), as scs does.
func (s *Sessions) save(ctx context.Context, w http.ResponseWriter) {
	switch s.sm.Status(ctx) {
	case scs.Modified:
		token, expiry, err := s.sm.Commit(ctx)
		if err != nil {
			s.log.ErrorContext(ctx, "save session", "error", err)
			return
		}
		s.sm.WriteSessionCookie(ctx, w, token, expiry)
	case scs.Destroyed:
		s.sm.WriteSessionCookie(ctx, w, "", time.Time{})
	}
}

// Manager returns the session manager, for the other areas that keep
// something in the same session (the instructors' sign-in): one cookie,
// one store, one place that sets their flags.
func (s *Sessions) Manager() *scs.SessionManager { return s.sm }

// Renew gives the request's session a new token, keeping its data, as scs
// advises on every change of privilege (such as joining a cohort): a token
// someone saw before the change is worth nothing after it.
func (s *Sessions) Renew(c echo.Context) error {
	if err := s.sm.RenewToken(c.Request().Context()); err != nil {
		return fmt.Errorf("renew session: %w", err)
	}
	return nil
}

// playerOf returns the request's player, set by WithPlayer.
func playerOf(c echo.Context) store.Player {
	p, _ := c.Get(playerKey).(store.Player)
	return p
}
