package quest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
)

// refundingStore is the real store, keeping (or not) the budget it is
// given and recording through its function fields.
type refundingStore struct {
	*store.Store
	keeps  bool
	record func(ctx context.Context, sub quest.Submission, grant *quest.Award, r quest.Refund) (quest.Submission, error)
	finish func(ctx context.Context, sub quest.Submission, grant *quest.Award, r quest.Refund) (quest.Submission, error)
}

func (s refundingStore) KeepsBudget(quest.Limiter) bool { return s.keeps }

func (s refundingStore) RecordAttemptRefunding(ctx context.Context, sub quest.Submission, grant *quest.Award, r quest.Refund) (quest.Submission, error) {
	return s.record(ctx, sub, grant, r)
}

func (s refundingStore) FinishAttemptRefunding(ctx context.Context, sub quest.Submission, grant *quest.Award, r quest.Refund) (quest.Submission, error) {
	return s.finish(ctx, sub, grant, r)
}

// TestFailureBudgetRefundsInTheRecord: when the store keeps the budget,
// an attempt hands its refund to its record (the store gives it back, or
// not, in the attempt's transaction) and quest refunds nothing itself;
// it still does when no record took the refund (the record failed, an
// attempt limit refused the attempt unrecorded) or when the store keeps
// another budget.
func TestFailureBudgetRefundsInTheRecord(t *testing.T) {
	const objectives = `
objectives:
  - id: free
    kind: message
    title: {en: a, fr: b}
    summary: {en: a, fr: b}
    instructions: {en: a, fr: b}
  - id: once
    kind: message
    max_attempts: 1
    title: {en: a, fr: b}
    summary: {en: a, fr: b}
    instructions: {en: a, fr: b}
`
	down := errors.New("disk full")
	for _, tc := range []struct {
		name      string
		keeps     bool
		objective string
		// attempts are played in turn; the last one is checked.
		attempts   int
		verify     func(quest.CheckRequest) (quest.Verdict, error)
		recordErr  error
		wantReason quest.Reason
		wantErr    error
		// wantHanded is how many records got the refund; wantRefunds
		// how many refunds quest made itself.
		wantHanded, wantRefunds int
	}{
		{"a success", true, "free", 1, passing().verify, nil, quest.Awarded, nil, 1, 0},
		{"a mistake", true, "free", 1, rejecting(quest.NotFound), nil, quest.NotFound, nil, 1, 0},
		{"Twilio's trouble", true, "free", 1, unavailable, nil, quest.UpstreamUnavailable, nil, 1, 0},
		// The repeat of a won SID takes nothing from the budget: only the
		// first attempt's record had a refund to make.
		{"a repeat", true, "free", 2, passing().verify, nil, quest.AlreadyAwarded, nil, 1, 0},
		{"a failed record", true, "free", 1, passing().verify, down, "", down, 1, 1},
		{"a reserved attempt", true, "once", 1, rejecting(quest.NotFound), nil, quest.NotFound, nil, 1, 0},
		{"attempts exhausted", true, "once", 2, rejecting(quest.NotFound), nil, quest.AttemptsExhausted, nil, 1, 1},
		{"another budget", false, "free", 1, passing().verify, nil, quest.Awarded, nil, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st, cat, player := storeWithPlayer(t, "refund.yaml", objectives)
			spy := &spyLimiter{}
			var handed []string
			took := func(r quest.Refund) {
				if r.Budget != spy {
					t.Errorf("refund to %v, want the service's budget", r.Budget)
				}
				handed = append(handed, r.Key)
			}
			rs := refundingStore{Store: st, keeps: tc.keeps,
				record: func(ctx context.Context, sub quest.Submission, grant *quest.Award, r quest.Refund) (quest.Submission, error) {
					took(r)
					if tc.recordErr != nil {
						return quest.Submission{}, tc.recordErr
					}
					return st.RecordAttempt(ctx, sub, grant)
				},
				finish: func(ctx context.Context, sub quest.Submission, grant *quest.Award, r quest.Refund) (quest.Submission, error) {
					took(r)
					return st.FinishAttempt(ctx, sub, grant)
				}}
			svc := quest.New(quest.Config{Catalog: cat, Store: rs, Twilio: &fakeVerifier{verify: tc.verify}, Failures: spy})
			var (
				res *quest.Result
				err error
			)
			for range tc.attempts {
				res, err = svc.Submit(ctx, quest.Attempt{PlayerID: player, ObjectiveID: tc.objective, SID: smsSID})
			}
			var reason quest.Reason
			if res != nil {
				reason = res.Submission.Reason
			}
			if !errors.Is(err, tc.wantErr) || reason != tc.wantReason {
				t.Fatalf("last attempt: %s (%v), want %s (%v)", reason, err, tc.wantReason, tc.wantErr)
			}
			key := quest.FailureKey(player, tc.objective)
			if want := repeat(key, tc.wantHanded); !cmp.Equal(handed, want, cmpEmpty) {
				t.Errorf("refunds handed to records %v, want %v", handed, want)
			}
			if want := repeat(key, tc.wantRefunds); !cmp.Equal(spy.refunds, want, cmpEmpty) {
				t.Errorf("refunds made by quest %v, want %v", spy.refunds, want)
			}
		})
	}
}

// cmpEmpty compares nil and empty slices alike.
var cmpEmpty = cmp.Comparer(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })

func repeat(s string, n int) []string {
	var out []string
	for range n {
		out = append(out, s)
	}
	return out
}

// TestFailureBudgetInTheDatabase plays the budget's rules with the
// store's own budget, whose refunds ride on the attempts' records: only
// the player's mistakes spend it. (The budget refills over a day: nothing
// here waits on the clock. Concurrent attempts are the store's tests.)
func TestFailureBudgetInTheDatabase(t *testing.T) {
	f := newFixture(t, false)
	f.cfg.Failures = f.st.FailureLimiter(3, 24*time.Hour)
	f.svc = quest.New(f.cfg)
	f.twilio.verify = unavailable
	for range 5 {
		if r := f.submit(t, smsSID).Submission.Reason; r != quest.UpstreamUnavailable {
			t.Fatalf("upstream trouble: %s", r)
		}
	}
	f.twilio.verify = passing().verify
	for _, want := range []quest.Reason{quest.Awarded, quest.AlreadyAwarded, quest.AlreadyAwarded, quest.AlreadyAwarded} {
		if r := f.submit(t, smsSID).Submission.Reason; r != want {
			t.Fatalf("success and repeats: %s, want %s", r, want)
		}
	}
	f.twilio.verify = rejecting(quest.NotFound)
	for i, want := range []quest.Reason{quest.NotFound, quest.NotFound, quest.NotFound, quest.RateLimited} {
		if r := f.submit(t, "SM"+hex32('9')).Submission.Reason; r != want {
			t.Fatalf("mistake %d: %s, want %s", i+1, r, want)
		}
	}
}
