package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"

	"github.com/questgate/questgate/quest"
)

// GameAccount returns the game account of a Twilio account, or
// ErrNotFound.
func (s *Store) GameAccount(ctx context.Context, accountSID string) (quest.GameAccount, error) {
	a := quest.GameAccount{AccountSID: accountSID}
	err := s.r.QueryRowContext(ctx, `SELECT player_id, proof, checked_at FROM game_accounts WHERE account_sid = ?`, accountSID).
		Scan(&a.PlayerID, &a.Proof, &a.CheckedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return quest.GameAccount{}, quest.ErrNotFound
	}
	if err != nil {
		return quest.GameAccount{}, fmt.Errorf("read game account: %w", err)
	}
	return a, nil
}

// SaveGameAccount records a game account's proof, creating its player on
// first sight, and puts the player in the cohort (setting their display
// name unless name is empty), in one transaction: a missing cohort is
// ErrNotFound, an archived one ErrArchived, and then nothing changes.
// Two first requests of one account make one player.
func (s *Store) SaveGameAccount(ctx context.Context, a quest.GameAccount, cohortID int64, name string) (quest.GameAccount, error) {
	now := s.now().UTC()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lock(ctx, tx, false, "game_account:"+a.AccountSID); err != nil {
			return err
		}
		if err := cohortOpen(ctx, tx, cohortID); err != nil {
			return err
		}
		var proof string
		err := tx.QueryRowContext(ctx, `SELECT player_id, proof FROM game_accounts WHERE account_sid = ?`, a.AccountSID).
			Scan(&a.PlayerID, &proof)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			a.PlayerID, a.CheckedAt, a.New = "pl_"+rand.Text(), now, true
			if _, err := tx.ExecContext(ctx, `INSERT INTO players (id, display_name, created_at) VALUES (?, ?, ?)`,
				a.PlayerID, name, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO game_accounts (account_sid, player_id, proof, checked_at) VALUES (?, ?, ?, ?)`,
				a.AccountSID, a.PlayerID, a.Proof, now); err != nil {
				return err
			}
		case err != nil:
			return err
		case proof != a.Proof:
			a.CheckedAt = now
			if _, err := tx.ExecContext(ctx, `UPDATE game_accounts SET proof = ?, checked_at = ? WHERE account_sid = ?`,
				a.Proof, now, a.AccountSID); err != nil {
				return err
			}
		}
		// One statement that changes nothing when the player is already
		// in the cohort under that name: a repeat HACK writes no row.
		_, err = tx.ExecContext(ctx, `UPDATE players SET cohort_id = ?,
			display_name = CASE WHEN ? = '' THEN display_name ELSE ? END
			WHERE id = ? AND (cohort_id IS NULL OR cohort_id <> ? OR (? <> '' AND display_name <> ?))`,
			cohortID, name, name, a.PlayerID, cohortID, name, name)
		return err
	})
	s.cache.forget(a.PlayerID)
	if err != nil {
		return quest.GameAccount{}, fmt.Errorf("save game account: %w", err)
	}
	return a, nil
}
