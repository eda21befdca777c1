package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/questgate/questgate/internal/testkit/fakeclock"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/ratelimit"
)

// takes counts how many Takes budget allows for key now, spending them.
func takes(t *testing.T, l *DBLimiter, key string) int {
	t.Helper()
	n := 0
	for {
		ok, _, err := l.Take(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return n
		}
		n++
	}
}

// withBudget opens a store of backend b with a failure budget of three a
// minute on a clock that does not move, and a player.
func withBudget(t *testing.T, b backend) (*Store, *DBLimiter, quest.Player) {
	t.Helper()
	s := b.open(t)
	l := s.FailureLimiter(3, time.Minute)
	l.now = fakeclock.New(fakeclock.Start).Now
	return s, l, newPlayer(t, s)
}

// TestRecordingRefunds: an attempt recorded with its refund gives its
// failure back in its own transaction when the recorded outcome does not
// spend the budget (a success, Twilio's trouble), and keeps it spent when
// it does (a mistake, or an award the store refuses for a SID another
// player won); a record that fails refunds nothing.
func TestRecordingRefunds(t *testing.T) {
	type record func(s *Store, sub quest.Submission, grant *quest.Award, r quest.Refund) (quest.Submission, error)
	direct := func(s *Store, sub quest.Submission, grant *quest.Award, r quest.Refund) (quest.Submission, error) {
		return s.RecordAttemptRefunding(context.Background(), sub, grant, r)
	}
	reserved := func(s *Store, sub quest.Submission, grant *quest.Award, r quest.Refund) (quest.Submission, error) {
		p, _, err := s.ReserveAttempt(context.Background(), sub, quest.AttemptLimit{Max: 100})
		if err != nil {
			return quest.Submission{}, err
		}
		p.Reason, p.Message, p.Upstream = sub.Reason, sub.Message, sub.Upstream
		return s.FinishAttemptRefunding(context.Background(), p, grant, r)
	}
	for _, tc := range []struct {
		name string
		// winner, when set, is awarded sid before the attempt (by another player).
		winner   bool
		reason   quest.Reason
		grant    bool
		want     quest.Reason
		refunded bool
	}{
		{"award", false, "", true, quest.Awarded, true},
		{"upstream trouble", false, quest.UpstreamUnavailable, false, quest.UpstreamUnavailable, true},
		{"mistake", false, quest.NotFound, false, quest.NotFound, false},
		{"bad credentials", false, quest.BadCredentials, false, quest.BadCredentials, false},
		{"SID another player won", true, "", true, quest.SIDAlreadyUsed, false},
	} {
		for _, via := range []struct {
			name   string
			record record
		}{{"record", direct}, {"finish", reserved}} {
			t.Run(tc.name+"/"+via.name, func(t *testing.T) {
				forEachBackend(t, func(t *testing.T, b backend) {
					ctx := context.Background()
					s, l, p := withBudget(t, b)
					if tc.winner {
						if _, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: newPlayer(t, s).ID, ObjectiveID: "send-sms",
							RawSID: sid, SID: sid}, &quest.Award{XP: 100}); err != nil {
							t.Fatal(err)
						}
					}
					key := p.ID + "/send-sms"
					if ok, _, err := l.Take(ctx, key); !ok || err != nil {
						t.Fatalf("take: %v %v", ok, err)
					}
					var grant *quest.Award
					if tc.grant {
						grant = &quest.Award{XP: 100}
					}
					got, err := via.record(s, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: sid, SID: sid,
						Reason: tc.reason}, grant, quest.Refund{Budget: l, Key: key})
					if err != nil {
						t.Fatal(err)
					}
					if got.Reason != tc.want {
						t.Errorf("recorded %s, want %s", got.Reason, tc.want)
					}
					want := 2
					if tc.refunded {
						want = 3
					}
					if n := takes(t, l, key); n != want {
						t.Errorf("budget left %d, want %d", n, want)
					}
				})
			})
		}
	}
}

