package store

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/questgate/questgate/quest"
)

// CreateAPIKey stores a new key (k.ID, Name, Hash, Prefix, Origins and
// SigningSecret set by the caller), sealing its signing secret.
func (s *Store) CreateAPIKey(ctx context.Context, k quest.APIKey) (quest.APIKey, error) {
	k.CreatedAt = s.now().UTC()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		sealed, err := s.seal(ctx, tx, k.SigningSecret, k.ID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO api_keys (id, name, key_hash, key_prefix, origins, signing_secret, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, k.ID, k.Name, k.Hash, k.Prefix, strings.Join(k.Origins, " "), sealed, k.CreatedAt)
		return err
	})
	if err != nil {
		return quest.APIKey{}, fmt.Errorf("create API key: %w", err)
	}
	return k, nil
}

const apiKeyColumns = `id, name, key_hash, key_prefix, origins, signing_secret, created_at, revoked_at`

// scanAPIKey reads a key, opening its signing secret when open is set.
func (s *Store) scanAPIKey(row interface{ Scan(...any) error }, open bool) (quest.APIKey, error) {
	var (
		k       quest.APIKey
		origins string
		revoked sql.NullTime
	)
	if err := row.Scan(&k.ID, &k.Name, &k.Hash, &k.Prefix, &origins, &k.SigningSecret, &k.CreatedAt, &revoked); err != nil {
		return quest.APIKey{}, err
	}
	k.Origins = strings.Fields(origins)
	k.RevokedAt = revoked.Time
	if !open {
		k.SigningSecret = ""
		return k, nil
	}
	secret, err := s.open(k.SigningSecret, k.ID)
	if err != nil {
		return quest.APIKey{}, err
	}
	k.SigningSecret = secret
	return k, nil
}

// APIKeyByHash returns the key whose hash is hash, revoked or not, or
// ErrNotFound. The hashes are compared in constant time once the row is
// found, so the answer's timing says nothing of how much of a hash matched.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (quest.APIKey, error) {
	k, err := s.scanAPIKey(s.r.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE key_hash = ?`, hash), true)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && subtle.ConstantTimeCompare([]byte(k.Hash), []byte(hash)) != 1) {
		return quest.APIKey{}, quest.ErrNotFound
	}
	if err != nil {
		return quest.APIKey{}, fmt.Errorf("read API key: %w", err)
	}
	return k, nil
}

// APIKeyByID returns the key with id, with its signing secret, or ErrNotFound.
func (s *Store) APIKeyByID(ctx context.Context, id string) (quest.APIKey, error) {
	k, err := s.scanAPIKey(s.r.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ?`, id), true)
	if errors.Is(err, sql.ErrNoRows) {
		return quest.APIKey{}, quest.ErrNotFound
	}
	if err != nil {
		return quest.APIKey{}, fmt.Errorf("read API key: %w", err)
	}
	return k, nil
}

