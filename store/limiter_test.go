package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/questgate/questgate/fakeclock"
)

// limitStep is one call in a scenario: wait, then Take (or Refund) key.
type limitStep struct {
	wait   time.Duration
	key    string
	refund bool
	// For a Take: whether it is allowed and, when not, the wait it gives.
	ok        bool
	retryWait time.Duration
}

// TestDBLimiterKeepsTheMemoryContract plays package ratelimit's scenarios
// for its in-memory limiter against the database one: the two must answer
// alike, to the nanosecond.
func TestDBLimiterKeepsTheMemoryContract(t *testing.T) {
	take := func(key string, ok bool, retry time.Duration) limitStep {
		return limitStep{key: key, ok: ok, retryWait: retry}
	}
	takes := func(n int, key string) []limitStep {
		var s []limitStep
		for range n {
			s = append(s, take(key, true, 0))
		}
		return s
	}
	cat := func(parts ...[]limitStep) []limitStep {
		var s []limitStep
		for _, p := range parts {
			s = append(s, p...)
		}
		return s
	}
	tests := []struct {
		name  string
		limit int
		steps []limitStep
	}{
		{"the whole budget at once, then the exact wait", 10,
			cat(takes(10, "a"), []limitStep{take("a", false, 6*time.Second)})},
		{"refills one event per interval", 10,
			cat(takes(10, "a"), []limitStep{
				{wait: 4 * time.Second, key: "a", retryWait: 2 * time.Second},
				{wait: 2 * time.Second, key: "a", ok: true},
				take("a", false, 6*time.Second),
			})},
		{"a refused take counts nothing", 2,
			cat(takes(2, "a"), []limitStep{take("a", false, 30*time.Second), take("a", false, 30*time.Second),
				{wait: 30 * time.Second, key: "a", ok: true}})},
		{"full again after Per", 3,
			cat(takes(3, "a"), []limitStep{{wait: time.Minute, key: "a", ok: true}}, takes(2, "a"),
				[]limitStep{take("a", false, 20*time.Second)})},
		{"keys are independent", 2,
			cat(takes(2, "a"), []limitStep{take("a", false, 30*time.Second)}, takes(2, "b"))},
		{"a refund gives one event back", 2,
			cat(takes(2, "a"), []limitStep{{key: "a", refund: true}}, takes(1, "a"), []limitStep{take("a", false, 30*time.Second)})},
		{"refunds never exceed a full budget", 2,
			cat([]limitStep{{key: "a", refund: true}, {key: "a", refund: true}}, takes(1, "a"),
				[]limitStep{{key: "a", refund: true}, {key: "a", refund: true}}, takes(2, "a"),
				[]limitStep{take("a", false, 30*time.Second)})},
		{"sub-second intervals", 300,
			cat(takes(300, "ip"), []limitStep{take("ip", false, 200*time.Millisecond),
				{wait: 200 * time.Millisecond, key: "ip", ok: true}})},
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				clk := fakeclock.New(fakeclock.Start)
				l := s.limiter(tt.name+":", tt.limit, time.Minute)
				l.now = clk.Now
				ctx := context.Background()
				for i, st := range tt.steps {
					clk.Advance(st.wait)
					if st.refund {
						if err := l.Refund(ctx, st.key); err != nil {
							t.Fatalf("step %d: refund: %v", i, err)
						}
						continue
					}
					ok, retry, err := l.Take(ctx, st.key)
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					if ok != st.ok || retry != st.retryWait {
						t.Fatalf("step %d: Take(%q) = %v, %v; want %v, %v", i, st.key, ok, retry, st.ok, st.retryWait)
					}
				}
			})
		}
	})
}

func TestDBLimiterForgetsFullBudgets(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		clk := fakeclock.New(fakeclock.Start)
		l := b.open(t).FailureLimiter(10, time.Minute)
		l.now = clk.Now
		for i := range 100 {
			if _, _, err := l.Take(ctx, fmt.Sprint("player", i)); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := l.keys(ctx); err != nil || n != 100 {
			t.Fatalf("remembers %d keys (%v), want 100", n, err)
		}
		clk.Advance(time.Minute)
		if _, _, err := l.Take(ctx, "late"); err != nil {
			t.Fatal(err)
		}
		if n, err := l.keys(ctx); err != nil || n != 1 {
			t.Errorf("after a minute remembers %d keys (%v), want 1", n, err)
		}
	})
}

// TestDBLimiterInstancesShareTheBudget takes from one budget through two
// stores on one database, as two instances would: together they let
// exactly the budget through.
func TestDBLimiterInstancesShareTheBudget(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		db := b.db(t)
		clk := fakeclock.New(fakeclock.Start)
		var limiters []*DBLimiter
		for range 2 {
			l := connectTest(t, db).FailureLimiter(10, time.Minute)
			l.now = clk.Now
			limiters = append(limiters, l)
		}
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				ok, _, err := limiters[i%2].Take(context.Background(), "script")
				if err != nil {
					t.Error(err)
				}
				if ok {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if got := allowed.Load(); got != 10 {
			t.Errorf("%d concurrent takes allowed, want 10", got)
		}
	})
}

func TestFailureLimiterRefusesAnEmptyBudget(t *testing.T) {
	s, err := Open(context.Background(), t.TempDir()+"/q.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, l := range []struct {
		n   int
		per time.Duration
	}{{0, time.Minute}, {1, 0}, {10, 5}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("FailureLimiter(%d, %s) did not panic", l.n, l.per)
				}
			}()
			s.FailureLimiter(l.n, l.per)
		}()
	}
}

// BenchmarkDBLimiterTake measures one Take, run before every limited
// attempt, on each backend, with parallel callers spread over keys.
func BenchmarkDBLimiterTake(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			l := connectTest(b, be.db(b)).FailureLimiter(1_000_000, time.Minute)
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				key := fmt.Sprint("player", n.Add(1))
				for pb.Next() {
					if _, _, err := l.Take(context.Background(), key); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkDBLimiterRefund measures one Take and its Refund, what quest
// does for every attempt that did not fail, on each backend.
func BenchmarkDBLimiterRefund(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			l := connectTest(b, be.db(b)).FailureLimiter(1_000_000, time.Minute)
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				key := fmt.Sprint("player", n.Add(1))
				for pb.Next() {
					if _, _, err := l.Take(context.Background(), key); err != nil {
						b.Error(err)
						return
					}
					if err := l.Refund(context.Background(), key); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
