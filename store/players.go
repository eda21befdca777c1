package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"

	"github.com/questgate/questgate/quest"
)

// CreatePlayer creates an anonymous player with a fresh random id.
func (s *Store) CreatePlayer(ctx context.Context) (quest.Player, error) {
	p := quest.Player{ID: "pl_" + rand.Text(), CreatedAt: s.now().UTC()}
	_, err := s.w.ExecContext(ctx, `INSERT INTO players (id, display_name, created_at) VALUES (?, ?, ?)`,
		p.ID, p.DisplayName, p.CreatedAt)
	if err != nil {
		return quest.Player{}, fmt.Errorf("create player: %w", err)
	}
	return p, nil
}

// playerColumns are what scanPlayer reads, from players p joined (on the
// left) with player_versions v: the player with their version.
const playerColumns = `p.id, p.display_name, p.cohort_id, p.created_at, COALESCE(v.version, 0)`

// scanPlayer reads a player selected with playerColumns.
func scanPlayer(row *sql.Row) (quest.Player, error) {
	var (
		p      quest.Player
		cohort sql.NullInt64
	)
	err := row.Scan(&p.ID, &p.DisplayName, &cohort, &p.CreatedAt, &p.Version)
	p.CohortID = cohort.Int64
	return p, err
}

// Player returns the player with id, or ErrNotFound.
func (s *Store) Player(ctx context.Context, id string) (quest.Player, error) {
	p, err := scanPlayer(s.r.QueryRowContext(ctx, `SELECT `+playerColumns+`
		FROM players p LEFT JOIN player_versions v ON v.player_id = p.id WHERE p.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return quest.Player{}, quest.ErrNotFound
	}
	if err != nil {
		return quest.Player{}, fmt.Errorf("read player: %w", err)
	}
	return p, nil
}

// SaveCredentials stores (replacing) a player's Twilio credentials, the
// secret sealed with the account SID as additional data.
func (s *Store) SaveCredentials(ctx context.Context, c quest.Credentials) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		sealed, err := s.seal(ctx, tx, c.Secret, c.AccountSID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO credentials (player_id, account_sid, api_key_sid, secret, sandbox, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (player_id) DO UPDATE SET account_sid = excluded.account_sid, api_key_sid = excluded.api_key_sid,
				secret = excluded.secret, sandbox = excluded.sandbox, updated_at = excluded.updated_at`,
			c.PlayerID, c.AccountSID, c.APIKeySID, sealed, c.Sandbox, s.now().UTC())
		return err
	})
	s.cache.forget(c.PlayerID)
	if err != nil {
		return fmt.Errorf("save credentials: %w", err)
	}
	return nil
}

// SaveCredentialsIfNone stores a player's credentials unless they already
// have some, and reports whether it did: of two requests racing to give a
// player their first credentials, one wins and neither overwrites the
// other's.
func (s *Store) SaveCredentialsIfNone(ctx context.Context, c quest.Credentials) (bool, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		sealed, err := s.seal(ctx, tx, c.Secret, c.AccountSID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO credentials (player_id, account_sid, api_key_sid, secret, sandbox, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (player_id) DO NOTHING`,
			c.PlayerID, c.AccountSID, c.APIKeySID, sealed, c.Sandbox, s.now().UTC())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	s.cache.forget(c.PlayerID)
	if err != nil {
		return false, fmt.Errorf("save credentials: %w", err)
	}
	return n == 1, nil
}

// Credentials returns a player's stored credentials, or ErrNotFound.
func (s *Store) Credentials(ctx context.Context, playerID string) (quest.Credentials, error) {
	c, err := s.cachedCredentials(ctx, playerID, func() (quest.Credentials, error) { return s.sealedCredentials(ctx, playerID) })
	if err != nil {
		return quest.Credentials{}, err
	}
	if c.Secret, err = s.open(c.Secret, c.AccountSID); err != nil {
		return quest.Credentials{}, fmt.Errorf("read credentials: %w", err)
	}
	return c, nil
}

// sealedCredentials reads a player's stored credentials with their secret
// still sealed, or ErrNotFound.
func (s *Store) sealedCredentials(ctx context.Context, playerID string) (quest.Credentials, error) {
	c := quest.Credentials{PlayerID: playerID}
	err := s.r.QueryRowContext(ctx, `SELECT account_sid, api_key_sid, secret, sandbox, updated_at
		FROM credentials WHERE player_id = ?`, playerID).
		Scan(&c.AccountSID, &c.APIKeySID, &c.Secret, &c.Sandbox, &c.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return quest.Credentials{}, quest.ErrNotFound
	}
	if err != nil {
		return quest.Credentials{}, fmt.Errorf("read credentials: %w", err)
	}
	return c, nil
}

// DeleteCredentials forgets a player's credentials. Deleting none is not
// an error. The row is overwritten in the database file (secure_delete),
// and the write-ahead log, which still holds the page as it was, is
// checkpointed and emptied when no reader holds it.
func (s *Store) DeleteCredentials(ctx context.Context, playerID string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM credentials WHERE player_id = ?`, playerID)
	s.cache.forget(playerID)
	if err != nil {
		return fmt.Errorf("delete credentials: %w", err)
	}
	if !s.pg {
		// Best effort: a busy checkpoint is retried by SQLite's own later.
		_, _ = s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	return nil
}
