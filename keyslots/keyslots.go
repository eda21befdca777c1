// Package keyslots bounds how many goroutines work on the same key at
// once, for keys that come and go: Twilio accounts (Twilio limits
// concurrent requests per account) and a player's identical attempts (a
// double-click storm is played one click at a time). An entry lives only
// while someone holds or waits for one of its slots, so memory does not
// grow with the number of keys ever seen.
package keyslots

import (
	"context"
	"sync"
)

// Slots hands out at most limit slots per key. It is safe for concurrent
// use.
type Slots struct {
	limit int
	mu    sync.Mutex
	m     map[string]*entry
}

type entry struct {
	ch    chan struct{}
	users int // holding or waiting, under Slots.mu
}

// New returns Slots allowing limit holders per key (at least 1).
func New(limit int) *Slots {
	return &Slots{limit: max(limit, 1), m: map[string]*entry{}}
}

// Acquire waits for a slot of key, or until ctx is done (then it returns
// context.Cause(ctx)), and returns the function that gives the slot back.
func (s *Slots) Acquire(ctx context.Context, key string) (release func(), err error) {
	release, _, err = s.AcquireContended(ctx, key)
	return release, err
}

// AcquireContended is Acquire, also reporting whether someone else held
// or waited for a slot of key when it asked: work on the same key may
// then have been done while the caller waited, and what the caller read
// before asking may be out of date.
func (s *Slots) AcquireContended(ctx context.Context, key string) (release func(), contended bool, err error) {
	s.mu.Lock()
	e := s.m[key]
	if e == nil {
		e = &entry{ch: make(chan struct{}, s.limit)}
		s.m[key] = e
	}
	e.users++
	contended = e.users > 1
	s.mu.Unlock()
	if err := context.Cause(ctx); err != nil {
		s.leave(key, e)
		return nil, contended, err
	}
	select {
	case e.ch <- struct{}{}:
		return func() {
			<-e.ch
			s.leave(key, e)
		}, contended, nil
	case <-ctx.Done():
		s.leave(key, e)
		return nil, contended, context.Cause(ctx)
	}
}

func (s *Slots) leave(key string, e *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.users--
	if e.users == 0 {
		delete(s.m, key)
	}
}

// Len is the number of keys with an entry: someone holds or waits for
// one of their slots.
func (s *Slots) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
