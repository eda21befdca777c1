package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"modernc.org/sqlite"
)

// openCached opens a SQLite database in a new folder through
// sqliteConnector, keeping size statements per connection, with a table
// kv holding a=1, b=2, c=3. It has one connection, so that every query of
// a test meets the same cache.
func openCached(t *testing.T, size int) *sql.DB {
	t.Helper()
	connector, err := sqlite.NewConnector("file:" + escapePath(filepath.Join(t.TempDir(), "c.db")) + "?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(sqliteConnector{connector, size})
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO kv VALUES ('a', 1), ('b', 2), ('c', 3)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// cacheOf returns db's one connection's cache.
func cacheOf(t *testing.T, db *sql.DB) *stmtCacheConn {
	t.Helper()
	var c *stmtCacheConn
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error {
		var ok bool
		c, ok = dc.(*stmtCacheConn)
		if !ok {
			return fmt.Errorf("connection is a %T", dc)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

// kvQuery lists kv's pairs from k on.
const kvQuery = `SELECT k, v FROM kv WHERE k >= ? ORDER BY k`

// queryInTx begins a transaction on db, rolled back when the test ends,
// and runs kvQuery in it, leaving its rows open.
func queryInTx(t *testing.T, db *sql.DB) (*sql.Tx, *sql.Rows) {
	t.Helper()
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	rows, err := tx.QueryContext(context.Background(), kvQuery, "a")
	if err != nil {
		t.Fatal(err)
	}
	return tx, rows
}

// kvPairs runs kvQuery on q.
func kvPairs(t *testing.T, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, from string) []string {
	t.Helper()
	rows, err := q.QueryContext(context.Background(), kvQuery, from)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var k string
		var v int
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s=%d", k, v))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestStmtCacheReusesStatements(t *testing.T) {
	db := openCached(t, 16)
	c := cacheOf(t, db)
	before := c.cacheStats()
	for i, from := range []string{"a", "b", "c", "a"} {
		got := kvPairs(t, db, from)
		want := []string{"a=1", "b=2", "c=3"}[i%3:]
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("run %d from %s (-want +got):\n%s", i, from, diff)
		}
		if _, err := db.Exec(`UPDATE kv SET v = v WHERE k = ?`, from); err != nil {
			t.Fatal(err)
		}
	}
	after := c.cacheStats()
	if n := after.prepared - before.prepared; n != 2 {
		t.Errorf("8 runs of 2 queries prepared %d statements, want 2", n)
	}
	if after.finalized != before.finalized {
		t.Errorf("%d statements finalized, want none", after.finalized-before.finalized)
	}
}

// TestStmtCacheSameQueryWhileRowsOpen runs a query again, in the same
// transaction, while its first rows are still being read: the second run
// must not reset the statement under the first.
func TestStmtCacheSameQueryWhileRowsOpen(t *testing.T) {
	ctx := context.Background()
	db := openCached(t, 16)
	c := cacheOf(t, db)
	tx, rows := queryInTx(t, db)
	var outer, inner []string
	for rows.Next() {
		var k string
		var v int
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		outer = append(outer, fmt.Sprintf("%s=%d", k, v))
		inner = append(inner, kvPairs(t, tx, k)...)
		if _, err := tx.ExecContext(ctx, kvQuery, k); err != nil {
			t.Fatalf("exec of the busy query: %v", err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if diff := cmp.Diff([]string{"a=1", "b=2", "c=3"}, outer); diff != "" {
		t.Errorf("outer rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a=1", "b=2", "c=3", "b=2", "c=3", "c=3"}, inner); diff != "" {
		t.Errorf("inner runs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b=2", "c=3"}, kvPairs(t, tx, "b")); diff != "" {
		t.Errorf("after the rows closed (-want +got):\n%s", diff)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := c.cacheStats().prepared; n != 3 { // the two setup statements, and kvQuery once
		t.Errorf("%d statements prepared for the cache, want 3", n)
	}
}

func TestStmtCacheEvictionFinalizes(t *testing.T) {
	db := openCached(t, 2)
	c := cacheOf(t, db) // the setup's CREATE and INSERT are cached
	q := func(n int) string { return fmt.Sprintf(`SELECT v + %d FROM kv WHERE k = ?`, n) }
	run := func(n int) {
		t.Helper()
		var v int
		if err := db.QueryRow(q(n), "b").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != 2+n {
			t.Errorf("query %d = %d, want %d", n, v, 2+n)
		}
	}
	run(1)
	run(2)
	if got, want := c.cacheStats(), (stmtCacheStats{prepared: 4, finalized: 2}); got != want {
		t.Errorf("after 4 statements kept 2 at a time: %+v, want %+v", got, want)
	}
	run(1)
	if got, want := c.cacheStats(), (stmtCacheStats{prepared: 4, finalized: 2}); got != want {
		t.Errorf("after a kept one ran again: %+v, want %+v", got, want)
	}
	run(3) // evicts q(2), the least recently used
	run(1)
	if got, want := c.cacheStats(), (stmtCacheStats{prepared: 5, finalized: 3}); got != want {
		t.Errorf("after a third query: %+v, want %+v", got, want)
	}

}

// TestStmtCacheEvictsBusyStatementLater evicts a statement whose rows are
// open: they still read to the end, and it is finalized when they close.
func TestStmtCacheEvictsBusyStatementLater(t *testing.T) {
	ctx := context.Background()
	db := openCached(t, 1)
	c := cacheOf(t, db)
	tx, rows := queryInTx(t, db)
	before := c.cacheStats()
	var got []string
	for rows.Next() {
		var k string
		var v int
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		got = append(got, k)
		// Another statement takes the only place in the cache.
		if _, err := tx.ExecContext(ctx, `UPDATE kv SET v = v + 10 WHERE k = ?`, k); err != nil {
			t.Fatal(err)
		}
		if s := c.cacheStats(); s.finalized != before.finalized {
			t.Errorf("a statement finalized while its rows were open (%+v, before %+v)", s, before)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close() // already closed by the last Next
	if s := c.cacheStats(); s.finalized != before.finalized+1 {
		t.Errorf("closing the evicted statement's rows: %d finalized, want %d", s.finalized, before.finalized+1)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a=11", "b=12", "c=13"}, kvPairs(t, db, "a")); diff != "" {
		t.Errorf("after the updates (-want +got):\n%s", diff)
	}
}

func TestStmtCacheCloseFinalizes(t *testing.T) {
	db := openCached(t, 16)
	kvPairs(t, db, "a")
	c := cacheOf(t, db)
	if s := c.cacheStats(); s.finalized != 0 || s.prepared != 3 {
		t.Fatalf("before closing: %+v, want 3 prepared and none finalized", s)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if s := c.cacheStats(); s.finalized != 3 {
		t.Errorf("closing the connection finalized %d of its 3 statements", s.finalized)
	}
}

// TestStmtCacheFailedStatementPreparedAgain checks that a statement whose
// run failed is not kept, and that the error is the driver's.
func TestStmtCacheFailedStatementPreparedAgain(t *testing.T) {
	db := openCached(t, 16)
	c := cacheOf(t, db)
	insert := `INSERT INTO kv VALUES (?, ?)`
	before := c.cacheStats()
	if _, err := db.Exec(insert, "a", 9); !isUnique(err) {
		t.Fatalf("inserting a duplicate: %v, want a UNIQUE failure", err)
	}
	if _, err := db.Exec(insert, "d", 4); err != nil {
		t.Fatal(err)
	}
	if got, want := c.cacheStats(), (stmtCacheStats{prepared: before.prepared + 2, finalized: before.finalized + 1}); got != want {
		t.Errorf("%+v, want %+v", got, want)
	}
	if _, err := db.Exec(`SELECT nope FROM kv`); err == nil {
		t.Error("a query that does not compile ran")
	}
}

// TestStoreWriteTransactionsBeginImmediate checks that the store's write
// transactions still take SQLite's write lock when they begin (the DSN's
// _txlock=immediate), not at their first write: another connection cannot
// write meanwhile, even before the transaction has.
func TestStoreWriteTransactionsBeginImmediate(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = s.r.ExecContext(short, `INSERT INTO settings (key, value) VALUES ('k', 'v')`)
	if err == nil {
		t.Fatal("another connection wrote while a write transaction was open")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Logf("the other write failed with %v", err)
	}
}
