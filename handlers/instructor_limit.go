package handlers

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// LoginLimiter bounds sign-in attempts under a key (an email, a client
// address). Allow counts one attempt: it says whether the attempt may go
// on and, when not, how long to wait before the next one would.
type LoginLimiter interface {
	Allow(key string) (ok bool, retryAfter time.Duration)
}

// DefaultAccountLimiter allows 5 sign-in attempts in a row per email,
// then one every 20 seconds: a mistyping instructor barely notices, a
// password-guesser gets 180 guesses an hour at most.
func DefaultAccountLimiter() *MemoryLimiter { return NewMemoryLimiter(20*time.Second, 5) }

// DefaultIPLimiter allows 30 sign-in attempts in a row per address, then
// one every 2 seconds. It is generous because a classroom shares one
// address behind its NAT; it stops one machine trying many emails.
func DefaultIPLimiter() *MemoryLimiter { return NewMemoryLimiter(2*time.Second, 30) }

// MemoryLimiter is a LoginLimiter for one process: a token bucket per key
// (golang.org/x/time/rate) holding burst attempts, refilled by one every
// interval. A bucket that has refilled completely says nothing more than
// a new one, so it is forgotten, and attempts under ever new keys cannot
// grow the map without bound. Several instances of questgate would each
// count on their own; a shared store takes its place then.
type MemoryLimiter struct {
	every time.Duration
	burst int
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
	lastSweep time.Time
}

// NewMemoryLimiter allows burst attempts per key, then one per every.
func NewMemoryLimiter(every time.Duration, burst int) *MemoryLimiter {
	return &MemoryLimiter{every: every, burst: burst, now: time.Now, buckets: map[string]*rate.Limiter{}}
}

// Allow implements LoginLimiter.
func (l *MemoryLimiter) Allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.buckets[key]
	if !ok {
		b = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.buckets[key] = b
	}
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		// A refused attempt takes no token: waiting the advised delay
		// is enough to be let in.
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets the full buckets, at most once per refill interval.
func (l *MemoryLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.every {
		return
	}
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
}
