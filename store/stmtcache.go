package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"fmt"
	"reflect"
	"sync"
)

// stmtCacheSize is how many prepared statements each SQLite connection
// keeps. The store's queries are a fixed set of a hundred or so texts, and
// a connection runs only some of them, so the cap only bounds what
// one-off texts (migrations, goose's bookkeeping) leave behind.
const stmtCacheSize = 256

// sqliteConnector opens modernc.org/sqlite connections that keep their
// prepared statements, so that every query of the store, and of scs's
// sqlite3store, stops being parsed and planned on each call (a quarter of
// the server's CPU per HACK, measured). It is transparent: the store's
// queries pass SQL text to database/sql as before.
type sqliteConnector struct {
	driver.Connector
	// size is how many statements each connection keeps.
	size int
}

// Connect opens a driver connection and gives it a statement cache.
func (c sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(sqliteDriverConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("unexpected SQLite connection type %T", conn)
	}
	return newStmtCacheConn(sc, c.size), nil
}

// sqliteDriverConn is what modernc.org/sqlite's connections implement, and
// what database/sql looks for on a connection: stmtCacheConn passes on all
// of it. (They implement no NamedValueChecker, so neither does
// stmtCacheConn: arguments are converted by database/sql's defaults, as
// they were.)
type sqliteDriverConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cacheableStmt is a prepared statement that runs with a context, as
// modernc.org/sqlite's do.
type cacheableStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

var (
	_ sqliteDriverConn                      = (*stmtCacheConn)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*cachedRows)(nil)
	_ driver.RowsColumnTypeLength           = (*cachedRows)(nil)
	_ driver.RowsColumnTypeNullable         = (*cachedRows)(nil)
	_ driver.RowsColumnTypePrecisionScale   = (*cachedRows)(nil)
	_ driver.RowsColumnTypeScanType         = (*cachedRows)(nil)
)

// stmtCacheConn is a SQLite connection that runs ExecContext and
// QueryContext through a statement prepared once per query text and kept,
// the least recently used ones finalized beyond its size. Transactions
// (BEGIN IMMEDIATE, as the DSN's _txlock asks), Prepare, Ping and the
// pool's checks are the driver's own.
//
// A kept statement runs one query at a time: while the rows of one are
// open, the same text runs through a statement of its own, finalized when
// its rows close, as every query did before. A statement whose run failed
// is finalized rather than kept, so the next run starts afresh. Schema
// changes need nothing: SQLite (sqlite3_prepare_v2) compiles a kept
// statement again when the schema it was planned on changed.
//
// database/sql uses a connection from one goroutine at a time, but may
// close rows from another (when a context ends); mu orders that.
type stmtCacheConn struct {
	sqliteDriverConn
	size int

	mu      sync.Mutex
	lru     list.List // of *cachedStmt, most recently used first
	byQuery map[string]*list.Element
	stats   stmtCacheStats
}

// stmtCacheStats counts what a connection's cache did, for its tests.
type stmtCacheStats struct {
	prepared, finalized int
}

// cachedStmt is a kept statement. busy is set while it runs or its rows
// are open; evicted when it left the cache meanwhile, to be finalized when
// it is done.
type cachedStmt struct {
	query   string
	stmt    cacheableStmt
	elem    *list.Element
	busy    bool
	evicted bool
}

func newStmtCacheConn(c sqliteDriverConn, size int) *stmtCacheConn {
	return &stmtCacheConn{sqliteDriverConn: c, size: max(size, 1), byQuery: map[string]*list.Element{}}
}

// Unwrap returns the driver's connection, which modernc.org/sqlite's
// helpers taking a *sql.Conn (sqlite.Limit…) look for.
func (c *stmtCacheConn) Unwrap() driver.Conn { return c.sqliteDriverConn }

// ExecContext runs query through its kept statement.
func (c *stmtCacheConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteDriverConn.ExecContext(ctx, query, args)
	}
	res, err := cs.stmt.ExecContext(ctx, args)
	c.release(cs, err)
	return res, err
}

// QueryContext runs query through its kept statement, which stays busy
// until the rows close.
func (c *stmtCacheConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteDriverConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		c.release(cs, err)
		return nil, err
	}
	return &cachedRows{Rows: rows, c: c, cs: cs}, nil
}

