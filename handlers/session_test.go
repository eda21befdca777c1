package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/internal/testkit/fakeclock"
	"github.com/questgate/questgate/store"
)

// fakeSessionStore is an scs.Store made of functions.
type fakeSessionStore struct {
	find   func(token string) ([]byte, bool, error)
	commit func(token string, b []byte, expiry time.Time) error
	delete func(token string) error
}

func (f fakeSessionStore) Find(token string) ([]byte, bool, error) { return f.find(token) }
func (f fakeSessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return f.commit(token, b, expiry)
}
func (f fakeSessionStore) Delete(token string) error { return f.delete(token) }

// storedSession is a row of the fake session store.
type storedSession struct {
	data   []byte
	expiry time.Time
}

// sessionEnv is a player's browser in front of two questgate instances
// sharing one session store, kept in a map whose sessions expire on a
// fake clock, as the database expires them on the real one. It counts the
// store's writes.
type sessionEnv struct {
	t       *testing.T
	clock   *fakeclock.Clock
	client  *http.Client
	servers [2]*httptest.Server
	next    int

	mu      sync.Mutex
	rows    map[string]storedSession
	commits int
}

func newSessionEnv(t *testing.T, opt handlers.SessionOptions) *sessionEnv {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The clock starts now: scs dates the Lifetime on the real clock.
	e := &sessionEnv{t: t, clock: fakeclock.New(time.Now()), client: newBrowser(t), rows: map[string]storedSession{}}
	opt.Now = e.clock.Now
	opt.Store = fakeSessionStore{
		find: func(token string) ([]byte, bool, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			r, ok := e.rows[token]
			if !ok || !e.clock.Now().Before(r.expiry) {
				return nil, false, nil
			}
			return r.data, true, nil
		},
		commit: func(token string, b []byte, expiry time.Time) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.rows[token] = storedSession{data: b, expiry: expiry}
			e.commits++
			return nil
		},
		delete: func(token string) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			delete(e.rows, token)
			return nil
		},
	}
	for i := range e.servers {
		s := handlers.NewSessions(st, opt)
		ech := echo.New()
		p := s.WithPlayer()
		ech.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, handlers.PlayerOf(c).ID) }, p)
		ech.GET("/note", func(c echo.Context) error {
			return c.String(http.StatusOK, s.Manager().GetString(c.Request().Context(), "note"))
		}, p)
		ech.POST("/note", func(c echo.Context) error {
			s.Manager().Put(c.Request().Context(), "note", c.FormValue("note"))
			return c.NoContent(http.StatusNoContent)
		}, p)
		ech.POST("/renew", func(c echo.Context) error {
			if err := s.Renew(c); err != nil {
				return err
			}
			return c.NoContent(http.StatusNoContent)
		}, p)
		e.servers[i] = httptest.NewServer(ech)
		t.Cleanup(e.servers[i].Close)
	}
	return e
}

// visit sends a request to the next instance in turn (both share the
// browser's cookies, which ignore ports) and returns the body and the
// session cookie set, if any.
func (e *sessionEnv) visit(method, path string, form url.Values) (string, *http.Cookie) {
	e.t.Helper()
	srv := e.servers[e.next%len(e.servers)]
	e.next++
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode >= 300 {
		e.t.Fatalf("%s %s: status %d: %s", method, path, resp.StatusCode, body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == handlers.SessionCookie {
			return string(body), c
		}
	}
	return string(body), nil
}

// player visits the home page and returns the player the browser is.
func (e *sessionEnv) player() string {
	e.t.Helper()
	id, _ := e.visit(http.MethodGet, "/", nil)
	return id
}

func (e *sessionEnv) writes() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.commits
}

// only returns the one session in the store.
func (e *sessionEnv) only() storedSession {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.rows) != 1 {
		e.t.Fatalf("%d sessions in the store, want 1", len(e.rows))
	}
	for _, r := range e.rows {
		return r
	}
	return storedSession{}
}

// refresh is how far a session's expiry must move before an unchanged
// session is written again: a hundredth of the idle timeout.
const refresh = handlers.DefaultIdleTimeout / 100

// TestSessionWrittenOncePerRefresh: a player busy on the pages, on either
// of two instances, costs one session write when the session starts, then
// one per refresh interval, not one per request; the browser's cookie
// always ends when the stored session does.
func TestSessionWrittenOncePerRefresh(t *testing.T) {
	e := newSessionEnv(t, handlers.SessionOptions{})
	id, ck := e.visit(http.MethodGet, "/", nil)
	if ck == nil || e.writes() != 1 {
		t.Fatalf("first visit: cookie %v, %d writes; want a cookie and 1 write", ck, e.writes())
	}
	checkCookieEndsWithSession(t, ck, e.only())
	for range 30 {
		e.clock.Advance(2 * time.Second)
		again, ck := e.visit(http.MethodGet, "/", nil)
		if again != id {
			t.Fatalf("player %s became %s", id, again)
		}
		if ck != nil {
			t.Errorf("an unchanged session's cookie was set again: %v", ck)
		}
	}
	if got := e.writes(); got != 1 {
		t.Errorf("31 requests in a minute wrote the session %d times, want 1", got)
	}

	e.clock.Advance(refresh)
	again, ck := e.visit(http.MethodGet, "/", nil)
	if again != id || ck == nil || e.writes() != 2 {
		t.Fatalf("a refresh interval later: player %s (want %s), cookie %v, %d writes; want the cookie and 2 writes",
			again, id, ck, e.writes())
	}
	checkCookieEndsWithSession(t, ck, e.only())
	if want := e.clock.Now().Add(handlers.DefaultIdleTimeout + refresh); !e.only().expiry.Equal(want) {
		t.Errorf("session stored until %v, want the idle timeout and a refresh interval later, %v", e.only().expiry, want)
	}
}

