package quest_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/internal/testkit/fakeclock"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/ratelimit"
)

// limitedFixture is a fixture whose service allows perMinute failures per
// player and objective, on a fake clock. Its Twilio rejects every SID as
// not found until told otherwise.
func limitedFixture(t *testing.T, perMinute int) (*fixture, *fakeclock.Clock) {
	t.Helper()
	f := newFixture(t, false)
	clk := fakeclock.New(fakeclock.Start)
	f.cfg.Failures = ratelimit.NewMemory(ratelimit.PerMinute(perMinute), clk.Now)
	f.svc = quest.New(f.cfg)
	f.twilio.verify = rejecting(quest.NotFound)
	return f, clk
}

func rejecting(r quest.Reason) func(quest.CheckRequest) (quest.Verdict, error) {
	return func(req quest.CheckRequest) (quest.Verdict, error) {
		return quest.Verdict{SID: quest.Normalize(req.SID), Reason: r}, nil
	}
}

func unavailable(quest.CheckRequest) (quest.Verdict, error) {
	return quest.Verdict{SID: smsSID}, &quest.UpstreamError{Reason: quest.UpstreamUnavailable, Err: errors.New("down")}
}

func (f *fixture) submitAs(t *testing.T, player, sid string) *quest.Result {
	t.Helper()
	res, err := f.svc.Submit(context.Background(), quest.Attempt{PlayerID: player, ObjectiveID: "send-sms", SID: sid})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestFailureBudget(t *testing.T) {
	f, clk := limitedFixture(t, 10)
	for i := range 10 {
		if r := f.submit(t, smsSID).Submission.Reason; r != quest.NotFound {
			t.Fatalf("attempt %d: %s, want not_found", i+1, r)
		}
	}
	res := f.submit(t, " "+smsSID)
	if res.Submission.Reason != quest.RateLimited || res.RetryAfter != 6*time.Second {
		t.Fatalf("11th attempt: %s, retry after %v; want rate_limited after 6s", res.Submission.Reason, res.RetryAfter)
	}
	if n := f.twilio.calls.Load(); n != 10 {
		t.Errorf("Twilio asked %d times, want 10: a refused attempt is never checked", n)
	}
	subs, err := f.st.RecentSubmissions(context.Background(), f.player, "send-sms", 1)
	if err != nil || len(subs) != 1 || subs[0].Reason != quest.RateLimited || subs[0].ID != res.Submission.ID {
		t.Fatalf("latest recorded attempt %+v (%v), want the rate_limited one", subs, err)
	}
	if subs[0].SID != "" || subs[0].RawSID != "" {
		t.Errorf("the rate_limited attempt keeps the paste: raw %q sid %q, want nothing", subs[0].RawSID, subs[0].SID)
	}

	// Refused attempts do not lengthen the wait.
	f.submit(t, smsSID)
	clk.Advance(6 * time.Second)
	if r := f.submit(t, smsSID).Submission.Reason; r != quest.NotFound {
		t.Errorf("after waiting: %s, want the attempt checked", r)
	}
}

func TestFailureBudgetCountsOnlyThePlayersMistakes(t *testing.T) {
	f, _ := limitedFixture(t, 3)
	// Twilio's trouble never counts.
	f.twilio.verify = unavailable
	for range 5 {
		if r := f.submit(t, smsSID).Submission.Reason; r != quest.UpstreamUnavailable {
			t.Fatalf("upstream trouble: %s", r)
		}
	}
	// Mistakes caught before Twilio (an Account SID pasted) count.
	f.twilio.verify = rejecting(quest.WrongResource)
	f.submit(t, realAC)
	f.submit(t, realAC)
	// A success does not count, nor its repeats.
	f.twilio.verify = passing().verify
	if r := f.submit(t, smsSID).Submission.Reason; r != quest.Awarded {
		t.Fatalf("success: %s", r)
	}
	for range 3 {
		if r := f.submit(t, smsSID).Submission.Reason; r != quest.AlreadyAwarded {
			t.Fatalf("repeat: %s", r)
		}
	}
	f.twilio.verify = rejecting(quest.NotFound)
	if r := f.submit(t, "SM"+hex32('9')).Submission.Reason; r != quest.NotFound {
		t.Fatalf("third mistake: %s, want it checked", r)
	}
	if r := f.submit(t, "SM"+hex32('9')).Submission.Reason; r != quest.RateLimited {
		t.Fatalf("fourth mistake: %s, want rate_limited", r)
	}
}

// TestRepeatOfAWonSIDSpendsNoBudget: the SID that won the objective,
// sent again, is answered already_awarded without asking the budget,
// even once the player's later mistakes have spent it; another SID is
// still refused.
func TestRepeatOfAWonSIDSpendsNoBudget(t *testing.T) {
	f := newFixture(t, false)
	spy := &spyLimiter{}
	f.cfg.Failures = spy
	f.svc = quest.New(f.cfg)
	f.twilio.verify = passing().verify
	if r := f.submit(t, smsSID).Submission.Reason; r != quest.Awarded {
		t.Fatalf("first attempt: %s, want awarded", r)
	}
	// The budget is spent from now on: every Take is refused.
	refusing := &refusingLimiter{spyLimiter: spy}
	f.cfg.Failures = refusing
	f.svc = quest.New(f.cfg)
	for _, tc := range []struct {
		paste string
		want  quest.Reason
		takes int
	}{
		{smsSID, quest.AlreadyAwarded, 0},
		{" " + strings.ToLower(smsSID[:2]) + smsSID[2:] + " ", quest.AlreadyAwarded, 0},
		{"SM" + hex32('9'), quest.RateLimited, 1},
	} {
		before := len(spy.taken)
		if r := f.submit(t, tc.paste).Submission.Reason; r != tc.want {
			t.Errorf("%q: %s, want %s", tc.paste, r, tc.want)
		}
		if n := len(spy.taken) - before; n != tc.takes {
			t.Errorf("%q: the budget was asked %d times, want %d", tc.paste, n, tc.takes)
		}
	}
	if n := f.twilio.calls.Load(); n != 1 {
		t.Errorf("Twilio asked %d times, want 1: repeats are answered from the database", n)
	}
}

// refusingLimiter is a spent budget: it counts its Takes in the spy and
// refuses them all.
type refusingLimiter struct{ *spyLimiter }

func (l *refusingLimiter) Take(ctx context.Context, key string) (bool, time.Duration, error) {
	l.spyLimiter.Take(ctx, key)
	return false, time.Second, nil
}

func TestFailureBudgetIsPerPlayer(t *testing.T) {
	f, _ := limitedFixture(t, 2)
	for range 3 {
		f.submit(t, smsSID)
	}
	other, err := f.st.CreatePlayer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r := f.submitAs(t, other.ID, smsSID).Submission.Reason; r != quest.NotFound {
		t.Errorf("another player: %s, want not_found", r)
	}
}

// spyLimiter records keys and can fail.
type spyLimiter struct {
	mu      sync.Mutex
	taken   []string
	refunds []string
	err     error
}

func (s *spyLimiter) Take(_ context.Context, key string) (bool, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.taken = append(s.taken, key)
	return s.err == nil, 0, s.err
}

func (s *spyLimiter) Refund(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refunds = append(s.refunds, key)
	return nil
}

func TestFailureBudgetKeysAndBrokenLimiter(t *testing.T) {
	f := newFixture(t, false)
	spy := &spyLimiter{}
	f.cfg.Failures = spy
	f.svc = quest.New(f.cfg)
	f.submit(t, smsSID) // passes: refunded
	want := quest.FailureKey(f.player, "send-sms")
	if len(spy.taken) != 1 || spy.taken[0] != want || len(spy.refunds) != 1 || spy.refunds[0] != want {
		t.Errorf("taken %v, refunded %v; want one of each for %q", spy.taken, spy.refunds, want)
	}

	// A limiter that cannot answer lets the attempt through.
	spy.err = errors.New("store down")
	f.twilio.verify = rejecting(quest.NotFound)
	if r := f.submit(t, "SM"+hex32('8')).Submission.Reason; r != quest.NotFound {
		t.Errorf("with a broken limiter: %s, want the attempt checked", r)
	}
}

// Concurrent identical attempts (a script, or a double-click storm) are
// played one at a time: a wrong SID spends the budget exactly as the same
// attempts in a row would, and a good SID asks Twilio once, the others
// being answered from the database without spending anything.
func TestConcurrentIdenticalAttempts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		verify func(quest.CheckRequest) (quest.Verdict, error)
		n      int
		want   map[quest.Reason]int
		calls  int32
	}{
		{"wrong SID", rejecting(quest.NotFound), 30,
			map[quest.Reason]int{quest.NotFound: 10, quest.RateLimited: 20}, 10},
		{"good SID", passing().verify, 100,
			map[quest.Reason]int{quest.Awarded: 1, quest.AlreadyAwarded: 99}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := limitedFixture(t, 10)
			f.twilio.verify = tc.verify
			var wg sync.WaitGroup
			results := make([]quest.Reason, tc.n)
			for i := range results {
				wg.Go(func() {
					res, err := f.svc.Submit(context.Background(), quest.Attempt{PlayerID: f.player, ObjectiveID: "send-sms", SID: smsSID})
					if err != nil {
						t.Error(err)
						return
					}
					results[i] = res.Submission.Reason
				})
			}
			wg.Wait()
			counts := map[quest.Reason]int{}
			for _, r := range results {
				counts[r]++
			}
			if diff := cmp.Diff(tc.want, counts); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if n := f.twilio.calls.Load(); n != tc.calls {
				t.Errorf("Twilio asked %d times, want %d", n, tc.calls)
			}
		})
	}
}

