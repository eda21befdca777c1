package quest

import (
	"context"
	"time"

	"github.com/questgate/questgate/logging"
)

// Limiter keeps budgets of events per key. quest keeps one budget of
// failed attempts per player and objective: the domain rule is that a
// player may fail an objective at most so many times a minute, after which
// their attempts are refused unchecked until the budget refills.
//
// The contract (see package ratelimit, whose *Memory implements it): Take
// atomically counts one event for key, or counts nothing and returns false
// with the wait (> 0) until it could; Refund gives back one event counted
// by an earlier Take. An error means the limiter could not answer.
type Limiter interface {
	Take(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
	Refund(ctx context.Context, key string) error
}

// Refund is the failure an attempt took from its budget before it was
// checked, handed to a RefundingStore with the attempt's record: the store
// gives it back in the transaction that records the attempt when the
// recorded outcome does not spend the budget (Reason.SpendsBudget). A
// passing attempt then pays no write of its own for its refund, and the
// refund commits or rolls back with the attempt. The zero Refund gives
// nothing back.
type Refund struct {
	// Budget is the limiter the failure was taken from, one the store
	// keeps (RefundingStore.KeepsBudget).
	Budget Limiter
	// Key names the budget in it (a player and an objective).
	Key string
}

// RefundingStore is a Store that keeps a failure budget in its own
// database (store.Store with its DBLimiter), and so can give an attempt's
// failure back in the transaction that records the attempt. Its methods
// record as AttemptStore's RecordAttempt and FinishAttempt do; when
// refund is set and the recorded reason does not spend the budget, the
// failure is given back in the same transaction, and only then.
type RefundingStore interface {
	// KeepsBudget reports whether budget lives in the store's database,
	// where an attempt's record can refund it.
	KeepsBudget(budget Limiter) bool
	RecordAttemptRefunding(ctx context.Context, sub Submission, grant *Award, refund Refund) (Submission, error)
	FinishAttemptRefunding(ctx context.Context, sub Submission, grant *Award, refund Refund) (Submission, error)
}

// failureKey names a player's budget of failures at an objective.
func failureKey(playerID, objectiveID string) string { return playerID + "/" + objectiveID }

// SpendsBudget reports whether an attempt's outcome spends the player's
// failure budget: the player's own wrong answers (the ones that count
// against max_attempts too) and credentials Twilio refused, since each of
// those still costs a call to Twilio; never a success, Twilio's trouble, or
// a refusal made without looking at the SID (locked, attempts_exhausted,
// the limit itself). A RefundingStore asks it of the reason it records.
func (r Reason) SpendsBudget() bool {
	return r.Counts() || r == BadCredentials
}

// limited plays an attempt under the failure budget. The attempt takes one
// failure from the budget before it is checked, so that concurrent attempts
// (a script clicking HACK in parallel) cannot exceed it, and gives it back
// when the outcome is not the player's fault. Without budget left the
// attempt is recorded as rate_limited, unchecked: nothing reaches Twilio.
//
// When the Store keeps the budget itself (RefundingStore), the refund is
// handed to the attempt's record (Result.refund) and made in its
// transaction; it is made here, on its own, only when no record took it
// (a storage error, an attempt refused by max_attempts).
//
// A limiter that fails lets the attempt through: a broken shared store must
// not lock every player out.
func (s *Service) limited(ctx context.Context, res *Result, a *Attempt, play func() (*Result, error)) (*Result, error) {
	obj := &res.Objective
	key := failureKey(a.PlayerID, obj.ID)
	ok, wait, err := s.cfg.Failures.Take(ctx, key)
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "attempt limiter failed, attempt let through", "objective", obj.ID, "error", err)
		return play()
	}
	if !ok {
		return s.refuse(ctx, res, a, wait)
	}
	if s.refunds != nil {
		res.refund = Refund{Budget: s.cfg.Failures, Key: key}
	}
	res, err = play()
	if err == nil && res.refundRecorded {
		return res, nil
	}
	if err != nil || !res.Submission.Reason.SpendsBudget() {
		// The request may be over (the player left), the refund is still due.
		if rerr := s.cfg.Failures.Refund(context.WithoutCancel(ctx), key); rerr != nil {
			s.cfg.Log.WarnContext(ctx, "attempt limiter refund failed", "objective", obj.ID, "error", rerr)
		}
	}
	return res, err
}

// refuse records an attempt refused by the failure budget. Nothing of
// what was pasted is kept: the attempt was not looked at, and a script
// hammering the limit must not fill the database with its pastes.
func (s *Service) refuse(ctx context.Context, res *Result, a *Attempt, wait time.Duration) (*Result, error) {
	res.Submission = Submission{PlayerID: a.PlayerID, ObjectiveID: res.Objective.ID, Reason: RateLimited,
		RequestID: logging.RequestID(ctx), IP: a.IP}
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.RateLimited()
	}
	res.RetryAfter = wait
	var acc attemptAccount
	if err := s.attemptCredentials(ctx, a, &acc); err != nil {
		return nil, err
	}
	res.Stored = acc.stored
	paste, _ := MaskSecrets(a.SID, acc.creds.Secret)
	res.Paste = ClipPaste(paste)
	return s.finish(ctx, res, nil, false, "rate_limited")
}