// TestFailedRecordRefundsNothing: a record whose transaction fails rolls
// its refund back with it, so that the caller refunds on its own, and
// leaves nothing half-written; the store records the next attempts as
// usual (on PostgreSQL, no connection is handed back mid-transaction).
func TestFailedRecordRefundsNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(s *Store, p quest.Player, r quest.Refund) error
	}{
		{"finishing a submission never reserved", func(s *Store, p quest.Player, r quest.Refund) error {
			// Nothing is pending under this id: the UPDATE fails the transaction.
			_, err := s.FinishAttemptRefunding(context.Background(), quest.Submission{ID: 1 << 40, PlayerID: p.ID, ObjectiveID: "x",
				Reason: quest.UpstreamUnavailable}, nil, r)
			return err
		}},
		{"an award to a player the database does not know", func(s *Store, _ quest.Player, r quest.Refund) error {
			// The checks pass, then the submission's INSERT breaks a foreign key.
			_, err := s.RecordAttemptRefunding(context.Background(), quest.Submission{PlayerID: "nobody", ObjectiveID: "send-sms",
				RawSID: sid, SID: sid}, &quest.Award{XP: 100}, r)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, b backend) {
				ctx := context.Background()
				s, l, p := withBudget(t, b)
				if ok, _, err := l.Take(ctx, "k"); !ok || err != nil {
					t.Fatalf("take: %v %v", ok, err)
				}
				for range 8 {
					if err := tc.fail(s, p, quest.Refund{Budget: l, Key: "k"}); err == nil {
						t.Fatal("the record succeeded")
					}
				}
				if n := takes(t, l, "k"); n != 2 {
					t.Errorf("budget left %d, want 2: the failed record's refund stays undone", n)
				}
				var rows int
				if err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM submissions) + (SELECT count(*) FROM awards)`).Scan(&rows); err != nil || rows != 0 {
					t.Errorf("%d submissions and awards (%v) after failed records, want none", rows, err)
				}
				got, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: sid, SID: sid}, &quest.Award{XP: 100})
				if err != nil || got.Reason != quest.Awarded {
					t.Errorf("the next award: %s (%v), want awarded", got.Reason, err)
				}
			})
		})
	}
}

// TestKeepsBudget: a store refunds in its records only budgets of its
// own; quest refunds others itself.
func TestKeepsBudget(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s, other := b.open(t), b.open(t)
		for _, tc := range []struct {
			name   string
			budget quest.Limiter
			want   bool
		}{
			{"its own", s.FailureLimiter(3, time.Minute), true},
			{"another store's", other.FailureLimiter(3, time.Minute), false},
			{"in memory", ratelimit.NewMemory(ratelimit.PerMinute(3), time.Now), false},
			{"none", nil, false},
		} {
			if got := s.KeepsBudget(tc.budget); got != tc.want {
				t.Errorf("%s: KeepsBudget = %v, want %v", tc.name, got, tc.want)
			}
		}
		p := newPlayer(t, s)
		if _, err := s.RecordAttemptRefunding(context.Background(), quest.Submission{PlayerID: p.ID, ObjectiveID: "x",
			Reason: quest.UpstreamUnavailable}, nil, quest.Refund{Budget: other.FailureLimiter(3, time.Minute), Key: "k"}); err == nil {
			t.Error("a refund to another store's budget was recorded")
		}
	})
}

// TestConcurrentRefundingAttemptsKeepTheBudget plays attempts at once as
// quest does (Take, then the record with its refund), from two stores on
// one database as two instances would: mistakes never get past the
// budget, however the takes and the records' refunds interleave, and
// successes give every failure back.
func TestConcurrentRefundingAttemptsKeepTheBudget(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.db(t)
		clk := fakeclock.New(fakeclock.Start)
		const budget = 5
		var stores []*Store
		var limiters []*DBLimiter
		for range 2 {
			s := connectTest(t, db)
			l := s.FailureLimiter(budget, time.Minute)
			l.now = clk.Now
			stores, limiters = append(stores, s), append(limiters, l)
		}
		p := newPlayer(t, stores[0])
		key := p.ID + "/x"
		play := func(i int, reason quest.Reason) bool {
			s, l := stores[i%2], limiters[i%2]
			ok, _, err := l.Take(ctx, key)
			if err != nil || !ok {
				return false
			}
			if _, err := s.RecordAttemptRefunding(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "x", Reason: reason}, nil,
				quest.Refund{Budget: l, Key: key}); err != nil {
				t.Error(err)
			}
			return true
		}
		// Twilio's trouble, at once: each refunds what it took.
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() { play(i, quest.UpstreamUnavailable) })
		}
		wg.Wait()
		if n := takes(t, limiters[0], key); n != budget {
			t.Fatalf("after refunded attempts, budget left %d, want all %d", n, budget)
		}
		// The budget refills (a minute later); then mistakes, at once.
		clk.Advance(time.Minute)
		var played atomic.Int32
		for i := range 40 {
			wg.Go(func() {
				if play(i, quest.NotFound) {
					played.Add(1)
				}
			})
		}
		wg.Wait()
		if got := played.Load(); got != budget {
			t.Errorf("%d concurrent mistakes played, want the budget's %d", got, budget)
		}
	})
}

// BenchmarkRefundedAttempt measures, on each backend with parallel
// callers, what a HACK that does not spend its failure budget costs the
// store: the Take, then the record and the refund, on its own after
// ("apart", as quest did) or in the record's transaction ("in-record").
func BenchmarkRefundedAttempt(b *testing.B) {
	for _, inRecord := range []bool{false, true} {
		name := "apart"
		if inRecord {
			name = "in-record"
		}
		for _, be := range backends() {
			b.Run(name+"/"+be.name, func(b *testing.B) {
				s := connectTest(b, be.db(b))
				l := s.FailureLimiter(1_000_000, time.Minute)
				ctx := context.Background()
				b.RunParallel(func(pb *testing.PB) {
					p, err := s.CreatePlayer(ctx)
					if err != nil {
						b.Error(err)
						return
					}
					key := p.ID + "/send-sms"
					sub := quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: sid, SID: sid, Reason: quest.UpstreamUnavailable}
					for pb.Next() {
						if _, _, err := l.Take(ctx, key); err != nil {
							b.Error(err)
							return
						}
						if inRecord {
							_, err = s.RecordAttemptRefunding(ctx, sub, nil, quest.Refund{Budget: l, Key: key})
						} else if _, err = s.RecordAttempt(ctx, sub, nil); err == nil {
							err = l.Refund(ctx, key)
						}
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
