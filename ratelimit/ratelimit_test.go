package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/questgate/questgate/internal/testkit/fakeclock"
	"github.com/questgate/questgate/internal/testkit/ratelimittest"
	"github.com/questgate/questgate/ratelimit"
)

// TestMemory plays the limiter contract (package ratelimittest).
func TestMemory(t *testing.T) {
	ratelimittest.Contract(t, func(_ *testing.T, _ string, events int, now func() time.Time) ratelimittest.Limiter {
		return ratelimit.NewMemory(ratelimit.PerMinute(events), now)
	})
}

func TestMemoryForgetsFullBudgets(t *testing.T) {
	clk := fakeclock.New(fakeclock.Start)
	m := ratelimit.NewMemory(ratelimit.PerMinute(10), clk.Now)
	ctx := context.Background()
	for i := range 100 {
		if _, _, err := m.Take(ctx, fmt.Sprint("player", i)); err != nil {
			t.Fatal(err)
		}
	}
	if m.Len() != 100 {
		t.Fatalf("remembers %d keys, want 100", m.Len())
	}
	clk.Advance(time.Minute)
	if _, _, err := m.Take(ctx, "late"); err != nil {
		t.Fatal(err)
	}
	if m.Len() != 1 {
		t.Errorf("after a minute remembers %d keys, want 1", m.Len())
	}
}

func TestMemoryConcurrentTakesNeverExceedTheBudget(t *testing.T) {
	clk := fakeclock.New(fakeclock.Start)
	m := ratelimit.NewMemory(ratelimit.PerMinute(10), clk.Now)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if ok, _, _ := m.Take(context.Background(), "script"); ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 10 {
		t.Errorf("%d concurrent takes allowed, want 10", got)
	}
}

func TestNewMemoryRefusesAnEmptyBudget(t *testing.T) {
	for _, l := range []ratelimit.Limit{{Events: 0, Per: time.Minute}, {Events: 1, Per: 0}, {Events: 10, Per: 5}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewMemory(%s) did not panic", l)
				}
			}()
			ratelimit.NewMemory(l, nil)
		}()
	}
}

// BenchmarkMemoryTake measures one Take under contention: the per-IP
// limiter runs it on every player request.
func BenchmarkMemoryTake(b *testing.B) {
	m := ratelimit.NewMemory(ratelimit.PerMinute(300), nil)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("203.0.113.%d/%d", i%256, i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			_, _, _ = m.Take(ctx, keys[i%len(keys)])
			i++
		}
	})
}