// APIKeys lists every key, oldest first, without signing secrets.
func (s *Store) APIKeys(ctx context.Context) ([]quest.APIKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	defer rows.Close()
	var out []quest.APIKey
	for rows.Next() {
		k, err := s.scanAPIKey(rows, false)
		if err != nil {
			return nil, fmt.Errorf("list API keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey revokes a key: it stops working at once. A key already
// revoked, or unknown, is ErrNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, s.now().UTC(), id)
	if err != nil {
		return fmt.Errorf("revoke API key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return quest.ErrNotFound
	}
	return nil
}

// OriginAllowed reports whether any working key allows origin: browsers
// ask before a cross-origin call (CORS preflight) without the key.
func (s *Store) OriginAllowed(ctx context.Context, origin string) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM api_keys WHERE revoked_at IS NULL
		AND (' ' || origins || ' ') `+s.like()+` ? ESCAPE '\'`, "% "+escapeLike(origin)+" %").Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check origin: %w", err)
	}
	return n > 0, nil
}

// apiPlayerQuery selects the player a key calls externalID (its two
// arguments), for scanPlayer.
const apiPlayerQuery = `SELECT ` + playerColumns + ` FROM api_players ap JOIN players p ON p.id = ap.player_id
	LEFT JOIN player_versions v ON v.player_id = p.id WHERE ap.api_key_id = ? AND ap.external_id = ?`

// APIPlayer returns the player a key calls externalID, creating the
// player on first sight with name as display name (and updating the name
// when the game sends another one). A player the key named before, under
// the same name, costs one read; only a new player or a new name writes
// (in a transaction shared with concurrent attempts, see grouped). The
// player comes with their Version, as the session's read of a player
// does, for quest.WithPlayerRead.
func (s *Store) APIPlayer(ctx context.Context, keyID, externalID, name string) (quest.Player, error) {
	p, err := scanPlayer(s.r.QueryRowContext(ctx, apiPlayerQuery, keyID, externalID))
	switch {
	case err == nil && (name == "" || name == p.DisplayName):
		return p, nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return quest.Player{}, fmt.Errorf("API player: %w", err)
	}
	created := false
	err = s.grouped(ctx, func(tx *sql.Tx) error {
		created = false
		// Two first requests naming the same new player must not both
		// create one.
		if err := s.lock(ctx, tx, false, "api_player:"+keyID+"/"+externalID); err != nil {
			return err
		}
		var err error
		p, err = scanPlayer(tx.QueryRowContext(ctx, apiPlayerQuery, keyID, externalID))
		switch {
		case err == nil:
			if name != "" && name != p.DisplayName {
				p.DisplayName = name
				_, err = tx.ExecContext(ctx, `UPDATE players SET display_name = ? WHERE id = ?`, name, p.ID)
			}
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		p = quest.Player{ID: "pl_" + rand.Text(), DisplayName: name, CreatedAt: s.now().UTC()}
		if _, err := tx.ExecContext(ctx, `INSERT INTO players (id, display_name, created_at) VALUES (?, ?, ?)`,
			p.ID, p.DisplayName, p.CreatedAt); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO api_players (api_key_id, external_id, player_id) VALUES (?, ?, ?)`,
			keyID, externalID, p.ID)
		created = err == nil
		return err
	})
	if err != nil {
		return quest.Player{}, fmt.Errorf("API player: %w", err)
	}
	if created {
		// The request goes on to verify the new player's SID: their
		// reads are known, at version 0 (p.Version).
		s.cache.keepNew(p.ID)
	}
	return p, nil
}

// FindAPIPlayer returns the id of the player a key calls externalID, or
// ErrNotFound when the key never named them.
func (s *Store) FindAPIPlayer(ctx context.Context, keyID, externalID string) (string, error) {
	var id string
	err := s.r.QueryRowContext(ctx, `SELECT player_id FROM api_players WHERE api_key_id = ? AND external_id = ?`,
		keyID, externalID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", quest.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("find API player: %w", err)
	}
	return id, nil
}

// ExternalIDs maps players of a key to the ids the key knows them by.
func (s *Store) ExternalIDs(ctx context.Context, keyID string, playerIDs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(playerIDs) == 0 {
		return out, nil
	}
	args := []any{keyID}
	for _, id := range playerIDs {
		args = append(args, id)
	}
	// The page's few players drive the lookup (player_id is unique); on
	// SQLite, unary plus keeps the planner, which has no statistics, from
	// walking every player of the key through the primary key instead.
	key := "+api_key_id"
	if s.pg {
		key = "api_key_id"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT player_id, external_id FROM api_players WHERE `+key+` = ? AND player_id IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(playerIDs)), ",")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("external ids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p, x string
		if err := rows.Scan(&p, &x); err != nil {
			return nil, fmt.Errorf("external ids: %w", err)
		}
		out[p] = x
	}
	return out, rows.Err()
}

// IdempotencyTTL is how long an Idempotency-Key answer is kept: retries
// come within minutes, and a day bounds the table.
const IdempotencyTTL = 24 * time.Hour

// ReserveIdempotency reserves (keyID, idemKey) for a request whose hash is
// requestHash. It returns reserved true when this call made the
// reservation (the request must run, then CompleteIdempotency or
// ReleaseIdempotency); otherwise the existing entry, which may hold
// another request's hash, or Status 0 while the first still runs. The
// insert comes first, so two concurrent duplicates cannot both reserve.
func (s *Store) ReserveIdempotency(ctx context.Context, keyID, idemKey, requestHash string) (quest.Idempotent, bool, error) {
	var (
		prev     quest.Idempotent
		reserved bool
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// Keys are remembered for IdempotencyTTL; older ones are forgotten
		// here, a key's own at a time.
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_idempotency WHERE api_key_id = ? AND created_at < ?`,
			keyID, s.now().UTC().Add(-IdempotencyTTL)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO api_idempotency (api_key_id, idem_key, request_hash, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, keyID, idemKey, requestHash, s.now().UTC())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			reserved = true
			return nil
		}
		return tx.QueryRowContext(ctx, `SELECT request_hash, status, body FROM api_idempotency
			WHERE api_key_id = ? AND idem_key = ?`, keyID, idemKey).Scan(&prev.RequestHash, &prev.Status, &prev.Body)
	})
	if err != nil {
		return quest.Idempotent{}, false, fmt.Errorf("reserve idempotency key: %w", err)
	}
	return prev, reserved, nil
}

// CompleteIdempotency stores the answer of a reserved request.
func (s *Store) CompleteIdempotency(ctx context.Context, keyID, idemKey string, status int, body []byte) error {
	_, err := s.w.ExecContext(ctx, `UPDATE api_idempotency SET status = ?, body = ? WHERE api_key_id = ? AND idem_key = ?`,
		status, body, keyID, idemKey)
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotency forgets a reservation whose request decided nothing
// (a server fault, Twilio's trouble), so that a retry runs it again.
func (s *Store) ReleaseIdempotency(ctx context.Context, keyID, idemKey string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM api_idempotency WHERE api_key_id = ? AND idem_key = ? AND status = 0`, keyID, idemKey)
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
