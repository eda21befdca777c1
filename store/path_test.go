package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenPathWithURICharacters opens a database whose path holds the
// characters a file: URI gives a meaning to: it must land at that path.
func TestOpenPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd #01?x=1 %20&", "q.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	newPlayer(t, s)
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at %q: %v", path, err)
	}
}
