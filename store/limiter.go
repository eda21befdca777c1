package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/questgate/questgate/quest"
)

// DBLimiter is a rate-limit budget kept in the database, so that every
// instance sharing it counts against the same budget: a player who fails
// an objective too often is refused whichever instance answers. It keeps
// the contract of package ratelimit (see its doc), with the same
// arithmetic as ratelimit.Memory (GCRA: one theoretical arrival time per
// key, in the rate_limits table), and quest's Limiter interface.
//
// Each Take and Refund changes the key's row atomically, in one
// statement, so concurrent Takes, from one instance or many, never let
// more events through than the budget holds. An attempt's record may
// carry the refund instead (Store.RecordAttemptRefunding): the same
// statement, in the attempt's transaction.
type DBLimiter struct {
	s      *Store
	prefix string
	per    time.Duration
	every  time.Duration
	now    func() time.Time

	mu        sync.Mutex
	lastSweep time.Time
}

// FailureLimiter returns the database-backed budget of limit failed
// attempts per per, for quest's per-player, per-objective limit. It
// panics unless the budget allows at least one event over a positive
// duration, as ratelimit.NewMemory does.
func (s *Store) FailureLimiter(limit int, per time.Duration) *DBLimiter {
	return s.limiter("failures:", limit, per)
}

// limiter returns a budget whose keys are stored under prefix, apart from
// other budgets' keys.
func (s *Store) limiter(prefix string, limit int, per time.Duration) *DBLimiter {
	if limit <= 0 || per <= 0 || per/time.Duration(limit) <= 0 {
		panic(fmt.Sprintf("store: invalid limit %d per %s", limit, per))
	}
	return &DBLimiter{s: s, prefix: prefix, per: per, every: per / time.Duration(limit), now: s.now}
}

// Take counts one event for key if its budget allows it; otherwise it
// counts nothing and says how long to wait (> 0).
//
// It is one statement, atomic on either database: an upsert that moves
// the key's arrival time on only when the event fits, and returns it when
// it did. A refused Take reads the arrival time afterwards for the wait.
func (l *DBLimiter) Take(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error) {
	now := l.now().UnixNano()
	l.sweep(ctx, now)
	key = l.prefix + key
	every, per := int64(l.every), int64(l.per)
	// A new key starts full: its next arrival is now+every. An existing
	// one moves from max(tat, now); the event fits when the budget it
	// leaves spent (next-now) is at most the whole budget (per).
	var next int64
	err = l.s.w.QueryRowContext(ctx, `INSERT INTO rate_limits (key, tat) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET tat = CASE WHEN rate_limits.tat > ? THEN rate_limits.tat ELSE ? END + ?
		WHERE CASE WHEN rate_limits.tat > ? THEN rate_limits.tat ELSE ? END + ? - ? <= ?
		RETURNING tat`, key, now+every, now, now, every, now, now, every, now, per).Scan(&next)
	switch {
	case err == nil:
		return true, 0, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, 0, fmt.Errorf("take from %s: %w", key, err)
	}
	var tat int64
	if err := l.s.w.QueryRowContext(ctx, `SELECT tat FROM rate_limits WHERE key = ?`, key).Scan(&tat); err != nil {
		return false, 0, fmt.Errorf("take from %s: %w", key, err)
	}
	// Never less than a nanosecond: a refusal always says to wait.
	return false, max(time.Duration(max(tat, now)+every-now-per), 1), nil
}

// Refund gives back one event counted for key by Take, never filling the
// budget past full.
//
// It is one statement: the arrival time moves back one interval, but
// never before now (a full budget), as Take reads any earlier time as
// now. The sweep forgets a budget full again.
func (l *DBLimiter) Refund(ctx context.Context, key string) error {
	q, args := l.refundSQL(key)
	if _, err := l.s.w.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("refund to %s: %w", l.prefix+key, err)
	}
	return nil
}

// refundSQL is Refund's statement for key, and its arguments.
func (l *DBLimiter) refundSQL(key string) (string, []any) {
	now, every := l.now().UnixNano(), int64(l.every)
	return `UPDATE rate_limits SET tat = CASE WHEN tat - ? > ? THEN tat - ? ELSE ? END WHERE key = ?`,
		[]any{every, now, every, now, l.prefix + key}
}

// KeepsBudget reports whether budget is one of this store's own
// (a DBLimiter it made), which an attempt's record can refund
// (quest.RefundingStore): the refund then shares the attempt's
// transaction.
func (s *Store) KeepsBudget(budget quest.Limiter) bool {
	l, ok := budget.(*DBLimiter)
	return ok && l.s == s
}

// refund is a failure an attempt's record gives back to one of the
// store's budgets.
type refund struct {
	l   *DBLimiter
	key string
}

// refundOf returns r as the store makes it; nil for the zero Refund.
func (s *Store) refundOf(r quest.Refund) (*refund, error) {
	if r.Key == "" {
		return nil, nil
	}
	if !s.KeepsBudget(r.Budget) {
		return nil, errors.New("refund to a budget the store does not keep")
	}
	return &refund{l: r.Budget.(*DBLimiter), key: r.Key}, nil
}

// due returns r when an attempt recorded with reason gives its failure
// back, and nil when the failure stays spent (or r is nil).
func (r *refund) due(reason quest.Reason) *refund {
	if r == nil || reason.SpendsBudget() {
		return nil
	}
	return r
}

// refundWith gives r's failure back in tx (on PostgreSQL also the pool,
// for an attempt that is one statement), as part of the attempt's next
// statement: on PostgreSQL it returns a data-modifying WITH clause, and
// its arguments, for that statement to begin with (PostgreSQL runs it
// whether or not the statement reads it), sparing a round trip; on
// SQLite, whose WITH cannot modify and whose statements cost no round
// trip, it runs the refund at once and returns nothing. A nil r gives
// nothing back.
func (s *Store) refundWith(ctx context.Context, tx execer, r *refund) (string, []any, error) {
	if r == nil {
		return "", nil, nil
	}
	q, args := r.l.refundSQL(r.key)
	if s.pg {
		return "WITH refund AS (" + q + ") ", args, nil
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return "", nil, fmt.Errorf("refund to %s: %w", r.l.prefix+r.key, err)
	}
	return "", nil, nil
}

// sweep forgets, at most once per per, every key whose budget is full
// again (of any budget: a full one is full for all), so that idle players
// cost no rows. It is best effort: a failure leaves rows for the next.
func (l *DBLimiter) sweep(ctx context.Context, now int64) {
	l.mu.Lock()
	if l.lastSweep.IsZero() || time.Duration(now-l.lastSweep.UnixNano()) < l.per {
		if l.lastSweep.IsZero() {
			l.lastSweep = time.Unix(0, now)
		}
		l.mu.Unlock()
		return
	}
	l.lastSweep = time.Unix(0, now)
	l.mu.Unlock()
	_, _ = l.s.w.ExecContext(ctx, `DELETE FROM rate_limits WHERE tat <= ?`, now)
}

// keys counts the keys the limiter remembers, for tests.
func (l *DBLimiter) keys(ctx context.Context) (int, error) {
	var n int
	err := l.s.r.QueryRowContext(ctx, `SELECT count(*) FROM rate_limits WHERE key LIKE ? ESCAPE '\'`, escapeLike(l.prefix)+"%").Scan(&n)
	return n, err
}
