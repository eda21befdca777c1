package handlers

import (
	"testing"
	"time"
)

func TestMemoryLimiter(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	l := NewMemoryLimiter(10*time.Second, 3)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.Allow("ada"); !ok {
			t.Fatalf("attempt %d refused within the burst", i+1)
		}
	}
	ok, wait := l.Allow("ada")
	if ok || wait != 10*time.Second {
		t.Fatalf("4th attempt: ok=%v wait=%v, want refused for 10s", ok, wait)
	}
	if ok, _ := l.Allow("bob"); !ok {
		t.Error("another key shares the first one's bucket")
	}
	now = now.Add(5 * time.Second)
	if ok, wait := l.Allow("ada"); ok || wait != 5*time.Second {
		t.Errorf("halfway: ok=%v wait=%v, want refused for 5s", ok, wait)
	}
	now = now.Add(5 * time.Second)
	if ok, _ := l.Allow("ada"); !ok {
		t.Error("refused after waiting the advised delay")
	}
	now = now.Add(time.Hour)
	l.Allow("cyd")
	if _, kept := l.buckets["bob"]; kept || len(l.buckets) != 1 {
		t.Errorf("full buckets kept: %d buckets", len(l.buckets))
	}
}
