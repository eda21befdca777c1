package keyslots

import (
	"runtime"
	"testing"
)

// TestAcquireContendedSaysWhenAnotherWentFirst: a caller who found the key
// held or awaited knows that what it read before asking may have changed
// meanwhile; one alone with the key, before or after others, does not.
func TestAcquireContendedSaysWhenAnotherWentFirst(t *testing.T) {
	s := New(1)
	ctx := t.Context()
	first, contended, err := s.AcquireContended(ctx, "k")
	if err != nil || contended {
		t.Fatalf("alone: contended = %v, err = %v; want false, nil", contended, err)
	}
	if _, contended, err := s.AcquireContended(ctx, "other"); err != nil || contended {
		t.Errorf("another key: contended = %v, err = %v; want false, nil", contended, err)
	}
	type acquired struct {
		release   func()
		contended bool
	}
	second := make(chan acquired)
	go func() {
		release, contended, err := s.AcquireContended(ctx, "k")
		if err != nil {
			t.Error(err)
		}
		second <- acquired{release, contended}
	}()
	// The second caller is waiting once the key has two users.
	for s.users("k") < 2 {
		runtime.Gosched()
	}
	first()
	got := <-second
	if !got.contended {
		t.Error("behind a holder: contended = false, want true")
	}
	got.release()
	release, contended, err := s.AcquireContended(ctx, "k")
	if err != nil || contended {
		t.Errorf("after the others left: contended = %v, err = %v; want false, nil", contended, err)
	}
	release()
}

// users is how many hold or wait for a slot of key.
func (s *Slots) users(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.m[key]; e != nil {
		return e.users
	}
	return 0
}
