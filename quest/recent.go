package quest

import (
	"context"
	"slices"
	"sync"
)

// recentKey carries a request's RecentAttempts.
type recentKey struct{}

// RecentAttempts is where a request that will list a player's latest
// attempts at an objective under its verdict (the hack panel) lets the
// store put them as it records the attempt. A store that can read them
// in the attempt's own round trips (PostgreSQL: in the attempt's one
// statement, or beside an award's COMMIT) keeps them here, and its list
// of them then answers from here instead of asking the database again:
// one round trip fewer for every HACK, which on PostgreSQL was a quarter
// of a repeat's (docs/performance.md). A store that cannot keeps
// nothing, and the list is read as before.
//
// It belongs to one request; its lock only guards against a store that
// records from another goroutine.
type RecentAttempts struct {
	limit int

	mu          sync.Mutex
	kept        bool
	playerID    string
	objectiveID string
	list        []Submission
}

// WithRecentAttempts returns ctx asking the store to keep, as it records
// the request's attempt, the player's latest limit attempts at its
// objective, newest first, that attempt included.
func WithRecentAttempts(ctx context.Context, limit int) context.Context {
	if limit <= 0 {
		return ctx
	}
	return context.WithValue(ctx, recentKey{}, &RecentAttempts{limit: limit})
}

// RecentAttemptsOf returns what WithRecentAttempts put in ctx, or nil
// when its request lists nothing; a nil RecentAttempts wants nothing and
// keeps nothing.
func RecentAttemptsOf(ctx context.Context) *RecentAttempts {
	r, _ := ctx.Value(recentKey{}).(*RecentAttempts)
	return r
}

// Limit is how many attempts the request lists; 0 for a nil r.
func (r *RecentAttempts) Limit() int {
	if r == nil {
		return 0
	}
	return r.limit
}

// Keep keeps list, the latest Limit attempts of playerID at objectiveID,
// newest first, read as the store recorded the newest of them. A later
// Keep replaces it.
func (r *RecentAttempts) Keep(playerID, objectiveID string, list []Submission) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kept, r.playerID, r.objectiveID = true, playerID, objectiveID
	r.list = slices.Clip(list)
}

// Take returns the kept list of playerID's latest attempts at
// objectiveID, cut to limit, when one was kept for them and holds at
// least as many as limit asks (or all there are); false when the list
// must be read.
func (r *RecentAttempts) Take(playerID, objectiveID string, limit int) ([]Submission, bool) {
	if r == nil {
		return nil, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	whole := limit <= r.limit || len(r.list) < r.limit // it holds every attempt the list asks for
	if !r.kept || r.playerID != playerID || r.objectiveID != objectiveID || limit < 0 || !whole {
		return nil, false
	}
	return slices.Clone(r.list[:min(limit, len(r.list))]), true
}
