package store

import (
	"context"
	"fmt"

	"github.com/questgate/questgate/quest"
)

// ListCohorts returns every cohort with its number of players: open
// cohorts first, then archived ones, newest first within each.
func (s *Store) ListCohorts(ctx context.Context) ([]quest.CohortSummary, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT c.id, c.name, c.join_code, c.archived, c.created_at,
		(SELECT COUNT(*) FROM players p WHERE p.cohort_id = c.id)
		FROM cohorts c ORDER BY c.archived, c.created_at DESC, c.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list cohorts: %w", err)
	}
	defer rows.Close()
	var out []quest.CohortSummary
	for rows.Next() {
		var c quest.CohortSummary
		if err := rows.Scan(&c.ID, &c.Name, &c.JoinCode, &c.Archived, &c.CreatedAt, &c.Players); err != nil {
			return nil, fmt.Errorf("list cohorts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RenameCohort changes a cohort's name, or answers ErrNotFound. Its join
// code, and so its join link, stays the same.
func (s *Store) RenameCohort(ctx context.Context, id int64, name string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE cohorts SET name = ? WHERE id = ?`, name, id)
	return affectedOne(res, err, "rename cohort")
}