// TestHugePastesAreBounded: a script posting 60 KB "SIDs" from one
// session leaves at most MaxPasteLen bytes of each checked paste in
// the database, and nothing of the pastes the failure budget refused;
// the refused player still gets their (clipped) paste back in the field.
func TestHugePastesAreBounded(t *testing.T) {
	f, _ := limitedFixture(t, 10)
	f.twilio.verify = func(req quest.CheckRequest) (quest.Verdict, error) {
		return quest.Verdict{Reason: quest.InvalidSID, Detail: quest.DetailLength}, nil
	}
	huge := "SM" + strings.Repeat("0123456789", 6<<10)
	const posts = 30
	var last *quest.Result
	for range posts {
		last = f.submit(t, huge)
	}
	if last.Submission.Reason != quest.RateLimited || last.Paste != quest.ClipPaste(huge) {
		t.Errorf("last attempt: %s, paste of %d bytes; want rate_limited and the clipped paste", last.Submission.Reason, len(last.Paste))
	}
	subs, err := f.st.RecentSubmissions(context.Background(), f.player, "send-sms", posts)
	if err != nil || len(subs) != posts {
		t.Fatalf("%d submissions (%v), want %d", len(subs), err, posts)
	}
	limited := 0
	for _, s := range subs {
		kept := len(s.RawSID) + len(s.SID)
		switch {
		case s.Reason == quest.RateLimited:
			limited++
			if kept != 0 {
				t.Errorf("rate_limited attempt %d keeps %d bytes of the paste, want none", s.ID, kept)
			}
		case len(s.RawSID) > quest.MaxPasteLen || len(s.SID) > quest.MaxPasteLen:
			t.Errorf("attempt %d keeps %d + %d bytes, want at most %d each", s.ID, len(s.RawSID), len(s.SID), quest.MaxPasteLen)
		}
	}
	if limited != posts-10 {
		t.Errorf("%d attempts rate_limited, want %d", limited, posts-10)
	}
}
