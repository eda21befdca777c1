package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/secrets"
)

const (
	acct  = "AC0123456789abcdef0123456789abcdef"
	token = "f00dfacecafebeef0123456789abcdef"
)

func newKey(t *testing.T) *secrets.Key {
	t.Helper()
	k, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// openWith connects to db (a path or a database URL) with ring.
func openWith(t *testing.T, db string, ring *secrets.Ring, reload func() (*secrets.Ring, error)) *Store {
	t.Helper()
	s, err := Connect(context.Background(), db, WithSecrets(ring, reload))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fileBytes returns the database file and its write-ahead log, as a thief
// copying the data folder would get them.
func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// rawSecret reads a sealed column as stored.
func rawSecret(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	var v string
	if err := s.r.QueryRowContext(context.Background(), query, args...).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSecretsAreSealedInTheFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	ring := secrets.NewRing(newKey(t))
	s := openWith(t, path, ring, nil)
	p := newPlayer(t, s)
	if err := s.SaveCredentials(ctx, quest.Credentials{PlayerID: p.ID, AccountSID: acct, Secret: token}); err != nil {
		t.Fatal(err)
	}
	sandboxToken, keySecret := "aaaa"+token[4:], "bbbb"+token[4:]
	sb := "AC" + strings.Repeat("9", 32)
	if _, err := s.CreateSandboxAccount(ctx, SandboxAccount{SID: sb, AuthToken: sandboxToken}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSandboxKey(ctx, SandboxKey{SID: "SK1", AccountSID: sb, Secret: keySecret}); err != nil {
		t.Fatal(err)
	}

	got, err := s.Credentials(ctx, p.ID)
	if err != nil || got.Secret != token {
		t.Fatalf("Credentials = %v (secret ok: %v), %v", got, got.Secret == token, err)
	}
	if a, err := s.SandboxAccount(ctx, sb); err != nil || a.AuthToken != sandboxToken {
		t.Fatalf("SandboxAccount: %v", err)
	}
	if k, err := s.SandboxKey(ctx, "SK1"); err != nil || k.Secret != keySecret {
		t.Fatalf("SandboxKey: %v", err)
	}
	if v := rawSecret(t, s, `SELECT secret FROM credentials`); secrets.SealedWith(v) != ring.Current().ID() {
		t.Errorf("credentials.secret stored as %q", v)
	}
	raw := fileBytes(t, path)
	for _, secret := range []string{token, sandboxToken, keySecret} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the database file holds %s in clear", secret)
		}
	}

	// A sealed secret copied to another account's row does not open.
	if _, err := s.w.ExecContext(ctx, `UPDATE credentials SET account_sid = ?`, "AC"+strings.Repeat("1", 32)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Credentials(ctx, p.ID); err == nil {
		t.Error("a secret moved to another account opened")
	}
}

func TestDeletedCredentialsLeaveTheFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	s := openWith(t, path, secrets.NewRing(newKey(t)), nil)
	p := newPlayer(t, s)
	if err := s.SaveCredentials(ctx, quest.Credentials{PlayerID: p.ID, AccountSID: acct, Secret: token}); err != nil {
		t.Fatal(err)
	}
	sealed := rawSecret(t, s, `SELECT secret FROM credentials`)
	if err := s.DeleteCredentials(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Credentials(ctx, p.ID); !errors.Is(err, quest.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if raw := fileBytes(t, path); bytes.Contains(raw, []byte(sealed)) || bytes.Contains(raw, []byte(acct)) {
		t.Error("the deleted credentials are still in the database file or its log")
	}
}

func TestPlaintextFromOlderVersionsIsSealedOnOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	old, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	p := newPlayer(t, old)
	// What questgate wrote before secrets were sealed.
	if _, err := old.w.ExecContext(ctx, `INSERT INTO credentials (player_id, account_sid, secret, updated_at)
		VALUES (?, ?, ?, CURRENT_TIMESTAMP)`, p.ID, acct, token); err != nil {
		t.Fatal(err)
	}
	if _, err := old.w.ExecContext(ctx, `INSERT INTO sandbox_accounts (sid, auth_token, friendly_name, created_at)
		VALUES (?, ?, 'x', CURRENT_TIMESTAMP)`, acct, token); err != nil {
		t.Fatal(err)
	}
	old.Close()

	ring := secrets.NewRing(newKey(t))
	s := openWith(t, path, ring, nil)
	if c, err := s.Credentials(ctx, p.ID); err != nil || c.Secret != token {
		t.Fatalf("Credentials after upgrade: %v", err)
	}
	if a, err := s.SandboxAccount(ctx, acct); err != nil || a.AuthToken != token {
		t.Fatalf("SandboxAccount after upgrade: %v", err)
	}
	s.Close()
	if bytes.Contains(fileBytes(t, path), []byte(token)) {
		t.Error("the old plaintext is still in the file")
	}
}

func TestResealMovesEverySecretToTheNewKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		path := b.db(t)
		oldKey, newK := newKey(t), newKey(t)
		s := openWith(t, path, secrets.NewRing(oldKey), nil)
		var players []quest.Player
		for range 3 {
			p := newPlayer(t, s)
			players = append(players, p)
			if err := s.SaveCredentials(ctx, quest.Credentials{PlayerID: p.ID, AccountSID: acct, Secret: token}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CreateSandboxAccount(ctx, SandboxAccount{SID: "AC1", AuthToken: token}); err != nil {
			t.Fatal(err)
		}

		// A rotation whose ring lacks a key that sealed something changes nothing.
		if _, err := s.Reseal(ctx, secrets.NewRing(newK)); err == nil {
			t.Fatal("Reseal without the old key succeeded")
		}
		if v := rawSecret(t, s, `SELECT secret FROM credentials LIMIT 1`); secrets.SealedWith(v) != oldKey.ID() {
			t.Fatal("a failed Reseal changed a row")
		}

		n, err := s.Reseal(ctx, secrets.NewRing(newK, oldKey))
		if err != nil || n != 4 {
			t.Fatalf("Reseal = %d, %v; want 4", n, err)
		}
		if n, err := s.Reseal(ctx, secrets.NewRing(newK, oldKey)); err != nil || n != 0 {
			t.Errorf("second Reseal = %d, %v; want 0", n, err)
		}
		s.Close()

		// Only the new key is needed now.
		s = openWith(t, path, secrets.NewRing(newK), nil)
		for _, p := range players {
			if c, err := s.Credentials(ctx, p.ID); err != nil || c.Secret != token {
				t.Errorf("after rotation: %v", err)
			}
		}
	})
}

func TestAStaleServerFollowsARotation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		path := b.db(t)
		oldKey, newK := newKey(t), newKey(t)
		current := secrets.NewRing(oldKey)
		reloads := 0
		server := openWith(t, path, secrets.NewRing(oldKey), func() (*secrets.Ring, error) {
			reloads++
			return current, nil
		})
		ada := newPlayer(t, server)
		if err := server.SaveCredentials(ctx, quest.Credentials{PlayerID: ada.ID, AccountSID: acct, Secret: token}); err != nil {
			t.Fatal(err)
		}

		// `keys rotate` runs in another process while the server runs.
		rotator := openWith(t, path, secrets.NewRing(newK, oldKey), nil)
		if _, err := rotator.Reseal(ctx, secrets.NewRing(newK, oldKey)); err != nil {
			t.Fatal(err)
		}
		current = secrets.NewRing(newK) // the key file now holds the new key

		// The server reads what the rotation sealed, and seals with the new key.
		if c, err := server.Credentials(ctx, ada.ID); err != nil || c.Secret != token {
			t.Fatalf("reading after the rotation: %v", err)
		}
		bob := newPlayer(t, server)
		if err := server.SaveCredentials(ctx, quest.Credentials{PlayerID: bob.ID, AccountSID: acct, Secret: token}); err != nil {
			t.Fatal(err)
		}
		if v := rawSecret(t, server, `SELECT secret FROM credentials WHERE player_id = ?`, bob.ID); secrets.SealedWith(v) != newK.ID() {
			t.Errorf("sealed with %s after the rotation, want the new key %s", secrets.SealedWith(v), newK.ID())
		}
		if reloads == 0 {
			t.Error("the server never reloaded its keys")
		}
	})
}

