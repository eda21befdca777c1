package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/questgate/questgate/fakeclock"
	"github.com/questgate/questgate/ratelimit"
)

// step is one call in a scenario: wait, then Take (or Refund) key.
type step struct {
	wait   time.Duration
	key    string
	refund bool
	// For a Take: whether it is allowed and, when not, the wait it gives.
	ok        bool
	retryWait time.Duration
}

func TestMemory(t *testing.T) {
	take := func(key string, ok bool, retry time.Duration) step { return step{key: key, ok: ok, retryWait: retry} }
	takes := func(n int, key string) []step {
		var s []step
		for range n {
			s = append(s, take(key, true, 0))
		}
		return s
	}
	cat := func(parts ...[]step) []step {
		var s []step
		for _, p := range parts {
			s = append(s, p...)
		}
		return s
	}
	tests := []struct {
		name  string
		limit ratelimit.Limit
		steps []step
	}{
		{"the whole budget at once, then the exact wait", ratelimit.PerMinute(10),
			cat(takes(10, "a"), []step{take("a", false, 6*time.Second)})},
		{"refills one event per interval", ratelimit.PerMinute(10),
			cat(takes(10, "a"), []step{
				{wait: 4 * time.Second, key: "a", retryWait: 2 * time.Second},
				{wait: 2 * time.Second, key: "a", ok: true},
				take("a", false, 6*time.Second),
			})},
		{"a refused take counts nothing", ratelimit.PerMinute(2),
			cat(takes(2, "a"), []step{take("a", false, 30*time.Second), take("a", false, 30*time.Second),
				{wait: 30 * time.Second, key: "a", ok: true}})},
		{"full again after Per", ratelimit.PerMinute(3),
			cat(takes(3, "a"), []step{{wait: time.Minute, key: "a", ok: true}}, takes(2, "a"),
				[]step{take("a", false, 20*time.Second)})},
		{"keys are independent", ratelimit.PerMinute(2),
			cat(takes(2, "a"), []step{take("a", false, 30*time.Second)}, takes(2, "b"))},
		{"a refund gives one event back", ratelimit.PerMinute(2),
			cat(takes(2, "a"), []step{{key: "a", refund: true}}, takes(1, "a"), []step{take("a", false, 30*time.Second)})},
		{"refunds never exceed a full budget", ratelimit.PerMinute(2),
			cat([]step{{key: "a", refund: true}, {key: "a", refund: true}}, takes(1, "a"),
				[]step{{key: "a", refund: true}, {key: "a", refund: true}}, takes(2, "a"),
				[]step{take("a", false, 30*time.Second)})},
		{"sub-second intervals", ratelimit.PerMinute(300),
			cat(takes(300, "ip"), []step{take("ip", false, 200*time.Millisecond),
				{wait: 200 * time.Millisecond, key: "ip", ok: true}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := fakeclock.New(fakeclock.Start)
			m := ratelimit.NewMemory(tt.limit, clk.Now)
			ctx := context.Background()
			for i, s := range tt.steps {
				clk.Advance(s.wait)
				if s.refund {
					if err := m.Refund(ctx, s.key); err != nil {
						t.Fatalf("step %d: refund: %v", i, err)
					}
					continue
				}
				ok, retry, err := m.Take(ctx, s.key)
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
