package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/questgate/questgate/quest"
)

// CreateCohort stores a new cohort with c's name and join code. A join code
// already in use is ErrConflict, so the caller can draw another.
func (s *Store) CreateCohort(ctx context.Context, c quest.Cohort) (quest.Cohort, error) {
	c.CreatedAt = s.now().UTC()
	err := s.w.QueryRowContext(ctx, `INSERT INTO cohorts (name, join_code, archived, created_at) VALUES (?, ?, ?, ?)
		RETURNING id`, c.Name, c.JoinCode, c.Archived, c.CreatedAt).Scan(&c.ID)
	if isUnique(err) {
		return quest.Cohort{}, fmt.Errorf("create cohort: join code: %w", quest.ErrConflict)
	}
	if err != nil {
		return quest.Cohort{}, fmt.Errorf("create cohort: %w", err)
	}
	return c, nil
}

const cohortColumns = `id, name, join_code, archived, created_at`

func (s *Store) cohort(ctx context.Context, where string, arg any) (quest.Cohort, error) {
	var c quest.Cohort
	err := s.r.QueryRowContext(ctx, `SELECT `+cohortColumns+` FROM cohorts WHERE `+where, arg).
		Scan(&c.ID, &c.Name, &c.JoinCode, &c.Archived, &c.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return quest.Cohort{}, quest.ErrNotFound
	}
	if err != nil {
		return quest.Cohort{}, fmt.Errorf("read cohort: %w", err)
	}
	return c, nil
}

// Cohort returns the cohort id, or ErrNotFound.
func (s *Store) Cohort(ctx context.Context, id int64) (quest.Cohort, error) {
	return s.cohort(ctx, `id = ?`, id)
}

// CohortByCode returns the cohort whose join code is code (archived or
// not), or ErrNotFound.
func (s *Store) CohortByCode(ctx context.Context, code string) (quest.Cohort, error) {
	return s.cohort(ctx, `join_code = ?`, code)
}

// SetArchived archives a cohort, or brings it back.
func (s *Store) SetArchived(ctx context.Context, id int64, archived bool) error {
	res, err := s.w.ExecContext(ctx, `UPDATE cohorts SET archived = ? WHERE id = ?`, archived, id)
	return affectedOne(res, err, "archive cohort")
}

// SetDisplayName sets a player's display name, or ErrNotFound.
func (s *Store) SetDisplayName(ctx context.Context, playerID, name string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE players SET display_name = ? WHERE id = ?`, name, playerID)
	return affectedOne(res, err, "set display name")
}

// JoinCohort puts a player in a cohort (leaving any other), setting their
// display name too unless displayName is empty, in one transaction: a
// missing player or cohort is ErrNotFound, an archived cohort ErrArchived,
// and then nothing changes.
func (s *Store) JoinCohort(ctx context.Context, playerID string, cohortID int64, displayName string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := cohortOpen(ctx, tx, cohortID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE players SET cohort_id = ?,
			display_name = CASE WHEN ? = '' THEN display_name ELSE ? END WHERE id = ?`,
			cohortID, displayName, displayName, playerID)
		return affectedOne(res, err, "update player")
	})
	s.cache.forget(playerID)
	if err != nil {
		return fmt.Errorf("join cohort: %w", err)
	}
	return nil
}

// affectedOne turns an update that changed no row into ErrNotFound.
func affectedOne(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return quest.ErrNotFound
	}
	return nil
}

// cohortOpen is the check that opens a transaction putting a player in a
// cohort: a missing cohort is ErrNotFound, an archived one ErrArchived.
func cohortOpen(ctx context.Context, tx *sql.Tx, cohortID int64) error {
	var archived bool
	err := tx.QueryRowContext(ctx, `SELECT archived FROM cohorts WHERE id = ?`, cohortID).Scan(&archived)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return quest.ErrNotFound
	case err != nil:
		return err
	case archived:
		return quest.ErrArchived
	}
	return nil
}
