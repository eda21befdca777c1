// Package store keeps questgate's state in SQL: players, their Twilio
// credentials, every submission, awards, and the sandbox's accounts and
// messages. It knows SQL and nothing of HTTP or Twilio; the packages that
// use it declare the small interfaces they need.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/questgate/questgate/secrets"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Store is a SQLite database opened for concurrent use: one writer
// connection (SQLite allows one writer at a time, and queueing in Go beats
// spinning on SQLITE_BUSY) and a pool of readers (WAL lets them run beside
// the writer).
//
// Secrets (players' Twilio auth tokens and API key secrets, the sandbox's
// tokens) are sealed with a secrets.Ring before they are written and
// opened after they are read, so they exist in clear only in the memory
// of the callers that asked for them, and never in the database file.
type Store struct {
	w   *sql.DB
	r   *sql.DB
	now func() time.Time

	// keys seal and open secrets; reload, when set, reads them again from
	// their source (after a rotation made by another process).
	keys       atomic.Pointer[secrets.Ring]
	reload     func() (*secrets.Ring, error)
	reloadMu   sync.Mutex
	reloadedAt time.Time
	ephemeral  bool
}

// Option configures Open.
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

// Open opens (creating if needed) the SQLite database at path and applies
// pending migrations.
//
// Without WithSecrets, secrets are sealed with a random key that lives as
// long as the Store: fine for tests and for commands that never read a
// secret, useless for anything else, as a reopened store cannot read
// them. With WithSecrets, secrets an older questgate left in clear are
// sealed on the spot.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)",
		// Deleted rows (credentials a player removed, expired sessions)
		// are overwritten, not left in free pages of the file.
		"secure_delete(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	// The path is escaped as a URI path: in a "file:" name SQLite reads
	// '#' as the start of a fragment, '?' as the query and '%' as an
	// escape, so a folder named "x#01" (Go names subtests so) would open
	// another file.
	dsn := "file:" + escapePath(path) + "?" + q.Encode()

	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, now: time.Now, ephemeral: true}
	key, err := secrets.GenerateKey()
	if err != nil {
		w.Close()
		return nil, err
	}
	s.keys.Store(secrets.NewRing(key))
	for _, o := range opts {
		o(s)
	}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if !s.ephemeral {
		if _, err := s.sealPlaintext(ctx); err != nil {
			w.Close()
			return nil, err
		}
	}
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// Every reader stays open when idle: database/sql keeps only two by
	// default, so under load the others were closed and reopened for
	// nearly every query, each time paying the pragmas and losing the
	// connection's page cache (make bench: 8% of the server's CPU).
	readers := max(4, runtime.GOMAXPROCS(0)*2)
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	s.r = r
	return s, nil
}

// escapePath escapes the characters a SQLite URI filename gives a meaning.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "#", "%23", "?", "%3F").Replace(p)
}

func (s *Store) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.w, sub)
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.r.PingContext(ctx) }

// Close closes both pools.
func (s *Store) Close() error { return errors.Join(s.r.Close(), s.w.Close()) }

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
		return "", ErrNotFound
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
