package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
)

// WithLogger gives the store a logger for what an operator should know
// but that does not stop it, such as a data folder other users may list.
// Without it such warnings are dropped.
func WithLogger(log *slog.Logger) Option { return func(s *Store) { s.log = log } }

// Modes of SQLite's files and of their folder: the database holds every
// player's attempts and sealed secrets, which no other user of the machine
// has any business reading, whatever the umask.
const (
	fileMode   fs.FileMode = 0o600
	folderMode fs.FileMode = 0o700
)

// prepareSQLiteFiles makes the database's folder (0700) and file (0600)
// before SQLite opens it, since SQLite creates a file with 0644 less the
// umask, and tightens a database file an older questgate left readable
// by others. A folder that already existed is left as it is (it may be
// the operator's, holding other things): the returned warning, when not
// empty, says it may be listed by other users and how to fix that.
func prepareSQLiteFiles(path string) (warning string, err error) {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, folderMode); err != nil {
			return "", fmt.Errorf("create database folder: %w", err)
		}
		// MkdirAll's mode is reduced by the umask; say it exactly.
		if err := chmod(dir, folderMode); err != nil {
			return "", fmt.Errorf("create database folder: %w", err)
		}
	case err != nil:
		return "", fmt.Errorf("database folder: %w", err)
	case runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0:
		warning = fmt.Sprintf("the database folder %s may be read by other users (mode %#o): make it private with: chmod 700 %s",
			dir, fi.Mode().Perm(), dir)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return warning, fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return warning, fmt.Errorf("create database file: %w", err)
	}
	return warning, tightenSQLiteFiles(path)
}

// tightenSQLiteFiles sets 0600 on the database file and on its
// write-ahead log and shared-memory files when they exist. SQLite gives
// those the database file's mode when it creates them; this also covers
// ones an older questgate left readable.
func tightenSQLiteFiles(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := chmod(p, fileMode); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("make database file private: %w", err)
		}
	}
	return nil
}

// chmod sets mode on path, unless the system has no such modes (Windows).
func chmod(path string, mode fs.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm() == mode {
		return nil
	}
	return os.Chmod(path, mode)
}
