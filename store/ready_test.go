package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/questgate/questgate/quest"
)

func TestReady(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		tests := []struct {
			name    string
			spoil   func(t *testing.T, s *Store)
			wantErr error
		}{
			{"fresh database", func(*testing.T, *Store) {}, nil},
			{"a migration rolled back behind its back", func(t *testing.T, s *Store) {
				if _, err := s.w.ExecContext(ctx, `DELETE FROM goose_db_version
				WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)`); err != nil {
					t.Fatal(err)
				}
			}, quest.ErrMigrationsPending},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := b.open(t)
				tt.spoil(t, s)
				if err := s.Ready(ctx); !errors.Is(err, tt.wantErr) {
					t.Errorf("Ready = %v, want %v", err, tt.wantErr)
				}
			})
		}
	})
}

func TestReadyFailsOnceClosed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		s.Close()
		if err := s.Ready(context.Background()); err == nil {
			t.Error("Ready = nil on a closed store")
		}
	})
}

// TestReadyTellsPendingFromUnreachable checks what the HTTP layer relies
// on: a database that lacks migrations, and only that, is
// ErrMigrationsPending.
func TestReadyTellsPendingFromUnreachable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		tests := []struct {
			name        string
			spoil       func(t *testing.T, s *Store)
			wantPending bool
		}{
			{"migrations pending", func(t *testing.T, s *Store) {
				if _, err := s.w.ExecContext(ctx, `DELETE FROM goose_db_version
				WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)`); err != nil {
					t.Fatal(err)
				}
			}, true},
			{"database closed", func(t *testing.T, s *Store) { s.Close() }, false},
			{"migration records gone", func(t *testing.T, s *Store) {
				if _, err := s.w.ExecContext(ctx, `DROP TABLE goose_db_version`); err != nil {
					t.Fatal(err)
				}
			}, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := b.open(t)
				// A first probe, as a load balancer makes, before the
				// database changes behind the store's back.
				if err := s.Ready(ctx); err != nil {
					t.Fatalf("Ready before = %v", err)
				}
				tt.spoil(t, s)
				err := s.Ready(ctx)
				if err == nil {
					t.Fatal("Ready = nil")
				}
				if got := errors.Is(err, quest.ErrMigrationsPending); got != tt.wantPending {
					t.Errorf("Ready = %v: errors.Is(ErrMigrationsPending) = %v, want %v", err, got, tt.wantPending)
				}
			})
		}
	})
}

// BenchmarkReady measures one readiness probe, which orchestrators send
// every few seconds: it must stay far below the probe's 2 s budget.
func BenchmarkReady(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "q.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		if err := s.Ready(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
