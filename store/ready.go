package store

import (
	"context"
	"fmt"

	"github.com/questgate/questgate/quest"
)

// Ready reports whether the store can serve requests: the database
// answers on the reader pool, and every migration this build carries is
// applied. It reads only (a ping, and goose's version table, which the
// store made when it opened, through the writer), through a migration
// provider built once per Store, so load balancers may call it every few
// seconds. An error that is not ErrMigrationsPending means the database
// did not answer as it should.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	pending, err := s.readiness.HasPending(ctx)
	if err != nil {
		// A database emptied behind the store's back has lost goose's
		// table too, which the provider, having seen it once, does not
		// make again: that database needs migrating.
		if gone, gerr := s.versionTableGone(ctx); gerr == nil && gone {
			return fmt.Errorf("database not ready: %w (no record of any)", quest.ErrMigrationsPending)
		}
		return fmt.Errorf("read migration state: %w", err)
	}
	if pending {
		return fmt.Errorf("database not ready: %w", quest.ErrMigrationsPending)
	}
	return nil
}

// versionTableGone reports whether goose's version table is missing from
// the store's database (its schema, on PostgreSQL).
func (s *Store) versionTableGone(ctx context.Context) (bool, error) {
	query := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`
	if s.pg {
		query = `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'goose_db_version'`
	}
	var n int
	if err := s.r.QueryRowContext(ctx, query).Scan(&n); err != nil {
		return false, err
	}
	return n == 0, nil
}
