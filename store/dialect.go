package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The backends a Store runs on, as Backend names them.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// rebind rewrites the store's `?` placeholders into PostgreSQL's $1, $2…,
// leaving any `?` inside a quoted string or identifier alone. The store's
// SQL is written once, for both databases, with `?`.
//
// It keeps no cache: one pass over a long query costs under half a
// microsecond and one allocation (BenchmarkRebind), against a round trip
// of tens of microseconds to the database, and pgx caches its prepared
// statements by the rewritten text anyway.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// pgConnector opens pgx connections whose queries are rebound, so that
// database/sql, and every query of the store, work unchanged on
// PostgreSQL. Queries without `?` (goose's, scs's) pass as they are.
type pgConnector struct{ driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(*stdlib.Conn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("unexpected pgx connection type %T", conn)
	}
	return &pgConn{sc}, nil
}

// pgConn is a pgx database/sql connection that rebinds placeholders; every
// other method (transactions, ping, session reset) is pgx's own.
type pgConn struct{ *stdlib.Conn }

func (c *pgConn) Prepare(query string) (driver.Stmt, error) { return c.Conn.Prepare(rebind(query)) }

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), args)
}

// errBadPostgresURL is openPostgres's answer to a URL it cannot read,
// which never quotes the URL: pgx hides the password in its own message
// only as far as it can tell where the password is.
var errBadPostgresURL = errors.New("invalid PostgreSQL URL: check it, and percent-encode reserved characters (such as @ : / ?) in the user name and password")

// openPostgres opens a pool of pgx connections to databaseURL. Every
// connection reads timestamps in UTC, as the SQLite driver does, so times
// compare equal whichever database they come from.
//
// It returns too what redacts the URL's password from an error, for the
// errors that connecting gives.
func openPostgres(databaseURL string) (*sql.DB, func(error) error, error) {
	if ambiguousUserinfo(databaseURL) {
		return nil, nil, errBadPostgresURL
	}
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		// Neither wrapped nor quoted: pgconn's ParseConfigError keeps the
		// URL, password and all.
		return nil, nil, errBadPostgresURL
	}
	utc := stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	})
	passwords := []string{cfg.Password}
	if u, err := url.Parse(databaseURL); err == nil {
		if p, ok := u.User.Password(); ok {
			passwords = append(passwords, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	redact := func(err error) error {
		if err == nil {
			return nil
		}
		msg := err.Error()
		for _, p := range passwords {
			if p != "" {
				msg = strings.ReplaceAll(msg, p, "xxxxx")
			}
		}
		if msg == err.Error() {
			return err
		}
		return redactedError{msg, err}
	}
	return sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg, utc)}), redact, nil
}

// ambiguousUserinfo reports whether a postgres:// URL's authority (what
// precedes its path, query or fragment) holds more than one '@': a
// password with an '@' left unencoded, which pgx would read as part of
// the host and then quote in its errors ("lookup ss@db").
func ambiguousUserinfo(databaseURL string) bool {
	_, rest, ok := strings.Cut(databaseURL, "://")
	if !ok {
		return false
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return strings.Count(rest, "@") > 1
}

// redactedError is an error whose text has had a password taken out. It
// unwraps to the original, for errors.Is and errors.As, whose own text
// must not be shown.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// isUnique reports whether err is a UNIQUE (or primary key) constraint
// failure, in either database.
func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// lock serialises, across every instance sharing the database, the
// transactions tx that take the same key, until tx ends. SQLite needs
// nothing: its single writer already runs one write transaction at a
// time. On PostgreSQL (READ COMMITTED) it is what keeps a
// read-then-write transaction, such as counting attempts before recording
// one, from interleaving with its twin on another connection. shared
// locks exclude only exclusive ones. Keys are scoped by schema.
func (s *Store) lock(ctx context.Context, tx *sql.Tx, shared bool, keys ...string) error {
	if !s.pg || len(keys) == 0 {
		return nil
	}
	q, args := lockSQL(shared, keys)
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("lock %s: %w", strings.Join(keys, ", "), err)
	}
	return nil
}

// lockSQL is lock's statement on PostgreSQL: one advisory lock per key,
// taken in the keys' order.
func lockSQL(shared bool, keys []string) (string, []any) {
	fn := "pg_advisory_xact_lock"
	if shared {
		fn = "pg_advisory_xact_lock_shared"
	}
	calls := make([]string, len(keys))
	args := make([]any, len(keys))
	for i, k := range keys {
		calls[i] = fn + `(hashtextextended(current_schema() || ':' || ?, 0))`
		args[i] = k
	}
	return `SELECT ` + strings.Join(calls, ", "), args
}

// like is the operator that matches a LIKE pattern ignoring case, as
// SQLite's LIKE does for ASCII.
func (s *Store) like() string {
	if s.pg {
		return "ILIKE"
	}
	return "LIKE"
}

// forUpdateSkipLocked ends a SELECT whose rows (of table alias) the
// transaction claims, on PostgreSQL skipping rows another transaction
// holds. SQLite's single writer makes it unneeded, and it has no such
// clause.
func (s *Store) forUpdateSkipLocked(alias string) string {
	if s.pg {
		return " FOR UPDATE OF " + alias + " SKIP LOCKED"
	}
	return ""
}