// checkCookieEndsWithSession checks that a persistent cookie expires with
// the stored session, to the second: a browser that no longer sends the
// cookie holds nothing the server would still accept, and the server
// drops no session whose cookie the browser still keeps.
func checkCookieEndsWithSession(t *testing.T, ck *http.Cookie, s storedSession) {
	t.Helper()
	if d := ck.Expires.Sub(s.expiry); d < 0 || d > 2*time.Second {
		t.Errorf("cookie expires %v, stored session %v", ck.Expires, s.expiry)
	}
}

// TestSessionIdleTimeout: a player who comes back within the idle timeout
// of their last request is the same player, however rarely the session
// was written; one who stays away longer than the idle timeout plus its
// hundredth starts over; the Lifetime ends every session.
func TestSessionIdleTimeout(t *testing.T) {
	const idle = handlers.DefaultIdleTimeout
	tests := []struct {
		name     string
		lifetime time.Duration
		// gaps are the times between one request and the next. The
		// player must stay the same but for the last request.
		gaps       []time.Duration
		samePlayer bool
	}{
		{"back just within the idle timeout", 0, []time.Duration{idle - time.Second}, true},
		{"back after the idle timeout and its slack", 0, []time.Duration{idle + refresh + time.Second}, false},
		{"a request every half idle timeout, for three timeouts", 0,
			[]time.Duration{idle / 2, idle / 2, idle / 2, idle / 2, idle / 2, idle / 2}, true},
		{"a request every hundredth of the idle timeout, for two timeouts", 0, repeat(200, refresh), true},
		// The second request writes nothing: the idle timeout still
		// counts from it, not from the write before.
		{"back within the idle timeout of an unwritten request", 0, []time.Duration{refresh / 2, idle - time.Second}, true},
		{"back within the slack of an unwritten request", 0, []time.Duration{refresh / 2, idle + refresh/2 - time.Second}, true},
		{"back after the slack of an unwritten request", 0, []time.Duration{refresh / 2, idle + refresh/2 + time.Second}, false},
		{"the Lifetime ends an active session", 10 * 24 * time.Hour, repeat(4, 3*24*time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSessionEnv(t, handlers.SessionOptions{Lifetime: tt.lifetime})
			id := e.player()
			for i, gap := range tt.gaps {
				e.clock.Advance(gap)
				last := i == len(tt.gaps)-1
				if got := e.player(); (got == id) != (tt.samePlayer || !last) {
					t.Fatalf("request %d, %v after the one before: player %s, first was %s", i+2, gap, got, id)
				}
			}
		})
	}
}

func repeat(n int, d time.Duration) []time.Duration {
	s := make([]time.Duration, n)
	for i := range s {
		s[i] = d
	}
	return s
}

// TestSessionChangesSavedAtOnce: whatever a request changes in the session
// is written by that request, with its cookie, and the next request (on
// the other instance) sees it; a renewed token replaces the old one.
func TestSessionChangesSavedAtOnce(t *testing.T) {
	e := newSessionEnv(t, handlers.SessionOptions{})
	id := e.player()

	e.clock.Advance(time.Second)
	if _, ck := e.visit(http.MethodPost, "/note", url.Values{"note": {"hello"}}); ck == nil || e.writes() != 2 {
		t.Fatalf("a change: cookie %v, %d writes; want the cookie and 2 writes", ck, e.writes())
	}
	if got, _ := e.visit(http.MethodGet, "/note", nil); got != "hello" {
		t.Errorf("the next request reads %q, want hello", got)
	}

	u, _ := url.Parse(e.servers[0].URL)
	old := e.client.Jar.Cookies(u)
	_, ck := e.visit(http.MethodPost, "/renew", nil)
	if ck == nil || ck.Value == old[0].Value || e.writes() != 3 {
		t.Fatalf("a renewal: cookie %v (was %v), %d writes; want a new token and 3 writes", ck, old, e.writes())
	}
	if got := e.player(); got != id {
		t.Errorf("the renewed session is player %s, want %s", got, id)
	}
	if got, _ := e.visit(http.MethodGet, "/note", nil); got != "hello" {
		t.Errorf("the renewed session reads %q, want hello", got)
	}
	// The old token is worth nothing.
	stale := newBrowser(t)
	stale.Jar.SetCookies(u, old)
	e.client = stale
	if got := e.player(); got == id {
		t.Error("the token before the renewal still names the player")
	}
}
