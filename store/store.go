// Package store keeps questgate's state in SQL: players, their Twilio
// credentials, every submission, awards, and the sandbox's accounts and
// messages. It is an adapter of the domain (package quest), whose types
// it reads and writes and whose sentinel errors it returns: it knows SQL
// and nothing of HTTP or Twilio, and never imports verifier; the packages
// that use it declare the small interfaces they need.
//
// It runs on SQLite (one server, one file) or on PostgreSQL, which several
// instances share: then sessions, rate-limit budgets and the webhook
// outbox are shared too, and whatever SQLite's single writer made
// exclusive is locked in the database. The queries are written once, with
// `?` placeholders; see Connect.
//
// Its tests run on SQLite, and on PostgreSQL too when
// QUESTGATE_TEST_POSTGRES_URL names a database they may create schemas in,
// such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/secrets"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Store is questgate's database, SQLite or PostgreSQL, opened for
// concurrent use.
//
// On SQLite it is one writer connection (SQLite allows one writer at a
// time, and queueing in Go beats spinning on SQLITE_BUSY) and a pool of
// readers (WAL lets them run beside the writer). On PostgreSQL both are
// one pool, shared by as many instances as run: the transactions that
// read before they write take row or transaction locks (see lock), where
// SQLite's single writer made them exclusive.
//
// Secrets (players' Twilio auth tokens and API key secrets, the sandbox's
// tokens) are sealed with a secrets.Ring before they are written and
// opened after they are read, so they exist in clear only in the memory
// of the callers that asked for them, and never in the database file.
type Store struct {
	log *slog.Logger // may be nil: see WithLogger
	w   *sql.DB
	r   *sql.DB
	pg  bool
	now func() time.Time

	// keys seal and open secrets; reload, when set, reads them again from
	// their source (after a rotation made by another process).
	keys      atomic.Pointer[secrets.Ring]
	reload    func() (*secrets.Ring, error)
	reloadMu  sync.Mutex
	ephemeral bool

	noMigrate bool
	pool      PoolOptions

	// group writes concurrent attempts in shared transactions (see
	// grouped); on PostgreSQL only when groupOnPostgres is set (tests of
	// the shared transaction itself).
	group           groupCommit
	groupOnPostgres bool

	// readiness is the goose provider Ready asks, on the reader pool,
	// built once: a provider walks the embedded migrations when built
	// and checks for (or creates) goose's version table on first use, so
	// one per probe would repeat both every few seconds.
	readiness *goose.Provider

	// cache answers a player request's reads of its player's awards,
	// credentials, event window and hints' cost at the version the
	// request read the player at (see playerCache).
	cache *playerCache
}

// Option configures Open and Connect.
type Option func(*Store)

// WithSecrets makes the store seal secrets with ring. reload, which may be
// nil, returns the ring again from where it came from: the store calls it
// when it meets a value sealed with a key it lacks, or learns that a
// rotation moved to such a key, so a server keeps working while
// `questgate keys rotate` runs beside it.
func WithSecrets(ring *secrets.Ring, reload func() (*secrets.Ring, error)) Option {
	return func(s *Store) {
		s.keys.Store(ring)
		s.reload = reload
		s.ephemeral = false
	}
}

// WithoutMigrations opens the database as it is, applying no migration
// (`serve --no-migrate`, when `questgate migrate` runs them as a separate
// deployment step). Migrate applies them later.
//
// Secrets an older questgate left in clear are sealed once the schema is
// migrated, which then waits: a store opened with migrations pending
// leaves them in clear (Ready reports ErrMigrationsPending meanwhile)
// until Migrate runs on a store that has the keys (WithSecrets), or the
// database is opened again after migrating. A `questgate migrate`
// without the keys applies the migrations and seals nothing.
func WithoutMigrations() Option { return func(s *Store) { s.noMigrate = true } }

