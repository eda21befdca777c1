package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/questgate/questgate/quest"
)

// OpenObjective records that a player opened an objective, unless they
// already had, and returns when they first did. It is idempotent, so
// every visit may call it: a visit after the first is one read, and
// only the first writes (in a transaction shared with concurrent
// attempts, see grouped).
func (s *Store) OpenObjective(ctx context.Context, playerID, objectiveID string) (time.Time, error) {
	var at time.Time
	err := s.r.QueryRowContext(ctx, `SELECT opened_at FROM objective_opens WHERE player_id = ? AND objective_id = ?`,
		playerID, objectiveID).Scan(&at)
	switch {
	case err == nil:
		return at.UTC(), nil
	case !errors.Is(err, sql.ErrNoRows):
		return time.Time{}, fmt.Errorf("read objective opening: %w", err)
	}
	err = s.grouped(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO objective_opens (player_id, objective_id, opened_at)
			VALUES (?, ?, ?) ON CONFLICT (player_id, objective_id) DO NOTHING`, playerID, objectiveID, s.now().UTC()); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT opened_at FROM objective_opens WHERE player_id = ? AND objective_id = ?`,
			playerID, objectiveID).Scan(&at)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("record objective opening: %w", err)
	}
	return at.UTC(), nil
}

// PlayerNumbers returns the phone numbers a player registered, oldest first.
func (s *Store) PlayerNumbers(ctx context.Context, playerID string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT number FROM player_numbers WHERE player_id = ?
		ORDER BY created_at, rowid`, playerID)
	if err != nil {
		return nil, fmt.Errorf("list numbers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list numbers: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// AddPlayerNumber registers a number for a player, who may hold at most
// limit of them (ErrTooManyNumbers). Registering a number twice is not an
// error. The count and the insert are one transaction, exclusive for the
// player.
func (s *Store) AddPlayerNumber(ctx context.Context, playerID, number string, limit int) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lock(ctx, tx, false, "numbers:"+playerID); err != nil {
			return err
		}
		var n, has int
		err := tx.QueryRowContext(ctx, `SELECT count(*), count(CASE WHEN number = ? THEN 1 END) FROM player_numbers
			WHERE player_id = ?`, number, playerID).Scan(&n, &has)
		switch {
		case err != nil:
			return err
		case has > 0:
			return nil
		case n >= limit:
			return quest.ErrTooManyNumbers
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO player_numbers (player_id, number, created_at) VALUES (?, ?, ?)`,
			playerID, number, s.now().UTC())
		return err
	})
	if err != nil && !errors.Is(err, quest.ErrTooManyNumbers) {
		return fmt.Errorf("add number: %w", err)
	}
	return err
}

// RemovePlayerNumber forgets one of a player's numbers; removing one that
// is not there is not an error.
func (s *Store) RemovePlayerNumber(ctx context.Context, playerID, number string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM player_numbers WHERE player_id = ? AND number = ?`, playerID, number); err != nil {
		return fmt.Errorf("remove number: %w", err)
	}
	return nil
}
