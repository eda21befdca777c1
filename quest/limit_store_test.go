package quest_test

import (
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
)

// The budget that instances sharing a database share is a Limiter; its
// behaviour is tested against ratelimit.Memory's in package store.
var _ quest.Limiter = (*store.DBLimiter)(nil)