// PoolOptions size the connection pool. Zero fields keep the defaults
// (on PostgreSQL: 10 connections or 4 per CPU, whichever is more, all
// kept when idle for up to 5 minutes, renewed every 30). On SQLite they
// apply to the reader pool only: the writer stays one connection, since
// SQLite has one writer at a time. On PostgreSQL MaxOpen is at least 2:
// Migrate holds one for its lock while it migrates through another.
type PoolOptions struct {
	// MaxOpen caps the open connections; MaxIdle the idle ones kept.
	MaxOpen, MaxIdle int
	// MaxLifetime closes a connection that old; MaxIdleTime one idle that
	// long, so a pool shrinks after a burst and follows a failover.
	MaxLifetime, MaxIdleTime time.Duration
}

// WithPool sets the connection pool's sizes and lifetimes.
func WithPool(p PoolOptions) Option { return func(s *Store) { s.pool = p } }

// apply sets p's non-zero fields on db. A pool given a size and no idle
// count keeps every connection open when idle: reopening one costs more
// than keeping it.
func (p PoolOptions) apply(db *sql.DB) {
	if p.MaxOpen > 0 {
		db.SetMaxOpenConns(p.MaxOpen)
		if p.MaxIdle == 0 {
			db.SetMaxIdleConns(p.MaxOpen)
		}
	}
	if p.MaxIdle > 0 {
		db.SetMaxIdleConns(p.MaxIdle)
	}
	if p.MaxLifetime > 0 {
		db.SetConnMaxLifetime(p.MaxLifetime)
	}
	if p.MaxIdleTime > 0 {
		db.SetConnMaxIdleTime(p.MaxIdleTime)
	}
}

// Connect opens the database databaseURL names and, unless
// WithoutMigrations, applies pending migrations:
//
//   - postgres://… or postgresql://… is PostgreSQL (11 or later), read
//     by pgx: libpq's parameters (sslmode, connect_timeout…) and runtime
//     parameters such as search_path may follow in the query;
//   - sqlite:PATH is the SQLite file PATH; sqlite://PATH is read the same
//     way, so sqlite:///var/lib/questgate.db is an absolute path;
//   - anything without a scheme is a SQLite path, as Open takes it,
//     unless it reads as a PostgreSQL keyword/value string (host=db
//     user=app…): that is refused, rather than made the name of a SQLite
//     file that would hold its password.
//
// Other schemes are refused, rather than taken for a file name.
func Connect(ctx context.Context, databaseURL string, opts ...Option) (*Store, error) {
	scheme, rest, ok := strings.Cut(databaseURL, ":")
	switch {
	case databaseURL == "":
		return nil, errors.New("no database given")
	case ok && (scheme == "postgres" || scheme == "postgresql"):
		return openPG(ctx, databaseURL, opts...)
	case ok && scheme == "sqlite":
		path := strings.TrimPrefix(rest, "//")
		if path == "" {
			return nil, fmt.Errorf("database %q: no SQLite path after the sqlite: scheme", databaseURL)
		}
		return Open(ctx, path, opts...)
	case ok && isScheme(scheme):
		// The URL itself is left out: it may hold a password.
		return nil, fmt.Errorf("database URL: unknown scheme %q (want postgres://, postgresql:// or sqlite:)", scheme)
	case isKeywordValueDSN(databaseURL):
		// The value itself is left out: it may hold a password.
		return nil, errors.New("this looks like a PostgreSQL keyword/value connection string: give a postgres:// URL (or a SQLite path)")
	}
	return Open(ctx, databaseURL, opts...)
}

// isKeywordValueDSN reports whether s, given without a scheme, reads as a
// PostgreSQL keyword/value connection string (host=db user=app …) rather
// than a SQLite path. A path holding both '=' and a space is taken for one
// too: sqlite:PATH still opens such a file.
func isKeywordValueDSN(s string) bool {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "=") && strings.ContainsAny(s, " \t") {
		return true
	}
	for _, k := range []string{"host=", "hostaddr=", "port=", "dbname=", "user=", "password=", "sslmode="} {
		if strings.HasPrefix(s, k) {
			return true
		}
	}
	return false
}

