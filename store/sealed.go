package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/questgate/questgate/secrets"
)

// ErrKeyRotated means the secrets were re-sealed, by `questgate keys
// rotate`, with a key this process does not hold: it must be restarted
// with the new key before it can seal or open them.
var ErrKeyRotated = errors.New("the secret key was rotated")

// rotationSetting names the setting recording the key the last rotation
// sealed every secret with. Sealing always uses that key when the ring
// holds it, so a process started before or during a rotation never seals
// anything with a key the rotation is retiring.
const rotationSetting = "secrets.key_id"

// sealedColumn is a column holding sealed secrets; aad names the column
// bound to each secret as additional data (the account SID it opens).
type sealedColumn struct{ table, key, column, aad string }

// sealedColumns are every column holding a secret.
var sealedColumns = []sealedColumn{
	{"credentials", "player_id", "secret", "account_sid"},
	{"sandbox_accounts", "sid", "auth_token", "sid"},
	{"sandbox_keys", "sid", "secret", "account_sid"},
	{"api_keys", "id", "signing_secret", "id"},
	{"webhook_endpoints", "id", "secret", "api_key_id"},
}

// sealer returns the ring to seal with inside the write transaction tx: the
// key the last rotation moved to (reloading the keys when this process
// lacks it), else the ring's current key.
func (s *Store) sealer(ctx context.Context, tx *sql.Tx) (*secrets.Ring, error) {
	// A rotation (Reseal) on another instance waits for tx, or tx for it:
	// nothing is sealed with the retiring key once the rotation commits.
	if err := s.lock(ctx, tx, true, rotationSetting); err != nil {
		return nil, err
	}
	ring := s.keys.Load()
	var target string
	err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, rotationSetting).Scan(&target)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ring, nil
	case err != nil:
		return nil, fmt.Errorf("read the key setting: %w", err)
	}
	if r, ok := ring.SealingWith(target); ok {
		return r, nil
	}
	if ring, err = s.reloadKeys(ring); err == nil {
		if r, ok := ring.SealingWith(target); ok {
			return r, nil
		}
	}
	return nil, fmt.Errorf("%w: secrets are sealed with key %s, which this server lacks: restart it with that key", ErrKeyRotated, target)
}

// seal seals plaintext for the row whose account SID is aad.
func (s *Store) seal(ctx context.Context, tx *sql.Tx, plaintext, aad string) (string, error) {
	ring, err := s.sealer(ctx, tx)
	if err != nil {
		return "", err
	}
	v, err := ring.Seal(plaintext, aad)
	if err != nil {
		return "", fmt.Errorf("seal secret: %w", err)
	}
	return v, nil
}

// open opens a sealed value read from the row whose account SID is aad.
// A key this process lacks may have come with a rotation: the keys are
// reloaded once and the value tried again.
func (s *Store) open(sealed, aad string) (string, error) {
	ring := s.keys.Load()
	pt, err := ring.Open(sealed, aad)
	if errors.Is(err, secrets.ErrUnknownKey) && s.reload != nil {
		if ring, rerr := s.reloadKeys(ring); rerr == nil {
			pt, err = ring.Open(sealed, aad)
		}
	}
	if errors.Is(err, secrets.ErrUnknownKey) {
		return "", fmt.Errorf("open secret: %w: %w", ErrKeyRotated, err)
	}
	if err != nil {
		return "", fmt.Errorf("open secret: %w", err)
	}
	return pt, nil
}

// reloadKeys reads the keys again from their source and keeps them;
// stale is the ring that lacked a key. Requests that meet the same
// missing key at once read the source once: whoever comes second finds
// the ring already replaced since it looked, and uses that one. There is
// no other spacing of reloads: one spaced by time returned the stale ring
// to a request that came soon after an earlier reload, so a second
// rotation within that time failed requests that a reload would have
// served.
func (s *Store) reloadKeys(stale *secrets.Ring) (*secrets.Ring, error) {
	if s.reload == nil {
		return nil, errors.New("no key source to reload")
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if cur := s.keys.Load(); cur != stale {
		return cur, nil
	}
	ring, err := s.reload()
	if err != nil {
		return nil, fmt.Errorf("reload secret keys: %w", err)
	}
	s.keys.Store(ring)
	return ring, nil
}

// Reseal seals every secret with ring's current key in one transaction,
// and records that key as the one new secrets are sealed with, which
// processes still running with an older ring pick up (see WithSecrets).
// Values sealed with another key the ring holds are opened and sealed
// again; secrets an older questgate stored in clear are sealed. When any
// secret does not open, nothing changes. It returns how many values it
// sealed again; running it twice seals nothing the second time.
func (s *Store) Reseal(ctx context.Context, ring *secrets.Ring) (int, error) {
	target := ring.Current().ID()
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lock(ctx, tx, false, rotationSetting); err != nil {
			return err
		}
		for _, col := range sealedColumns {
			k, err := resealColumn(ctx, tx, col, ring, func(v string) bool { return secrets.SealedWith(v) != target })
			if err != nil {
				return err
			}
			n += k
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, rotationSetting, target)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("re-seal secrets: %w", err)
	}
	return n, nil
}

// sealPlaintext seals the secrets an older questgate stored in clear.
func (s *Store) sealPlaintext(ctx context.Context) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ring, err := s.sealer(ctx, tx)
		if err != nil {
			return err
		}
		for _, col := range sealedColumns {
			k, err := resealColumn(ctx, tx, col, ring, func(v string) bool { return secrets.SealedWith(v) == "" })
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("seal secrets stored in clear: %w", err)
	}
	return n, nil
}

// resealColumn seals again, with ring's current key, the values of col
// that match: plaintext (not in the sealed format) is sealed as it is,
// anything else is opened with ring first.
func resealColumn(ctx context.Context, tx *sql.Tx, col sealedColumn, ring *secrets.Ring, match func(string) bool) (int, error) {
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT %s, %s, %s FROM %s`, col.key, col.aad, col.column, col.table))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", col.table, err)
	}
	type row struct{ key, aad, value string }
	var todo []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.key, &r.aad, &r.value); err != nil {
			rows.Close()
			return 0, fmt.Errorf("read %s: %w", col.table, err)
		}
		if match(r.value) {
			todo = append(todo, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read %s: %w", col.table, err)
	}
	update := fmt.Sprintf(`UPDATE %s SET %s = ? WHERE %s = ?`, col.table, col.column, col.key)
	for _, r := range todo {
		pt := r.value
		if secrets.SealedWith(r.value) != "" {
			if pt, err = ring.Open(r.value, r.aad); err != nil {
				return 0, fmt.Errorf("%s %s: %w", col.table, r.key, err)
			}
		}
		sealed, err := ring.Seal(pt, r.aad)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, update, sealed, r.key); err != nil {
			return 0, fmt.Errorf("update %s: %w", col.table, err)
		}
	}
	return len(todo), nil
}