func TestAServerWithoutTheRotatedKeyRefusesToSeal(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		path := b.db(t)
		oldKey, newK := newKey(t), newKey(t)
		server := openWith(t, path, secrets.NewRing(oldKey), func() (*secrets.Ring, error) { return secrets.NewRing(oldKey), nil })
		p := newPlayer(t, server)
		rotator := openWith(t, path, secrets.NewRing(newK, oldKey), nil)
		if _, err := rotator.Reseal(ctx, secrets.NewRing(newK, oldKey)); err != nil {
			t.Fatal(err)
		}
		err := server.SaveCredentials(ctx, quest.Credentials{PlayerID: p.ID, AccountSID: acct, Secret: token})
		if !errors.Is(err, ErrKeyRotated) || !strings.Contains(err.Error(), newK.ID()) {
			t.Fatalf("err = %v, want ErrKeyRotated naming the new key", err)
		}
		if _, err := server.Credentials(ctx, p.ID); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("something was saved: %v", err)
		}
	})
}

func TestPrintingRowsHidesSecrets(t *testing.T) {
	values := []any{
		quest.Credentials{PlayerID: "pl_1", AccountSID: acct, Secret: token},
		SandboxAccount{SID: acct, AuthToken: token},
		SandboxKey{SID: "SK1", AccountSID: acct, Secret: token},
	}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			if out := sprintf(verb, v); strings.Contains(out, token) {
				t.Errorf("%s of %T prints the secret: %s", verb, v, out)
			}
		}
	}
}