// acquire returns query's kept statement, prepared now if it was not, and
// marks it busy. It returns nil, and no error, when the statement is busy
// (its rows are open) or cannot be kept: the caller runs query without it.
func (c *stmtCacheConn) acquire(ctx context.Context, query string) (*cachedStmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byQuery[query]; ok {
		cs := el.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		c.lru.MoveToFront(el)
		cs.busy = true
		return cs, nil
	}
	st, err := c.sqliteDriverConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	stmt, ok := st.(cacheableStmt)
	if !ok {
		st.Close()
		return nil, nil
	}
	c.stats.prepared++
	cs := &cachedStmt{query: query, stmt: stmt, busy: true}
	cs.elem = c.lru.PushFront(cs)
	c.byQuery[query] = cs.elem
	for c.lru.Len() > c.size {
		c.evict(c.lru.Back().Value.(*cachedStmt))
	}
	return cs, nil
}

// release marks cs done after a run that ended with err, finalizing it if
// it was evicted meanwhile or if the run failed.
func (c *stmtCacheConn) release(cs *cachedStmt, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs.busy = false
	switch {
	case cs.evicted:
		c.finalize(cs)
	case err != nil:
		c.evict(cs)
	}
}

// evict takes cs out of the cache, finalizing it unless it is busy.
// c.mu is held.
func (c *stmtCacheConn) evict(cs *cachedStmt) {
	c.lru.Remove(cs.elem)
	delete(c.byQuery, cs.query)
	cs.elem = nil
	if cs.busy {
		cs.evicted = true
		return
	}
	c.finalize(cs)
}

// finalize finalizes cs. Its error is not returned: sqlite3_finalize
// repeats the error of the statement's last run, already reported to the
// query that made it, and the statement is gone either way. c.mu is held.
func (c *stmtCacheConn) finalize(cs *cachedStmt) {
	_ = cs.stmt.Close()
	c.stats.finalized++
}

// Close finalizes the kept statements, then closes the connection.
// database/sql closes no connection whose rows are open, so none is busy.
func (c *stmtCacheConn) Close() error {
	c.mu.Lock()
	for c.lru.Len() > 0 {
		c.evict(c.lru.Front().Value.(*cachedStmt))
	}
	c.mu.Unlock()
	return c.sqliteDriverConn.Close()
}

// cacheStats returns what the cache did so far.
func (c *stmtCacheConn) cacheStats() stmtCacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// cachedRows are the rows of a kept statement: closing them (which resets
// the statement, not finalizes it) makes the statement free to run again.
// The column type methods are the driver's, so that sql.Rows.ColumnTypes
// says what it said without the cache.
type cachedRows struct {
	driver.Rows
	c  *stmtCacheConn
	cs *cachedStmt
}

// Close closes the rows, then frees (or, if evicted, finalizes) their
// statement.
func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if r.cs != nil {
		r.c.release(r.cs, err)
		r.cs = nil
	}
	return err
}

// ColumnTypeDatabaseTypeName is the driver's.
func (r *cachedRows) ColumnTypeDatabaseTypeName(index int) string {
	if ct, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return ct.ColumnTypeDatabaseTypeName(index)
	}
	return ""
}

// ColumnTypeLength is the driver's.
func (r *cachedRows) ColumnTypeLength(index int) (int64, bool) {
	if ct, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return ct.ColumnTypeLength(index)
	}
	return 0, false
}

// ColumnTypeNullable is the driver's.
func (r *cachedRows) ColumnTypeNullable(index int) (nullable, ok bool) {
	if ct, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return ct.ColumnTypeNullable(index)
	}
	return false, false
}

// ColumnTypePrecisionScale is the driver's.
func (r *cachedRows) ColumnTypePrecisionScale(index int) (precision, scale int64, ok bool) {
	if ct, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return ct.ColumnTypePrecisionScale(index)
	}
	return 0, 0, false
}

// ColumnTypeScanType is the driver's.
func (r *cachedRows) ColumnTypeScanType(index int) reflect.Type {
	if ct, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return ct.ColumnTypeScanType(index)
	}
	return reflect.TypeFor[any]()
}
