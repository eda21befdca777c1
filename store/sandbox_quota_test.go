package store

import (
	"errors"
	"sync"
	"testing"
)

// TestTakeSandboxQuota: each counter stops at its limit, a refused take
// counts nothing, accounts are counted apart, and concurrent takes never
// pass the quota together.
func TestTakeSandboxQuota(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.open(t)
		for _, sid := range []string{"ACq1", "ACq2", "ACq3"} {
			if _, err := s.CreateSandboxAccount(ctx, SandboxAccount{SID: sid, AuthToken: "tok"}); err != nil {
				t.Fatal(err)
			}
		}
		quota := SandboxUse{Messages: 3, Calls: 1, Media: 4, Keys: 1}
		steps := []struct {
			account string
			use     SandboxUse
			ok      bool
		}{
			{"ACq1", SandboxUse{Messages: 1, Media: 3}, true},
			{"ACq1", SandboxUse{Messages: 1, Media: 2}, false}, // media would be 5
			{"ACq1", SandboxUse{Messages: 2, Media: 1}, true},  // exactly the quota
			{"ACq1", SandboxUse{Messages: 1}, false},
			{"ACq1", SandboxUse{Calls: 1}, true},
			{"ACq1", SandboxUse{Calls: 1}, false},
			{"ACq1", SandboxUse{Keys: 1}, true},
			{"ACq1", SandboxUse{Keys: 1}, false},
			{"ACq2", SandboxUse{Messages: 3, Media: 4}, true},
			{"ACq2", SandboxUse{Messages: 1}, false},
			{"ACq1", SandboxUse{Messages: 100}, false},
		}
		for i, st := range steps {
			err := s.TakeSandboxQuota(ctx, st.account, st.use, quota)
			if st.ok && err != nil {
				t.Fatalf("step %d: %v", i+1, err)
			}
			if !st.ok && !errors.Is(err, ErrSandboxQuota) {
				t.Fatalf("step %d: %v, want ErrSandboxQuota", i+1, err)
			}
		}
		if err := s.TakeSandboxQuota(ctx, "ACq1", SandboxUse{Messages: 1000}, SandboxUse{}); err != nil {
			t.Errorf("no quota: %v", err)
		}

		var wg sync.WaitGroup
		var mu sync.Mutex
		granted := 0
		for range 20 {
			wg.Go(func() {
				err := s.TakeSandboxQuota(ctx, "ACq3", SandboxUse{Messages: 1}, SandboxUse{Messages: 5})
				if err == nil {
					mu.Lock()
					granted++
					mu.Unlock()
				} else if !errors.Is(err, ErrSandboxQuota) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if granted != 5 {
			t.Errorf("concurrent takes granted %d messages, want 5", granted)
		}
	})
}
