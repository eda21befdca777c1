package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/questgate/questgate/internal/testkit/fakeclock"
	"github.com/questgate/questgate/internal/testkit/ratelimittest"
)

// TestDBLimiterKeepsTheMemoryContract plays the scenarios package
// ratelimit's in-memory limiter plays (package ratelimittest) against the
// database one: the two must answer alike, to the nanosecond.
func TestDBLimiterKeepsTheMemoryContract(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		ratelimittest.Contract(t, func(_ *testing.T, name string, events int, now func() time.Time) ratelimittest.Limiter {
			l := s.limiter(name+":", events, time.Minute)
			l.now = now
			return l
		})
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

// BenchmarkDBLimiter measures, on each backend with parallel callers
// spread over keys, one Take (run before every limited attempt) and a
// Take with its Refund (what quest does for every attempt that did not
// fail).
func BenchmarkDBLimiter(b *testing.B) {
	for _, refund := range []bool{false, true} {
		name := "Take"
		if refund {
			name = "TakeRefund"
		}
		for _, be := range backends() {
			b.Run(name+"/"+be.name, func(b *testing.B) {
				l := connectTest(b, be.db(b)).FailureLimiter(1_000_000, time.Minute)
				var n atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					key := fmt.Sprint("player", n.Add(1))
					for pb.Next() {
						if _, _, err := l.Take(context.Background(), key); err != nil {
							b.Error(err)
							return
						}
						if !refund {
							continue
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
}
