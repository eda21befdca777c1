package store

import (
	"path/filepath"
	"testing"

	"github.com/questgate/questgate/secrets"
)

// rotateFiles runs what `questgate keys rotate` does with key files, in
// a store of its own on the same database: a new key in secret.key.next,
// every secret re-sealed with it, then the new key renamed over
// secret.key. It returns the new key's id.
func rotateFiles(t *testing.T, db string, src secrets.Source) string {
	t.Helper()
	ks, err := src.Load()
	if err != nil {
		t.Fatal(err)
	}
	target, err := src.RotationTarget(ks)
	if err != nil {
		t.Fatal(err)
	}
	ring := ks.Ring.RotatingTo(target)
	rotator, err := Open(t.Context(), db, WithSecrets(ring, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rotator.Reseal(t.Context(), ring); err != nil {
		t.Fatal(err)
	}
	if err := rotator.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.FinishRotation(); err != nil {
		t.Fatal(err)
	}
	return target.ID()
}

// TestARunningServerFollowsRotationsOfItsKeyFile: a store opened with the
// key files of a data folder, as serve opens it, keeps reading and saving
// secrets while `keys rotate` runs beside it, twice in a row: each time it
// meets a key it lacks it reads the key files again before failing,
// however recently it last read them.
func TestARunningServerFollowsRotationsOfItsKeyFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "questgate.db")
	src := secrets.Source{Dir: dir, Getenv: func(string) string { return "" }}
	ks, err := src.LoadOrCreate()
	if err != nil {
		t.Fatal(err)
	}
	reload := func() (*secrets.Ring, error) {
		ks, err := src.Load()
		if err != nil {
			return nil, err
		}
		return ks.Ring, nil
	}
	server, err := Open(t.Context(), db, WithSecrets(ks.Ring, reload))
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if _, err := server.CreateSandboxAccount(t.Context(), SandboxAccount{SID: acct, AuthToken: token}); err != nil {
		t.Fatal(err)
	}

	for i := range 3 {
		newID := rotateFiles(t, db, src)
		if v := rawSecret(t, server, `SELECT auth_token FROM sandbox_accounts WHERE sid = ?`, acct); secrets.SealedWith(v) != newID {
			t.Fatalf("rotation %d: the row is sealed with %s, want %s", i+1, secrets.SealedWith(v), newID)
		}
		a, err := server.SandboxAccount(t.Context(), acct)
		if err != nil || a.AuthToken != token {
			t.Fatalf("rotation %d: the running server reads %v", i+1, err)
		}
		sid := acct[:len(acct)-1] + string(rune('a'+i))
		if _, err := server.CreateSandboxAccount(t.Context(), SandboxAccount{SID: sid, AuthToken: token}); err != nil {
			t.Fatalf("rotation %d: the running server cannot seal: %v", i+1, err)
		}
		if v := rawSecret(t, server, `SELECT auth_token FROM sandbox_accounts WHERE sid = ?`, sid); secrets.SealedWith(v) != newID {
			t.Errorf("rotation %d: sealed with %s, want the new key %s", i+1, secrets.SealedWith(v), newID)
		}
	}
}