func sprintf(verb string, v any) string { return fmt.Sprintf(verb, v) }

// TestMigrateSealsWhatANoMigrateStartLeft plays `serve --no-migrate`
// started before `questgate migrate`: the server, finding migrations
// pending, leaves an older questgate's plaintext alone; Migrate, given
// the keys, seals it once the schema is there.
func TestMigrateSealsWhatANoMigrateStartLeft(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	old, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	p := newPlayer(t, old)
	if _, err := old.w.ExecContext(ctx, `INSERT INTO credentials (player_id, account_sid, secret, updated_at)
		VALUES (?, ?, ?, CURRENT_TIMESTAMP)`, p.ID, acct, token); err != nil {
		t.Fatal(err)
	}
	// The older questgate knew one migration less.
	prov, err := old.provider()
	if err != nil {
		t.Fatal(err)
	}
	sources := prov.ListSources()
	if _, err := prov.DownTo(ctx, sources[len(sources)-2].Version); err != nil {
		t.Fatal(err)
	}
	old.Close()

	ring := secrets.NewRing(newKey(t))
	s, err := Open(ctx, path, WithSecrets(ring, nil), WithoutMigrations())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ready(ctx); !errors.Is(err, quest.ErrMigrationsPending) {
		t.Fatalf("Ready before migrating = %v, want ErrMigrationsPending", err)
	}
	if v := rawSecret(t, s, `SELECT secret FROM credentials`); v != token {
		t.Fatalf("before migrating, credentials.secret is %q, want the plaintext left alone", v)
	}
	if n, err := s.Migrate(ctx); err != nil || n != 1 {
		t.Fatalf("Migrate = %d, %v; want 1 migration applied", n, err)
	}
	if v := rawSecret(t, s, `SELECT secret FROM credentials`); secrets.SealedWith(v) != ring.Current().ID() {
		t.Errorf("after Migrate, credentials.secret is stored as %q, want it sealed", v)
	}
	if c, err := s.Credentials(ctx, p.ID); err != nil || c.Secret != token {
		t.Errorf("Credentials after Migrate: %v", err)
	}
	if err := s.Ready(ctx); err != nil {
		t.Errorf("Ready after Migrate = %v", err)
	}
}

// TestSaveCredentialsIfNone: a player's first credentials are stored,
// sealed; a second call leaves them as they are, and says so.
func TestSaveCredentialsIfNone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p := newPlayer(t, s)
		first := quest.Credentials{PlayerID: p.ID, AccountSID: acct, Secret: token, Sandbox: true}
		second := quest.Credentials{PlayerID: p.ID, AccountSID: "AC" + strings.Repeat("8", 32), Secret: "cccc" + token[4:], Sandbox: true}
		for i, tt := range []struct {
			c    quest.Credentials
			want bool
		}{{first, true}, {second, false}} {
			if got, err := s.SaveCredentialsIfNone(ctx, tt.c); err != nil || got != tt.want {
				t.Fatalf("call %d: %v, %v; want %v", i+1, got, err, tt.want)
			}
		}
		got, err := s.Credentials(ctx, p.ID)
		if err != nil || got.AccountSID != first.AccountSID || got.Secret != first.Secret || !got.Sandbox {
			t.Fatalf("stored %v (secret kept: %v), %v", got, got.Secret == first.Secret, err)
		}
		if raw := rawSecret(t, s, `SELECT secret FROM credentials WHERE player_id = ?`, p.ID); strings.Contains(raw, token) {
			t.Error("the secret is stored in clear")
		}
	})
}
