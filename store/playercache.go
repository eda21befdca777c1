package store

import (
	"context"
	"errors"
	"maps"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/questgate/questgate/quest"
)

// playerCacheSize is how many players' reads a store keeps: every player
// of a big event (issue 19 sizes one at 10,000) with room to spare, each
// a kilobyte or two (their awards, what Twilio said of the SIDs that won
// them, their sealed credentials), so some 30 MB when full. A smaller
// cache than the players HACKing in turn is worse than none: 4,096
// entries for the bench's 6,000 players (each opens the page, then all
// HACK in the same order) evicted every player before their HACK.
const playerCacheSize = 16384

// playerCache keeps what a HACK reads of its player before its work (their
// awards, their credentials, their event window, what their hints cost),
// keyed by the player's version (quest.Player.Version). The database's
// triggers move the version on at every change of those rows, in the
// writer's transaction, so an entry is only ever used by a request that
// read the player at the entry's version: what it answers is never older
// than what the database held when that request read the player,
// whichever process or instance made the change. A request that read no
// player (quest.WithPlayerRead) never uses it.
//
// An entry can hold reads made after its version was read, which are
// newer than it: a request that read the player at that version gets
// what it would have read a moment later, never what it would not have
// read at all.
//
// Credentials are kept sealed, as the database keeps them: their secret
// is opened for each use, as a read from the database opens it.
type playerCache struct {
	entries *lru.Cache[string, *playerEntry]
}

// playerEntry is one player's reads at one version. It is never changed
// once in the cache: a read that completes it puts a copy (see keep), so
// that readers need no lock beyond the cache's.
type playerEntry struct {
	version int64
	// awards is nil until read.
	awards map[string]quest.Award
	// credentials holds the row with its secret sealed; hasCredentials
	// says it was read, noCredentials that the player has none.
	credentials    quest.Credentials
	hasCredentials bool
	noCredentials  bool
	// event is the player's cohort's window, read when hasEvent.
	event    quest.Event
	hasEvent bool
	// awarded holds, by objective, the submissions that won the player
	// their awards, as AwardedSubmission read them: a repeat shows what
	// Twilio said when the SID won. A submission that won an award is not
	// changed afterwards, and the award's own changes move the version.
	awarded map[string]quest.Submission
	// hintCost holds, by objective, what the hints the player revealed
	// there cost, as HintCost read it.
	hintCost map[string]int
	// noReveals says the player revealed no hint anywhere: every
	// objective's cost is 0 (see keepNew).
	noReveals bool
}

// newPlayerCache returns an empty cache of size players.
func newPlayerCache(size int) *playerCache {
	entries, err := lru.New[string, *playerEntry](size)
	if err != nil {
		// Only a size below one fails, and the size is a constant.
		panic(err)
	}
	return &playerCache{entries: entries}
}

// at returns playerID's entry at the version ctx's request read them at,
// or nil (and false for a request that read no such player).
func (c *playerCache) at(ctx context.Context, playerID string) (*playerEntry, int64, bool) {
	id, v, ok := quest.PlayerRead(ctx)
	if !ok || id != playerID {
		return nil, 0, false
	}
	e, found := c.entries.Get(playerID)
	if !found || e.version != v {
		return nil, v, true
	}
	return e, v, true
}

// keep stores in playerID's entry at version what fill sets, keeping what
// the entry held already when it is at the same version, and replacing
// an older entry. An entry at a newer version (a request that read the
// player later filled it) stays as it is.
func (c *playerCache) keep(playerID string, version int64, fill func(*playerEntry)) {
	e := &playerEntry{version: version}
	if old, found := c.entries.Peek(playerID); found {
		switch {
		case old.version > version:
			return
		case old.version == version:
			cp := *old
			e = &cp
		}
	}
	fill(e)
	c.entries.Add(playerID, e)
}

// keepNew stores what a player this process just created holds at version
// 0, the version of a player nothing has changed since their row was
// written: no award, no credentials, no revealed hint, no cohort (so the
// default event). A game's first-time player (store.APIPlayer) is
// created and verified in one request; without this, that request would
// read from the database, one statement each, the nothing it just wrote.
// Any change since moves the version (the triggers), so a request that
// read the player later does not use this entry.
func (c *playerCache) keepNew(playerID string) {
	c.keep(playerID, 0, func(e *playerEntry) {
		e.awards = map[string]quest.Award{}
		e.event, e.hasEvent = quest.DefaultEvent(0), true
		e.noCredentials, e.hasCredentials = true, false
		e.noReveals = true
	})
}

