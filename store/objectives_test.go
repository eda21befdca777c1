package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/quest"
)

// clockAt makes s's clock read the returned pointer's value.
func clockAt(s *Store, t time.Time) *time.Time {
	now := t
	s.now = func() time.Time { return now }
	return &now
}

func TestOpenObjectiveKeepsTheFirstVisit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p := newPlayer(t, s)
		now := clockAt(s, time.Date(2026, 5, 24, 17, 0, 0, 0, time.UTC))
		first, err := s.OpenObjective(ctx, p.ID, "send-mms")
		if err != nil || !first.Equal(*now) {
			t.Fatalf("OpenObjective = %v, %v", first, err)
		}
		*now = now.Add(time.Hour)
		again, err := s.OpenObjective(ctx, p.ID, "send-mms")
		if err != nil || !again.Equal(first) {
			t.Errorf("second visit = %v, %v; want the first %v", again, err, first)
		}
		other, _ := s.OpenObjective(ctx, p.ID, "make-call")
		if !other.Equal(*now) {
			t.Errorf("another objective opened at %v, want %v", other, *now)
		}
	})
}

func TestPlayerNumbers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p, q := newPlayer(t, s), newPlayer(t, s)
		for _, n := range []string{"+15558675310", "+33612345678", "+15558675310"} {
			if err := s.AddPlayerNumber(ctx, p.ID, n, 2); err != nil {
				t.Fatalf("AddPlayerNumber(%s): %v", n, err)
			}
		}
		if err := s.AddPlayerNumber(ctx, p.ID, "+4915112345678", 2); !errors.Is(err, quest.ErrTooManyNumbers) {
			t.Errorf("third number: err = %v, want ErrTooManyNumbers", err)
		}
		got, err := s.PlayerNumbers(ctx, p.ID)
		if diff := cmp.Diff([]string{"+15558675310", "+33612345678"}, got); diff != "" || err != nil {
			t.Errorf("numbers (-want +got):\n%s %v", diff, err)
		}
		if err := s.RemovePlayerNumber(ctx, p.ID, "+15558675310"); err != nil {
			t.Fatal(err)
		}
		got, _ = s.PlayerNumbers(ctx, p.ID)
		if diff := cmp.Diff([]string{"+33612345678"}, got); diff != "" {
			t.Errorf("after removal (-want +got):\n%s", diff)
		}
		if got, _ := s.PlayerNumbers(ctx, q.ID); len(got) != 0 {
			t.Errorf("another player sees %v", got)
		}
	})
}

func TestAwardKeepsItems(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p := newPlayer(t, s)
		sub := quest.Submission{PlayerID: p.ID, ObjectiveID: "send-mms", RawSID: sid, SID: sid}
		if _, err := s.RecordAttempt(ctx, sub, &quest.Award{XP: 150, Items: []string{"owl-lens", "hat"}}); err != nil {
			t.Fatal(err)
		}
		awards, err := s.Awards(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"owl-lens", "hat"}, awards["send-mms"].Items); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
	})
}

