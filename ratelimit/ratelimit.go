// Package ratelimit keeps budgets of events per key, so questgate can
// refuse a player who fails one objective too often, or a client who
// floods the server, and say exactly when to try again.
//
// A budget (Limit) allows Events at once and refills evenly over Per: with
// 10 per minute a key may spend 10 at once, then one more every 6 seconds.
// Over any long stretch no key gets more than Events per Per. This is the
// generic cell rate algorithm (GCRA), the token bucket written as one
// timestamp per key: the theoretical arrival time (TAT) of the key's next
// event if it spent its budget evenly.
//
// # The contract
//
// Memory is the implementation for one process. The consumers (quest for
// the per-player limit, handlers for the per-IP one) declare the small
// interface they need; any implementation, such as one backed by a store
// several instances share, must keep this contract so that instances
// agree:
//
//   - Take(ctx, key) atomically either counts one event for key and
//     returns true, or, when key's budget is spent, counts nothing and
//     returns false with the wait until it could succeed (always > 0).
//     Concurrent Takes never let more events through than the budget holds.
//   - Refund(ctx, key) gives back one event counted by an earlier Take, for
//     callers that only know after the fact whether the event should count
//     (quest counts failed attempts only). It never makes a budget larger
//     than full.
//   - Keys are opaque strings chosen by the caller; a key whose budget is
//     full again may be forgotten.
//   - An error means the store could not answer; callers let the request
//     through (and log), since a broken limiter must not lock everyone out.
//
// A shared store implements Take and Refund as one atomic step on one
// value per key holding the TAT (a Redis script, or an UPDATE on a row):
// the arithmetic is that of take and refund below.
package ratelimit

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Limit is a budget: Events at once, refilled evenly over Per.
type Limit struct {
	Events int
	Per    time.Duration
}

// PerMinute is a budget of n events per minute.
func PerMinute(n int) Limit { return Limit{Events: n, Per: time.Minute} }

// String reads like "10 per 1m0s".
func (l Limit) String() string { return fmt.Sprintf("%d per %s", l.Events, l.Per) }

// interval is the time one event's room takes to come back.
func (l Limit) interval() time.Duration { return l.Per / time.Duration(l.Events) }

// Memory keeps budgets in this process's memory. It is safe for concurrent
// use. Memory holds one timestamp per key whose budget is not full, and
// forgets full ones at most once per Per, so idle players and addresses
// cost nothing.
type Memory struct {
	limit     Limit
	every     time.Duration
	now       func() time.Time
	mu        sync.Mutex
	tat       map[string]time.Time
	lastSweep time.Time
}

// NewMemory returns an in-memory limiter with budget l, which must allow at
// least one event over a positive duration. now is the clock, nil for
// time.Now; tests pass a fake one.
func NewMemory(l Limit, now func() time.Time) *Memory {
	if l.Events <= 0 || l.Per <= 0 || l.interval() <= 0 {
		panic(fmt.Sprintf("ratelimit: invalid limit %s", l))
	}
	if now == nil {
		now = time.Now
	}
	return &Memory{limit: l, every: l.interval(), now: now, tat: map[string]time.Time{}, lastSweep: now()}
}

// Limit returns the budget m enforces.
func (m *Memory) Limit() Limit { return m.limit }

// Take counts one event for key if its budget allows it; otherwise it
// counts nothing and says how long to wait. It never fails.
func (m *Memory) Take(_ context.Context, key string) (bool, time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	tat, ok := m.tat[key]
	if !ok || tat.Before(now) {
		tat = now
	}
	next := tat.Add(m.every)
	// The event fits when the budget it leaves spent (next-now) is at most
	// the whole budget (Per): Events events at once, then one per interval.
	if over := next.Sub(now) - m.limit.Per; over > 0 {
		return false, over, nil
	}
	m.tat[key] = next
	return true, 0, nil
}

// Refund gives back one event counted for key by Take.
func (m *Memory) Refund(_ context.Context, key string) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	tat, ok := m.tat[key]
	if !ok {
		return nil
	}
	if tat = tat.Add(-m.every); tat.After(now) {
		m.tat[key] = tat
	} else {
		delete(m.tat, key)
	}
	return nil
}

// Len returns how many keys m remembers, for tests and metrics.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}

// sweep forgets keys whose budget is full again, at most once per Per.
// m.mu must be held.
func (m *Memory) sweep(now time.Time) {
	if now.Sub(m.lastSweep) < m.limit.Per {
		return
	}
	for k, tat := range m.tat {
		if !tat.After(now) {
			delete(m.tat, k)
		}
	}
	m.lastSweep = now
}

// AddressKey is the per-address limits' key for the client address ip:
// the address itself, or for IPv6 its /64, since one subscriber usually
// holds a whole /64 and could otherwise spread requests over countless
// addresses. The pages and the sandbox share it, so that serve --sandbox
// gives an address one budget for both.
func AddressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}
