package store

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// postgresEnv names the variable holding the PostgreSQL server the tests
// may use, such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
// Each test works in a schema of its own, dropped when it ends.
const postgresEnv = "QUESTGATE_TEST_POSTGRES_URL"

// backend is a database the store runs on, as the tests make them.
type backend struct {
	name string
	// db returns the address of a new, empty database, for Connect.
	db func(t testing.TB) string
}

// backends returns SQLite and PostgreSQL. PostgreSQL's db skips the test
// when postgresEnv is unset.
func backends() []backend {
	return []backend{
		{BackendSQLite, func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "q.db") }},
		{BackendPostgres, func(t testing.TB) string {
			base := os.Getenv(postgresEnv)
			if base == "" {
				t.Skipf("PostgreSQL case skipped: set %s to run it", postgresEnv)
			}
			return pgSchema(t, base)
		}},
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

// pgSchema creates a schema of its own for the test on the server at
// base, dropped when the test ends, and returns base with search_path set
// to it: parallel tests and packages never see each other's tables.
func pgSchema(t testing.TB, base string) string {
	t.Helper()
	db, err := openPostgres(base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	schema := "qg_test_" + strings.ToLower(rand.Text())
	if _, err := db.ExecContext(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