// isScheme reports whether s reads as a URL scheme (a letter, then
// letters, digits, '+', '-' or '.'). A single letter is a Windows drive.
func isScheme(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i, c := range s {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// newStore is a Store on w and r with opts applied and, until WithSecrets
// says otherwise, a random sealing key.
func newStore(w, r *sql.DB, pg bool, opts []Option) (*Store, error) {
	s := &Store{w: w, r: r, pg: pg, now: now, ephemeral: true, cache: newPlayerCache(playerCacheSize)}
	key, err := secrets.GenerateKey()
	if err != nil {
		return nil, err
	}
	s.keys.Store(secrets.NewRing(key))
	for _, o := range opts {
		o(s)
	}
	if s.readiness, err = s.providerOn(r); err != nil {
		return nil, err
	}
	return s, nil
}

// now is the store's clock. Times are kept to the microsecond, which is
// what PostgreSQL stores, so that a time reads back as it was written on
// either database.
func now() time.Time { return time.Now().Truncate(time.Microsecond) }

// Open opens (creating if needed) the SQLite database at path and, unless
// WithoutMigrations, applies pending migrations.
//
// Without WithSecrets, secrets are sealed with a random key that lives as
// long as the Store: fine for tests and for commands that never read a
// secret, useless for anything else, as a reopened store cannot read
// them. With WithSecrets, secrets an older questgate left in clear are
// sealed on the spot.
//
// The file, its write-ahead log and shared-memory files are readable by
// their owner only (0600), and so is a folder Open creates (0700).
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	folderWarning, err := prepareSQLiteFiles(path)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)",
		// Deleted rows (credentials a player removed, expired sessions)
		// are overwritten, not left in free pages of the file.
		"secure_delete(1)",
		// The savepoints of a group commit (one an attempt) keep the
		// pages they change in a statement journal, which SQLite spills
		// to a temporary file past 64 KiB: a group of 128 attempts wrote
		// it page by page, 10% of the server's CPU under load. In memory
		// it holds at most a group's pages (a few MiB).
		"temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	// The path is escaped as a URI path: in a "file:" name SQLite reads
	// '#' as the start of a fragment, '?' as the query and '%' as an
	// escape, so a folder named "x#01" (Go names subtests so) would open
	// another file.
	dsn := "file:" + escapePath(path) + "?" + q.Encode()

	// Every connection keeps its prepared statements (see
	// sqliteConnector): the store's queries are the same few texts again
	// and again.
	connector, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w := sql.OpenDB(sqliteConnector{connector, stmtCacheSize})
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r := sql.OpenDB(sqliteConnector{connector, stmtCacheSize})
	// Every reader stays open when idle: database/sql keeps only two by
	// default, so under load the others were closed and reopened for
	// nearly every query, each time paying the pragmas and losing the
	// connection's page cache (make bench: 8% of the server's CPU).
	readers := max(4, runtime.GOMAXPROCS(0)*2)
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	s, err := newStore(w, r, false, opts)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	s.pool.apply(r)
	if folderWarning != "" && s.log != nil {
		s.log.Warn(folderWarning)
	}
	if err := s.start(ctx); err != nil {
		s.Close()
		return nil, err
	}
	// The migrations have written through WAL: the -wal and -shm files exist.
	if err := tightenSQLiteFiles(path); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openPG opens the PostgreSQL database at databaseURL.
func openPG(ctx context.Context, databaseURL string, opts ...Option) (*Store, error) {
	db, redact, err := openPostgres(databaseURL)
	if err != nil {
		return nil, err
	}
	// Defaults for a server: enough connections for bursts of requests,
	// kept open between them, and renewed now and then so the pool
	// follows a failover or a connection pooler's restarts.
	db.SetMaxOpenConns(max(10, runtime.GOMAXPROCS(0)*4))
	db.SetMaxIdleConns(max(10, runtime.GOMAXPROCS(0)*4))
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s, err := newStore(db, db, true, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	if s.pool.MaxOpen == 1 {
		// Migrate holds a connection for its lock while it migrates
		// through another one.
		s.pool.MaxOpen = 2
	}
	s.pool.apply(db)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", redact(err))
	}
	if err := s.start(ctx); err != nil {
		db.Close()
		return nil, redact(err)
	}
	return s, nil
}

// start migrates (unless told not to) and seals the secrets an older
// questgate stored in clear, which needs the migrated tables. Either way
// goose's version table exists once it returns (made through the writer),
// so Ready, which checks it once, then only reads.
func (s *Store) start(ctx context.Context) error {
	if !s.noMigrate {
		_, err := s.Migrate(ctx)
		return err
	}
	p, err := s.provider()
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("check migrations: %w", err)
	}
	if pending || s.ephemeral {
		// Ready reports the pending migrations; Migrate seals once it
		// has applied them.
		return nil
	}
	_, err = s.sealPlaintext(ctx)
	return err
}

