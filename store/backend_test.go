package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/questgate/questgate/internal/testkit/pgtest"
)

// backend is a database the store runs on, as the tests make them.
type backend struct {
	name string
	// db returns the address of a new, empty database, for Connect.
	db func(t testing.TB) string
}

// backends returns SQLite and PostgreSQL. PostgreSQL's db skips the test
// when pgtest.Env is unset; each PostgreSQL test works in a schema of its
// own, dropped when it ends.
func backends() []backend {
	return []backend{
		{BackendSQLite, func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "q.db") }},
		{BackendPostgres, pgtest.Schema},
	}
}

// open connects to a new, empty database of the backend, closed when the
// test ends.
func (b backend) open(t testing.TB, opts ...Option) *Store {
	t.Helper()
	return connectTest(t, b.db(t), opts...)
}

// connectTest connects to databaseURL, closing the store when the test ends.
func connectTest(t testing.TB, databaseURL string, opts ...Option) *Store {
	t.Helper()
	s, err := Connect(context.Background(), databaseURL, opts...)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// forEachBackend runs test once per backend, as subtests named after them.
func forEachBackend(t *testing.T, test func(t *testing.T, b backend)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { test(t, b) })
	}
}
