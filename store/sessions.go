package store

import (
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/sqlite3store"
)

// SessionStore keeps web sessions for alexedwards/scs in the sessions
// table, so that every instance sharing the database knows every session.
// It is scs's own store for the database (plain SQL over database/sql):
// sqlite3store twice over on SQLite, where lookups, made on every player
// request, go to the reader pool and writes to the single writer
// connection like every other write; postgresstore on PostgreSQL. Handlers
// only see an scs.Store.
type SessionStore struct {
	r, w scsStore
}

// scsStore is what SessionStore needs of scs's stores.
type scsStore interface {
	Find(token string) ([]byte, bool, error)
	Commit(token string, b []byte, expiry time.Time) error
	Delete(token string) error
	All() (map[string][]byte, error)
	StopCleanup()
}

// SessionStore returns the session store, deleting expired sessions every
// cleanup (none when cleanup is zero). Stop it before closing the Store.
func (s *Store) SessionStore(cleanup time.Duration) *SessionStore {
	if s.pg {
		ps := postgresstore.NewWithCleanupInterval(s.w, cleanup)
		return &SessionStore{r: ps, w: ps}
	}
	return &SessionStore{
		r: sqlite3store.NewWithCleanupInterval(s.r, 0),
		w: sqlite3store.NewWithCleanupInterval(s.w, cleanup),
	}
}

// Find returns the data of the session whose (hashed) token is token.
func (ss *SessionStore) Find(token string) ([]byte, bool, error) { return ss.r.Find(token) }

// Commit saves a session's data until expiry.
func (ss *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return ss.w.Commit(token, b, expiry)
}

// Delete removes a session.
func (ss *SessionStore) Delete(token string) error { return ss.w.Delete(token) }

// All returns every live session, keyed by token.
func (ss *SessionStore) All() (map[string][]byte, error) { return ss.r.All() }

// Stop ends the cleanup of expired sessions.
func (ss *SessionStore) Stop() { ss.w.StopCleanup() }