// escapePath escapes the characters a SQLite URI filename gives a meaning.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "#", "%23", "?", "%3F").Replace(p)
}

// Backend names the database the store runs on: BackendSQLite or
// BackendPostgres.
func (s *Store) Backend() string {
	if s.pg {
		return BackendPostgres
	}
	return BackendSQLite
}

// provider returns the goose migrations of the store's database, run
// through the writer. Each database has its own folder of migrations,
// with the same versions reaching the same schema.
func (s *Store) provider() (*goose.Provider, error) { return s.providerOn(s.w) }

// providerOn returns the store's migrations on db, one of the store's
// pools: the reader is enough to tell what is pending.
func (s *Store) providerOn(db *sql.DB) (*goose.Provider, error) {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	if s.pg {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(dialect, db, sub)
	if err != nil {
		return nil, fmt.Errorf("prepare migrations: %w", err)
	}
	return p, nil
}

// Migrate applies the pending migrations and returns how many it applied.
// On PostgreSQL it holds an advisory lock (one per schema) meanwhile, so
// that instances starting together migrate once: the others wait, then
// find nothing pending.
//
// Then, on a store given keys (WithSecrets), it seals the secrets an
// older questgate left in clear, which needs the migrated schema: a store
// opened WithoutMigrations before the migrations were applied left them.
// Without keys it seals nothing: a random key would make them unreadable.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	applied, err = s.migrate(ctx)
	if err != nil || s.ephemeral {
		return applied, err
	}
	if _, err := s.sealPlaintext(ctx); err != nil {
		return applied, err
	}
	return applied, nil
}

// migrate applies the pending migrations, as Migrate says.
func (s *Store) migrate(ctx context.Context) (applied int, err error) {
	p, err := s.provider()
	if err != nil {
		return 0, err
	}
	if s.pg {
		conn, err := s.w.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("apply migrations: %w", err)
		}
		defer func() {
			// The session's end releases the lock, whatever happened:
			// the connection is discarded rather than pooled.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			conn.Close()
		}()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtextextended('questgate.migrate:' || current_schema(), 0))`); err != nil {
			return 0, fmt.Errorf("apply migrations: lock: %w", err)
		}
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("apply migrations: %w", err)
	}
	return len(res), nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.r.PingContext(ctx) }

// Close closes the pools.
func (s *Store) Close() error {
	if s.r == s.w {
		return s.w.Close()
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

// tx runs fn in a write transaction, committing when it returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Setting returns a server-wide setting, or ErrNotFound.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", quest.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores a server-wide setting.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("write setting %s: %w", key, err)
	}
	return nil
}
