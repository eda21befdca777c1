package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/questgate/questgate/quest"
)

// countedReasons is the SQL list of the reasons that count, pending
// reservations included.
var countedReasons = func() string {
	var rs []string
	for _, r := range quest.Reasons {
		if r.Counts() {
			rs = append(rs, "'"+string(r)+"'")
		}
	}
	return "(" + strings.Join(rs, ", ") + ")"
}()

// ReserveAttempt is the first half of an attempt at an objective with an
// attempt limit. Like RecordAttempt, it keeps RawSID and SID to
// MaxPasteLen bytes. In one write transaction, exclusive for the player and
// objective (SQLite's single writer and BEGIN IMMEDIATE; a transaction
// lock on PostgreSQL), it counts the player's counted
// attempts and then either records sub as pending (quest.Pending),
// holding one place under the limit while Twilio is asked, or, when no
// place is left, records it as quest.AttemptsExhausted. Concurrent
// attempts are thus serialised: however many arrive at once, no more than
// Max are ever let through.
//
// retryAfter says how long until a place frees, for a limit with a
// window: until the oldest counted attempt in the window leaves it. It is
// zero for a permanent lockout and for a reservation.
func (s *Store) ReserveAttempt(ctx context.Context, sub quest.Submission, lim quest.AttemptLimit) (saved quest.Submission, retryAfter time.Duration, err error) {
	sub.CreatedAt = s.now().UTC()
	sub.RawSID, sub.SID = quest.ClipPaste(sub.RawSID), quest.ClipPaste(sub.SID)
	in := sub
	err = s.grouped(ctx, func(tx *sql.Tx) error {
		sub, retryAfter = in, 0
		if err := s.lock(ctx, tx, false, "attempts:"+sub.PlayerID+"/"+sub.ObjectiveID); err != nil {
			return err
		}
		since := time.Time{}
		if lim.Window > 0 {
			since = sub.CreatedAt.Add(-lim.Window)
		}
		var n int
		var oldest sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT count(*), min(created_at) FROM submissions
			WHERE player_id = ? AND objective_id = ? AND created_at > ? AND reason IN `+countedReasons,
			sub.PlayerID, sub.ObjectiveID, since).Scan(&n, &oldest)
		if err != nil {
			return fmt.Errorf("count attempts: %w", err)
		}
		sub.Reason = quest.Pending
		if n >= lim.Max {
			sub.Reason = quest.AttemptsExhausted
			if lim.Window > 0 && oldest.Valid {
				if t, err := parseTime(oldest.String); err == nil {
					retryAfter = max(t.Add(lim.Window).Sub(sub.CreatedAt), time.Second)
				}
			}
		}
		id, err := insertSubmission(ctx, tx, sub)
		sub.ID = id
		return err
	})
	if err != nil {
		return quest.Submission{}, 0, fmt.Errorf("reserve attempt: %w", err)
	}
	return sub, retryAfter, nil
}

// FinishAttempt is the second half: it records the outcome of a reserved
// attempt (sub.ID, from ReserveAttempt) and, when grant is non-nil,
// attempts the award exactly as RecordAttempt does. An outcome that does
// not count (a success, Twilio's trouble) gives its place back.
func (s *Store) FinishAttempt(ctx context.Context, sub quest.Submission, grant *quest.Award) (quest.Submission, error) {
	return s.finishAttempt(ctx, sub, grant, nil)
}

// FinishAttemptRefunding finishes a reserved attempt as FinishAttempt
// does and, when the recorded reason does not spend the failure budget,
// gives refund's failure back in the same transaction, as
// RecordAttemptRefunding does.
func (s *Store) FinishAttemptRefunding(ctx context.Context, sub quest.Submission, grant *quest.Award, refund quest.Refund) (quest.Submission, error) {
	r, err := s.refundOf(refund)
	if err != nil {
		return quest.Submission{}, fmt.Errorf("finish attempt: %w", err)
	}
	return s.finishAttempt(ctx, sub, grant, r)
}

// finishAttempt is FinishAttempt with an optional refund.
func (s *Store) finishAttempt(ctx context.Context, sub quest.Submission, grant *quest.Award, r *refund) (quest.Submission, error) {
	sub.RawSID, sub.SID = quest.ClipPaste(sub.RawSID), quest.ClipPaste(sub.SID)
	if grant != nil {
		sub.Reason = quest.Awarded
	}
	in := sub
	err := s.grouped(ctx, func(tx *sql.Tx) error {
		sub = in
		with, args, err := s.checkThenRefund(ctx, tx, &sub, grant, r)
		if err != nil {
			return err
		}
		m, p := proofOf(sub.Message)
		res, err := tx.ExecContext(ctx, with+`UPDATE submissions SET sid = ?, reason = ?, msg_status = ?, msg_direction = ?,
			msg_to = ?, msg_from = ?, msg_body = ?, msg_num_media = ?, msg_date_created = ?, upstream_ms = ?, detail = ?,
			msg_duration_s = ?, msg_media = ?
			WHERE id = ? AND player_id = ? AND reason = ?`,
			append(args, sub.SID, string(sub.Reason), m.Status, m.Direction, m.To, m.From, m.Body, m.NumMedia, p.created,
				sub.Upstream.Milliseconds(), sub.Detail, p.duration, p.media, sub.ID, sub.PlayerID, string(quest.Pending))...)
		if err != nil {
			return fmt.Errorf("update submission: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.New("no pending submission to finish")
		}
		if sub.Reason == quest.Awarded {
			return s.insertAward(ctx, tx, sub, grant)
		}
		return nil
	})
	if err != nil {
		return quest.Submission{}, fmt.Errorf("finish attempt: %w", err)
	}
	if sub.Reason == quest.Awarded {
		s.cache.forget(sub.PlayerID)
	}
	return sub, nil
}

// parseTime reads a timestamp that an aggregate (min) returned as text:
// the SQLite driver writes time.Time values in Go's default format, and
// converts them back only for columns declared TIMESTAMP.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999 -0700 MST", time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable time %q", s)
}
