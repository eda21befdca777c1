package keyslots_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/questgate/questgate/keyslots"
)

func TestAtMostLimitHoldersPerKey(t *testing.T) {
	for _, limit := range []int{1, 3} {
		s := keyslots.New(limit)
		var holding, most atomic.Int32
		var other atomic.Int32
		var wg sync.WaitGroup
		for i := range 40 {
			key := "a"
			if i%4 == 0 {
				key = "b"
			}
			wg.Go(func() {
				release, err := s.Acquire(context.Background(), key)
				if err != nil {
					t.Error(err)
					return
				}
				defer release()
				if key == "b" {
					other.Add(1)
					return
				}
				n := holding.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				holding.Add(-1)
			})
		}
		wg.Wait()
		if got := most.Load(); got > int32(limit) {
			t.Errorf("limit %d: %d held key a at once", limit, got)
		}
		if other.Load() != 10 {
			t.Errorf("limit %d: key b got %d slots, want 10", limit, other.Load())
		}
		if s.Len() != 0 {
			t.Errorf("limit %d: %d keys left after every slot was given back", limit, s.Len())
		}
	}
}

func TestAcquireGivesUpWithItsContext(t *testing.T) {
	s := keyslots.New(1)
	release, err := s.Acquire(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	cause := errors.New("the player left")
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error)
	go func() {
		_, err := s.Acquire(ctx, "a")
		done <- err
	}()
	cancel(cause)
	if err := <-done; !errors.Is(err, cause) {
		t.Errorf("Acquire = %v, want the context's cause", err)
	}
	release()
	if s.Len() != 0 {
		t.Errorf("%d keys left", s.Len())
	}
	if _, err := s.Acquire(ctx, "a"); !errors.Is(err, cause) {
		t.Errorf("Acquire on a done context = %v, want its cause", err)
	}
}
