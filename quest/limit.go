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

// failureKey names a player's budget of failures at an objective.
func failureKey(playerID, objectiveID string) string { return playerID + "/" + objectiveID }

// countsAgainstPlayer reports whether an attempt's outcome spends the
// player's budget: the player's own wrong answers (the ones that count
// against max_attempts too) and credentials Twilio refused, since each of
// those still costs a call to Twilio; never a success, Twilio's trouble, or
// a refusal made without looking at the SID (locked, attempts_exhausted,
// the limit itself).
func countsAgainstPlayer(r Reason) bool {
	return r.Counts() || r == BadCredentials
}

// limited plays an attempt under the failure budget. The attempt takes one
// failure from the budget before it is checked, so that concurrent attempts
// (a script clicking HACK in parallel) cannot exceed it, and gives it back
// when the outcome is not the player's fault. Without budget left the
// attempt is recorded as rate_limited, unchecked: nothing reaches Twilio.
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
	res, err = play()
	if err != nil || !countsAgainstPlayer(res.Submission.Reason) {
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
	sub := Submission{PlayerID: a.PlayerID, ObjectiveID: res.Objective.ID, Reason: RateLimited,
		RequestID: logging.RequestID(ctx), IP: a.IP}
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.RateLimited()
	}
	res.RetryAfter = wait
	acc, err := s.attemptCredentials(ctx, *a)
	if err != nil {
		return nil, err
	}
	res.Stored = acc.stored
	paste, _ := MaskSecrets(a.SID, acc.creds.Secret)
	res.Paste = ClipPaste(paste)
	return s.record(ctx, res, sub, nil, "rate_limited")
}