// forget drops playerID's entry, after this process changed what it
// holds: a request that changes the player and reads them again afterwards
// (at the version it read before its change) reads the change.
func (c *playerCache) forget(playerID string) {
	c.entries.Remove(playerID)
}

// cachedAwards is Awards through the cache.
func (s *Store) cachedAwards(ctx context.Context, playerID string, read func() (map[string]quest.Award, error)) (map[string]quest.Award, error) {
	e, v, ok := s.cache.at(ctx, playerID)
	if e != nil && e.awards != nil {
		// Callers may change the map they get; the entry's stays as read.
		return maps.Clone(e.awards), nil
	}
	awards, err := read()
	if err != nil || !ok {
		return awards, err
	}
	kept := maps.Clone(awards)
	s.cache.keep(playerID, v, func(e *playerEntry) { e.awards = kept })
	return awards, nil
}

// cachedEvent is PlayerEvent through the cache.
func (s *Store) cachedEvent(ctx context.Context, playerID string, read func() (quest.Event, error)) (quest.Event, error) {
	e, v, ok := s.cache.at(ctx, playerID)
	if e != nil && e.hasEvent {
		return e.event, nil
	}
	ev, err := read()
	if err != nil || !ok {
		return ev, err
	}
	s.cache.keep(playerID, v, func(e *playerEntry) { e.event, e.hasEvent = ev, true })
	return ev, nil
}

// cachedCredentials is Credentials through the cache: read returns the
// row with its secret still sealed, or quest.ErrNotFound.
func (s *Store) cachedCredentials(ctx context.Context, playerID string, read func() (quest.Credentials, error)) (quest.Credentials, error) {
	e, v, ok := s.cache.at(ctx, playerID)
	switch {
	case e != nil && e.noCredentials:
		return quest.Credentials{}, quest.ErrNotFound
	case e != nil && e.hasCredentials:
		return e.credentials, nil
	}
	c, err := read()
	if !ok {
		return c, err
	}
	switch {
	case err == nil:
		s.cache.keep(playerID, v, func(e *playerEntry) { e.credentials, e.hasCredentials, e.noCredentials = c, true, false })
	case errors.Is(err, quest.ErrNotFound):
		s.cache.keep(playerID, v, func(e *playerEntry) { e.noCredentials, e.hasCredentials = true, false })
	}
	return c, err
}

// cachedAwarded is AwardedSubmission through the cache of the player
// ctx's request read: only their own award's submission is kept, under
// the objective it won.
func (s *Store) cachedAwarded(ctx context.Context, objectiveID, sid string, read func() (quest.Submission, error)) (quest.Submission, error) {
	playerID, _, _ := quest.PlayerRead(ctx)
	e, v, ok := s.cache.at(ctx, playerID)
	if e != nil {
		if sub, found := e.awarded[objectiveID]; found && sub.SID == sid {
			return detached(sub), nil
		}
	}
	sub, err := read()
	if err != nil || !ok || sub.PlayerID != playerID {
		return sub, err
	}
	kept := detached(sub)
	s.cache.keep(playerID, v, func(e *playerEntry) { e.awarded = with(e.awarded, objectiveID, kept) })
	return sub, nil
}

// cachedHintCost is HintCost through the cache, kept by objective.
func (s *Store) cachedHintCost(ctx context.Context, playerID, objectiveID string, read func() (int, error)) (int, error) {
	e, v, ok := s.cache.at(ctx, playerID)
	if e != nil {
		if e.noReveals {
			return 0, nil
		}
		if cost, found := e.hintCost[objectiveID]; found {
			return cost, nil
		}
	}
	cost, err := read()
	if err != nil || !ok {
		return cost, err
	}
	s.cache.keep(playerID, v, func(e *playerEntry) { e.hintCost = with(e.hintCost, objectiveID, cost) })
	return cost, nil
}

// with returns a copy of m with k set to v: an entry's maps are never
// changed once in the cache (see playerEntry).
func with[V any](m map[string]V, k string, v V) map[string]V {
	out := make(map[string]V, len(m)+1)
	maps.Copy(out, m)
	out[k] = v
	return out
}

// detached returns sub with a Message of its own, so that what the cache
// keeps and what callers get never share one.
func detached(sub quest.Submission) quest.Submission {
	if sub.Message != nil {
		m := *sub.Message
		sub.Message = &m
	}
	return sub
}
