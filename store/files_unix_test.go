//go:build unix

package store

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDatabaseFilesArePrivate opens real SQLite files under a umask that
// would leave them readable by everyone: the folder questgate creates is
// 0700, the database and its -wal and -shm files 0600, and an older
// database readable by others is tightened. An existing folder open to
// others is left alone, with a warning that says how to fix it.
func TestDatabaseFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })

	tests := []struct {
		name       string
		setup      func(t *testing.T, dir string) // dir is the data folder
		wantFolder fs.FileMode
		warn       bool
	}{
		{"a new folder", func(*testing.T, string) {}, 0o700, false},
		{"an older database readable by everyone", func(t *testing.T, dir string) {
			mkdir(t, dir, 0o700)
			for _, f := range []string{"questgate.db", "questgate.db-wal", "questgate.db-shm"} {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o666); err != nil {
					t.Fatal(err)
				}
			}
		}, 0o700, false},
		{"an existing folder others may list", func(t *testing.T, dir string) { mkdir(t, dir, 0o755) }, 0o755, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			tt.setup(t, dir)
			var logs bytes.Buffer
			path := filepath.Join(dir, "questgate.db")
			s, err := Open(t.Context(), path, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.CreateSandboxAccount(t.Context(), SandboxAccount{SID: "AC1", AuthToken: "tok"}); err != nil {
				t.Fatal(err)
			}
			checkMode(t, dir, tt.wantFolder)
			for _, f := range []string{path, path + "-wal", path + "-shm"} {
				checkMode(t, f, 0o600)
			}
			if got := strings.Contains(logs.String(), "chmod 700 "+dir); got != tt.warn {
				t.Errorf("warning about the folder: %v, want %v; log:\n%s", got, tt.warn, logs.String())
			}
		})
	}
}

func mkdir(t *testing.T, dir string, mode fs.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %#o, want %#o", filepath.Base(path), got, want)
	}
}
