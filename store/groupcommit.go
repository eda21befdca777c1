package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
)

// maxGroup bounds how many attempts one group commit writes: enough to
// take a burst of players in a few commits, few enough that the first of
// them does not wait long for the others.
const maxGroup = 128

// groupCommit writes the attempts of concurrent HACKs in shared
// transactions. Recording an attempt is a short write transaction whose
// cost is mostly its commit (SQLite's WAL frames, PostgreSQL's flush of
// its log); with 500 players pressing HACK at once, those commits queued
// one behind the other on the single writer. Here the first writer to
// arrive commits alone; those that arrive while it does are written
// together in the next transaction, each in a savepoint of its own, so
// that one attempt's failure rolls back that attempt only. Nobody waits
// for a timer: a lone HACK is written at once, as before, and every
// caller still returns only once its attempt is committed, with its id.
//
// The writes run on a goroutine of their own, started when the writer is
// idle and gone once nothing is pending, never on a caller's: a caller
// is a HACK, whose stack already holds the request's handlers, and
// SQLite's write below them took it past 16 KiB, which Go doubles to 32
// for the rest of the HACK (docs/performance.md, memory).
type groupCommit struct {
	mu      sync.Mutex
	pending []*groupOp
	running bool
}

// groupOp is one caller's transaction body and where its outcome goes.
type groupOp struct {
	fn   func(*sql.Tx) error
	done chan error
}

// grouped runs fn in a write transaction shared with the concurrent
// callers of grouped, and returns fn's error or the commit's. fn must
// read and write through tx only, and may run more than once when a
// shared transaction fails as a whole (it is then retried alone), as a
// transaction body may be.
//
// On PostgreSQL each caller keeps a transaction of its own: its pool runs
// them side by side, its log flush already serves concurrent commits
// together, and a shared transaction would add two round trips per
// attempt (the savepoints) and hold the award locks for the whole group.
func (s *Store) grouped(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.pg && !s.groupOnPostgres {
		return s.tx(ctx, fn)
	}
	op := &groupOp{fn: fn, done: make(chan error, 1)}
	g := &s.group
	g.mu.Lock()
	g.pending = append(g.pending, op)
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if lead {
		go s.flushGroups(context.WithoutCancel(ctx))
	}
	// The caller waits for its outcome even when ctx ends: its body
	// runs with ctx and fails on its own then, rolled back, so that
	// nothing is left half-written behind a caller that went away.
	return <-op.done
}

// flushGroups writes the pending operations a group at a time, until
// none is left.
func (s *Store) flushGroups(ctx context.Context) {
	g := &s.group
	for {
		g.mu.Lock()
		n := min(len(g.pending), maxGroup)
		if n == 0 {
			g.running, g.pending = false, nil
			g.mu.Unlock()
			return
		}
		batch := g.pending[:n:n]
		g.pending = g.pending[n:]
		g.mu.Unlock()
		s.writeGroup(ctx, batch)
	}
}

// writeGroup runs batch in one transaction, each operation in a
// savepoint. An operation whose body fails is rolled back to its
// savepoint and told its error; the others commit. Should the shared
// transaction fail as a whole (its commit, a savepoint, a deadlock
// between instances on PostgreSQL), each operation it held is run again
// in a transaction of its own, so that no caller gets another's error.
func (s *Store) writeGroup(ctx context.Context, batch []*groupOp) {
	if len(batch) == 1 {
		batch[0].done <- s.tx(ctx, batch[0].fn)
		return
	}
	errs := make([]error, len(batch))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for i, op := range batch {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT attempt"); err != nil {
				return fmt.Errorf("savepoint: %w", err)
			}
			if errs[i] = op.fn(tx); errs[i] != nil {
				if retryAlone(errs[i]) {
					return errs[i]
				}
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT attempt"); err != nil {
					return fmt.Errorf("rollback to savepoint: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT attempt"); err != nil {
				return fmt.Errorf("release savepoint: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		for _, op := range batch {
			op.done <- s.tx(ctx, op.fn)
		}
		return
	}
	for i, op := range batch {
		op.done <- errs[i]
	}
}

// retryAlone reports whether err means the shared transaction itself is
// lost (PostgreSQL's deadlock and serialization failures abort it), so
// that its operations are retried alone rather than failed.
func retryAlone(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}
