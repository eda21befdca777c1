// Package fakeclock is a clock for tests that moves only when told, so
// that rate limits, session timeouts and message statuses are tested
// without sleeping. Only tests import it; production code takes a
// func() time.Time and gets time.Now.
package fakeclock

import (
	"sync"
	"time"
)

// Start is a fixed instant tests start from when the day does not matter.
var Start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// Clock is a settable time, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a Clock showing t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time: pass it where code wants a func() time.Time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
