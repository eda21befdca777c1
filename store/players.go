package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Player is one person playing, known by an unguessable id.
type Player struct {
	ID          string
	DisplayName string
	CreatedAt   time.Time
}

// Credentials are a player's stored Twilio credentials.
type Credentials struct {
	PlayerID   string
	AccountSID string
	APIKeySID  string
	Secret     string
	// Sandbox marks credentials of a sandbox account.
	Sandbox   bool
	UpdatedAt time.Time
}

// CreatePlayer creates an anonymous player with a fresh random id.
func (s *Store) CreatePlayer(ctx context.Context) (Player, error) {
	p := Player{ID: "pl_" + rand.Text(), CreatedAt: s.now().UTC()}
	_, err := s.w.ExecContext(ctx, `INSERT INTO players (id, display_name, created_at) VALUES (?, ?, ?)`,
		p.ID, p.DisplayName, p.CreatedAt)
	if err != nil {
		return Player{}, fmt.Errorf("create player: %w", err)
	}
	return p, nil
}

// Player returns the player with id, or ErrNotFound.
func (s *Store) Player(ctx context.Context, id string) (Player, error) {
	var p Player
	err := s.r.QueryRowContext(ctx, `SELECT id, display_name, created_at FROM players WHERE id = ?`, id).
		Scan(&p.ID, &p.DisplayName, &p.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Player{}, ErrNotFound
	}
	if err != nil {
		return Player{}, fmt.Errorf("read player: %w", err)
	}
	return p, nil
}

// SaveCredentials stores (replacing) a player's Twilio credentials.
func (s *Store) SaveCredentials(ctx context.Context, c Credentials) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO credentials (player_id, account_sid, api_key_sid, secret, sandbox, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (player_id) DO UPDATE SET account_sid = excluded.account_sid, api_key_sid = excluded.api_key_sid,
			secret = excluded.secret, sandbox = excluded.sandbox, updated_at = excluded.updated_at`,
		c.PlayerID, c.AccountSID, c.APIKeySID, c.Secret, c.Sandbox, s.now().UTC())
	if err != nil {
		return fmt.Errorf("save credentials: %w", err)
	}
	return nil
}

// Credentials returns a player's stored credentials, or ErrNotFound.
func (s *Store) Credentials(ctx context.Context, playerID string) (Credentials, error) {
	c := Credentials{PlayerID: playerID}
	err := s.r.QueryRowContext(ctx, `SELECT account_sid, api_key_sid, secret, sandbox, updated_at
		FROM credentials WHERE player_id = ?`, playerID).
		Scan(&c.AccountSID, &c.APIKeySID, &c.Secret, &c.Sandbox, &c.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Credentials{}, ErrNotFound
	}
	if err != nil {
		return Credentials{}, fmt.Errorf("read credentials: %w", err)
	}
	return c, nil
}

// DeleteCredentials forgets a player's credentials. Deleting none is not an error.
func (s *Store) DeleteCredentials(ctx context.Context, playerID string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM credentials WHERE player_id = ?`, playerID); err != nil {
		return fmt.Errorf("delete credentials: %w", err)
	}
	return nil
}
