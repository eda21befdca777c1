package secrets

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadOrCreateMakesAPrivateKeyFileOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	src := Source{Dir: dir, Getenv: env()}
	first, err := src.LoadOrCreate()
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || first.FromEnv || first.Next != nil {
		t.Errorf("first start: %+v", first)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %#o, want 0600", perm)
	}
	second, err := src.LoadOrCreate()
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || second.Ring.Current().ID() != first.Ring.Current().ID() {
		t.Errorf("second start made another key: %+v", second)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".secret.key.tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestLoadWithoutKeyFile(t *testing.T) {
	_, err := Source{Dir: t.TempDir()}.Load()
	if err == nil || !strings.Contains(err.Error(), EnvKey) {
		t.Errorf("err = %v, want one naming %s", err, EnvKey)
	}
}

func TestLoadRefusesBadKeyFiles(t *testing.T) {
	good, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		file     string
		content  string
		mode     os.FileMode
		wantText string
	}{
		{"readable by group", KeyFileName, good.String(), 0o640, "chmod 600"},
		{"readable by anyone", KeyFileName, good.String(), 0o644, "chmod 600"},
		{"malformed", KeyFileName, "not a key at all", 0o600, "malformed"},
		{"truncated", KeyFileName, good.String()[:20], 0o600, "malformed"},
		{"next key readable by others", NextKeyFileName, good.String(), 0o604, "chmod 600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			src := Source{Dir: dir}
			if tt.file == NextKeyFileName {
				if _, err := src.LoadOrCreate(); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := src.LoadOrCreate()
			if err == nil || !strings.Contains(err.Error(), tt.wantText) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want one naming %s and saying %q", err, path, tt.wantText)
			}
			if strings.Contains(err.Error(), good.String()) || strings.Contains(err.Error(), tt.content) {
				t.Errorf("the error quotes the key: %v", err)
			}
		})
	}
}

func TestKeysFromEnvironment(t *testing.T) {
	cur, prev := mustKey(t), mustKey(t)
	dir := t.TempDir()
	ks, err := Source{Dir: dir, Getenv: env(EnvKey, cur.String(), EnvPreviousKey, prev.String())}.LoadOrCreate()
	if err != nil {
		t.Fatal(err)
	}
	if !ks.FromEnv || ks.Created || ks.Ring.Current().ID() != cur.ID() || !ks.Ring.Has(prev.ID()) {
		t.Errorf("keys = %+v, ids %v", ks, ks.Ring.IDs())
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a key file was written although the key is in the environment: %v", err)
	}
	for _, name := range []string{EnvKey, EnvPreviousKey} {
		_, err := Source{Dir: dir, Getenv: env(EnvKey, cur.String(), name, "oops")}.LoadOrCreate()
		if err == nil || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), cur.String()) {
			t.Errorf("malformed %s: err = %v", name, err)
		}
	}
}

func TestFileRotation(t *testing.T) {
	dir := t.TempDir()
	src := Source{Dir: dir}
	ks, err := src.LoadOrCreate()
	if err != nil {
		t.Fatal(err)
	}
	old := ks.Ring.Current()
	next, err := src.RotationTarget(ks)
	if err != nil {
		t.Fatal(err)
	}
	if next.ID() == old.ID() {
		t.Fatal("rotation target is the current key")
	}
	// Interrupted here: a restart loads both keys, still sealing with the old one.
	ks, err = src.Load()
	if err != nil {
		t.Fatal(err)
	}
	if ks.Ring.Current().ID() != old.ID() || ks.Next == nil || ks.Next.ID() != next.ID() || !ks.Ring.Has(next.ID()) {
		t.Fatalf("after an interrupted rotation: current %s next %v", ks.Ring.Current().ID(), ks.Next)
	}
	// Running rotate again picks up the same target.
	again, err := src.RotationTarget(ks)
	if err != nil || again.ID() != next.ID() {
		t.Fatalf("second rotation target %v, %v; want %s", again, err, next.ID())
	}
	if err := src.FinishRotation(); err != nil {
		t.Fatal(err)
	}
	ks, err = src.Load()
	if err != nil {
		t.Fatal(err)
	}
	if ks.Ring.Current().ID() != next.ID() || ks.Next != nil || ks.Ring.Has(old.ID()) {
		t.Errorf("after rotation: ids %v next %v", ks.Ring.IDs(), ks.Next)
	}
	if fi, err := os.Stat(src.File()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file after rotation: %v %v", fi, err)
	}
}

func TestEnvRotationTarget(t *testing.T) {
	cur, next := mustKey(t), mustKey(t)
	src := Source{Dir: t.TempDir(), Getenv: env(EnvKey, cur.String(), EnvNewKey, next.String())}
	ks, err := src.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := src.RotationTarget(ks); err != nil || got.ID() != next.ID() {
		t.Errorf("target %v, %v; want the new key", got, err)
	}
	src.Getenv = env(EnvKey, cur.String())
	if got, err := src.RotationTarget(ks); err != nil || got.ID() != cur.ID() {
		t.Errorf("without %s: target %v, %v; want the current key", EnvNewKey, got, err)
	}
	if _, err := os.Stat(src.NextFile()); !errors.Is(err, os.ErrNotExist) {
		t.Error("an environment rotation wrote a key file")
	}
}
