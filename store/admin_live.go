package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/questgate/questgate/quest"
)

// NewerSubmissions returns the limit submissions matching f just above
// after, newest first: the page before a given one in ListSubmissions'
// order, and what a live view missed since the row it shows on top. A
// windowed filter is read as ListSubmissions reads it, upwards: the
// submissionWindow ids above after first, then the rest through the set.
func (s *Store) NewerSubmissions(ctx context.Context, f quest.SubmissionFilter, after int64, limit int) ([]quest.SubmissionRow, error) {
	narrow, err := s.narrowDates(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list newer submissions: %w", err)
	}
	var out []quest.SubmissionRow
	if !windowed(f, narrow) {
		out, err = s.listAbove(ctx, f, narrow, false, after, 0, limit)
	} else {
		ceiling := after + submissionWindow
		out, err = s.listAbove(ctx, f, false, false, after, ceiling+1, limit)
		if err == nil && len(out) < limit {
			var top int64
			if top, err = s.maxSubmissionID(ctx); err == nil && top > ceiling {
				var rest []quest.SubmissionRow
				rest, err = s.listAbove(ctx, f, false, true, ceiling, 0, limit-len(out))
				out = append(out, rest...)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("list newer submissions: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

// listAbove returns up to limit submissions matching f with after < id <
// below (below 0: no upper bound), oldest first; byDate and bySet as in
// filterSQL.
func (s *Store) listAbove(ctx context.Context, f quest.SubmissionFilter, byDate, bySet bool, after, below int64, limit int) ([]quest.SubmissionRow, error) {
	where, args := filterSQL(f, s, byDate, bySet)
	where += " AND s.id > ?"
	args = append(args, after)
	if below > 0 {
		where += " AND s.id < ?"
		args = append(args, below)
	}
	args = append(args, limit)
	return s.querySubmissionRows(ctx, `
		WHERE `+where+` ORDER BY s.id ASC LIMIT ?`, args)
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
func (s *Store) narrowDates(ctx context.Context, f quest.SubmissionFilter) (bool, error) {
	if f.Since.IsZero() && f.Until.IsZero() {
		return false, nil
	}
	where, args := filterWhere(quest.SubmissionFilter{Since: f.Since, Until: f.Until}, s, true)
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM submissions s WHERE `+where+` LIMIT ?) AS r`,
		append(args, narrowRange)...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("size the date range: %w", err)
	}
	return n < narrowRange, nil
}
