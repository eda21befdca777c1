// Package ratelimittest holds the contract every budget limiter keeps,
// as scenarios any implementation plays: package ratelimit's in-memory
// limiter and the store's database one (which every instance of an event
// shares) must answer alike, to the nanosecond. Only tests import it.
package ratelimittest

import (
	"context"
	"testing"
	"time"

	"github.com/questgate/questgate/internal/testkit/fakeclock"
)

// Limiter is what the contract exercises (quest's Limiter).
type Limiter interface {
	Take(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
	Refund(ctx context.Context, key string) error
}

// New returns a limiter allowing events per minute, per key, whose clock
// is now; name is unique per scenario, for limiters that share a store.
type New func(t *testing.T, name string, events int, now func() time.Time) Limiter

// step is one call in a scenario: wait, then Take (or Refund) key.
type step struct {
	wait   time.Duration
	key    string
	refund bool
	// For a Take: whether it is allowed and, when not, the wait it gives.
	ok        bool
	retryWait time.Duration
}

func take(key string, ok bool, retry time.Duration) step {
	return step{key: key, ok: ok, retryWait: retry}
}

func takes(n int, key string) []step {
	var s []step
	for range n {
		s = append(s, take(key, true, 0))
	}
	return s
}

func cat(parts ...[]step) []step {
	var s []step
	for _, p := range parts {
		s = append(s, p...)
	}
	return s
}

// Contract plays every scenario, each as a subtest, against limiters
// made by newLimiter.
func Contract(t *testing.T, newLimiter New) {
	tests := []struct {
		name   string
		events int // per minute
		steps  []step
	}{
		{"the whole budget at once, then the exact wait", 10,
			cat(takes(10, "a"), []step{take("a", false, 6*time.Second)})},
		{"refills one event per interval", 10,
			cat(takes(10, "a"), []step{
				{wait: 4 * time.Second, key: "a", retryWait: 2 * time.Second},
				{wait: 2 * time.Second, key: "a", ok: true},
				take("a", false, 6*time.Second),
			})},
		{"a refused take counts nothing", 2,
			cat(takes(2, "a"), []step{take("a", false, 30*time.Second), take("a", false, 30*time.Second),
				{wait: 30 * time.Second, key: "a", ok: true}})},
		{"full again after Per", 3,
			cat(takes(3, "a"), []step{{wait: time.Minute, key: "a", ok: true}}, takes(2, "a"),
				[]step{take("a", false, 20*time.Second)})},
		{"keys are independent", 2,
			cat(takes(2, "a"), []step{take("a", false, 30*time.Second)}, takes(2, "b"))},
		{"a refund gives one event back", 2,
			cat(takes(2, "a"), []step{{key: "a", refund: true}}, takes(1, "a"), []step{take("a", false, 30*time.Second)})},
		{"refunds never exceed a full budget", 2,
			cat([]step{{key: "a", refund: true}, {key: "a", refund: true}}, takes(1, "a"),
				[]step{{key: "a", refund: true}, {key: "a", refund: true}}, takes(2, "a"),
				[]step{take("a", false, 30*time.Second)})},
		{"sub-second intervals", 300,
			cat(takes(300, "ip"), []step{take("ip", false, 200*time.Millisecond),
				{wait: 200 * time.Millisecond, key: "ip", ok: true}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := fakeclock.New(fakeclock.Start)
			l := newLimiter(t, tt.name, tt.events, clk.Now)
			ctx := context.Background()
			for i, s := range tt.steps {
				clk.Advance(s.wait)
				if s.refund {
					if err := l.Refund(ctx, s.key); err != nil {
						t.Fatalf("step %d: refund: %v", i, err)
					}
					continue
				}
				ok, retry, err := l.Take(ctx, s.key)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if ok != s.ok || retry != s.retryWait {
					t.Fatalf("step %d: Take(%q) = %v, %v; want %v, %v", i, s.key, ok, retry, s.ok, s.retryWait)
				}
			}
		})
	}
}
