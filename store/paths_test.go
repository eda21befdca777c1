package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenOddPaths opens databases in folders whose names mean something
// in a SQLite URI: each must land where asked, not in a shared file
// named after the part before '#' or '?'.
func TestOpenOddPaths(t *testing.T) {
	for _, name := range []string{"a#01", "b?x=1", "c%41", "d e", "plain"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			s, err := Open(context.Background(), filepath.Join(dir, "q.db"))
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			if _, err := os.Stat(filepath.Join(dir, "q.db")); err != nil {
				t.Errorf("the database is not where asked: %v", err)
			}
		})
	}
}
