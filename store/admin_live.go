package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/questgate/questgate/verifier"
)

// Matches reports whether r is one f selects, by the same rules as
// ListSubmissions, so that a live view can decide on a new submission
// without a query. It takes a SubmissionRow, as AnySubmission returns it,
// since the cohort filter needs the player's cohort. SQLite's LIKE
// ignores ASCII case (the store uses ILIKE on PostgreSQL), and so does
// the SID prefix here.
func (f SubmissionFilter) Matches(r SubmissionRow) bool {
	sub := r.Submission
	switch {
	case f.CohortID != 0 && r.CohortID != f.CohortID,
		f.PlayerID != "" && sub.PlayerID != f.PlayerID,
		f.ObjectiveID != "" && sub.ObjectiveID != f.ObjectiveID,
		f.Reason != "" && sub.Reason != f.Reason,
		!f.Since.IsZero() && sub.CreatedAt.Before(f.Since),
		!f.Until.IsZero() && !sub.CreatedAt.Before(f.Until):
		return false
	}
	switch f.Outcome {
	case OutcomeSuccess:
		if !slices.Contains(successReasons, sub.Reason) {
			return false
		}
	case OutcomeUpstream:
		if !slices.Contains(upstreamReasons, sub.Reason) {
			return false
		}
	case OutcomeRejected:
		if slices.Contains(successReasons, sub.Reason) || slices.Contains(upstreamReasons, sub.Reason) {
			return false
		}
	}
	if f.SID != "" && !hasPrefixFold(sub.SID, f.SID) && !hasPrefixFold(sub.RawSID, f.SID) {
		return false
	}
	return true
}

// hasPrefixFold is strings.HasPrefix ignoring ASCII case, as LIKE does.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		a, b := s[i], prefix[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// NewerSubmissions returns the limit submissions matching f just above
// after, newest first: the page before a given one in ListSubmissions'
// order, and what a live view missed since the row it shows on top.
func (s *Store) NewerSubmissions(ctx context.Context, f SubmissionFilter, after int64, limit int) ([]SubmissionRow, error) {
	narrow, err := s.narrowDates(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list newer submissions: %w", err)
	}
	where, args := f.where(s, narrow)
	args = append(args, after, limit)
	rows, err := s.r.QueryContext(ctx, submissionRowFrom+`
		WHERE `+where+` AND s.id > ? ORDER BY s.id ASC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list newer submissions: %w", err)
	}
	defer rows.Close()
	var out []SubmissionRow
	for rows.Next() {
		r, err := scanSubmissionRow(rows)
		if err != nil {
			return nil, fmt.Errorf("list newer submissions: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list newer submissions: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

// OutcomeOf groups a reason into its outcome, as the filters do.
func OutcomeOf(r verifier.Reason) Outcome {
	switch {
	case slices.Contains(successReasons, r):
		return OutcomeSuccess
	case slices.Contains(upstreamReasons, r):
		return OutcomeUpstream
	default:
		return OutcomeRejected
	}
}

// narrowRange is the number of submissions under which a date range is
// read through the created_at index and sorted by id.
const narrowRange = 2000

// narrowDates tells how a page with date bounds is best read. A narrow
// range (a workshop's afternoon) is cheapest through the created_at index,
// sorting its few rows by id; a wide one ("since last month") is cheapest
// walking the table newest first, where 50 matches come at once, since
// sorting it whole would cost a second on 100,000 rows. Counting up to
// narrowRange index entries tells them apart in a fraction of a
// millisecond.
func (s *Store) narrowDates(ctx context.Context, f SubmissionFilter) (bool, error) {
	if f.Since.IsZero() && f.Until.IsZero() {
		return false, nil
	}
	where, args := SubmissionFilter{Since: f.Since, Until: f.Until}.where(s, true)
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM submissions s WHERE `+where+` LIMIT ?) AS r`,
		append(args, narrowRange)...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("size the date range: %w", err)
	}
	return n < narrowRange, nil
}
