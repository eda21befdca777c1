package store

import (
	"context"
	"errors"
	"fmt"
)

// ErrMigrationsPending is returned by Ready when the database lacks
// migrations this questgate knows: another process (an older questgate)
// recreated or rolled it back, and queries may fail on missing columns.
var ErrMigrationsPending = errors.New("database migrations pending")

// Ready reports whether the store can serve requests: the database
// answers on the reader pool, and every migration this build carries is
// applied. It reads only, so load balancers may call it every few seconds.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	p, err := s.providerOn(s.r)
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("read migration state: %w", err)
	}
	if pending {
		return ErrMigrationsPending
	}
	return nil
}