// finish completes a reserved attempt with reason.
func finish(t *testing.T, s *Store, sub quest.Submission, reason quest.Reason) quest.Submission {
	t.Helper()
	sub.Reason = reason
	done, err := s.FinishAttempt(context.Background(), sub, nil)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

func TestReserveAttemptWithAWindow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p := newPlayer(t, s)
		now := clockAt(s, time.Date(2026, 5, 24, 17, 0, 0, 0, time.UTC))
		lim := quest.AttemptLimit{Max: 2, Window: 10 * time.Minute}
		sub := quest.Submission{PlayerID: p.ID, ObjectiveID: "reply-sms", RawSID: sid, SID: sid}

		// Twilio's trouble gives its place back; a wrong answer keeps it.
		r, _, err := s.ReserveAttempt(ctx, sub, lim)
		if err != nil || r.Reason != quest.Pending {
			t.Fatalf("first reservation = %+v, %v", r, err)
		}
		finish(t, s, r, quest.UpstreamUnavailable)
		for i := range 2 {
			*now = now.Add(time.Minute)
			r, _, _ = s.ReserveAttempt(ctx, sub, lim)
			if r.Reason != quest.Pending {
				t.Fatalf("reservation %d = %s", i, r.Reason)
			}
			finish(t, s, r, quest.NotFound)
		}
		*now = now.Add(time.Minute)
		r, retryAfter, err := s.ReserveAttempt(ctx, sub, lim)
		if err != nil || r.Reason != quest.AttemptsExhausted || r.ID == 0 {
			t.Fatalf("over the limit = %+v, %v", r, err)
		}
		if want := 8 * time.Minute; retryAfter != want {
			t.Errorf("retryAfter = %v, want %v (until the oldest counted attempt leaves the window)", retryAfter, want)
		}
		// Once it has, a place is free again.
		*now = now.Add(retryAfter + time.Second)
		if r, _, _ = s.ReserveAttempt(ctx, sub, lim); r.Reason != quest.Pending {
			t.Errorf("after the window: %s, want pending", r.Reason)
		}
		// Another objective and another player have their own counts.
		if r, _, _ = s.ReserveAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "make-call", RawSID: sid}, lim); r.Reason != quest.Pending {
			t.Errorf("another objective: %s", r.Reason)
		}
	})
}

func TestReserveAttemptPermanentLockout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p := newPlayer(t, s)
		sub := quest.Submission{PlayerID: p.ID, ObjectiveID: "x", RawSID: "nope"}
		r, _, _ := s.ReserveAttempt(ctx, sub, quest.AttemptLimit{Max: 1})
		finish(t, s, r, quest.InvalidSID)
		r, retryAfter, _ := s.ReserveAttempt(ctx, sub, quest.AttemptLimit{Max: 1})
		if r.Reason != quest.AttemptsExhausted || retryAfter != 0 {
			t.Errorf("second attempt = %s, retry after %v; want attempts_exhausted for good", r.Reason, retryAfter)
		}
		// The refusal does not count, and is kept like every attempt.
		subs, _ := s.RecentSubmissions(ctx, p.ID, "x", 10)
		if len(subs) != 2 || subs[0].Reason != quest.AttemptsExhausted {
			t.Errorf("submissions = %+v", subs)
		}
		if _, err := s.FinishAttempt(ctx, subs[0], nil); err == nil {
			t.Error("finishing an attempt that was never pending succeeded")
		}
	})
}

func TestConcurrentReservationsNeverExceedTheLimit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p := newPlayer(t, s)
		const limit = 3
		var wg sync.WaitGroup
		var mu sync.Mutex
		got := map[quest.Reason]int{}
		for range 100 {
			wg.Go(func() {
				r, _, err := s.ReserveAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "x", RawSID: sid, SID: sid}, quest.AttemptLimit{Max: limit})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got[r.Reason]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if got[quest.Pending] != limit || got[quest.AttemptsExhausted] != 100-limit {
			t.Errorf("outcomes = %v, want %d pending and the rest exhausted", got, limit)
		}
	})
}

// BenchmarkLimitedAttempt measures what an attempt limit adds to an
// attempt: the reservation (count and insert in one transaction) and the
// update with the outcome, against RecordAttempt's single insert.
func BenchmarkLimitedAttempt(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p, _ := s.CreatePlayer(ctx)
	sub := quest.Submission{PlayerID: p.ID, ObjectiveID: "x", RawSID: sid, SID: sid}
	b.Run("reserve+finish", func(b *testing.B) {
		for b.Loop() {
			r, _, err := s.ReserveAttempt(ctx, sub, quest.AttemptLimit{Max: 1 << 30, Window: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			r.Reason = quest.NotFound
			if _, err := s.FinishAttempt(ctx, r, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("record", func(b *testing.B) {
		sub := sub
		sub.Reason = quest.NotFound
		for b.Loop() {
			if _, err := s.RecordAttempt(ctx, sub, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
