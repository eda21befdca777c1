package quest_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
)

// limited is a catalog whose objectives exercise prerequisites and limits.
const limited = `
objectives:
  - id: first
    kind: message
    xp: 10
    title: {en: a, fr: b}
    summary: {en: a, fr: b}
    instructions: {en: a, fr: b}
  - id: second
    kind: message
    xp: 20
    items: [{id: hat, name: {en: Hat, fr: Chapeau}}]
    prerequisites: [first]
    max_attempts: 3
    title: {en: a, fr: b}
    summary: {en: a, fr: b}
    instructions: {en: a, fr: b}
    checks: {created_after_opened: true, registered_number: to}
  - id: windowed
    kind: message
    max_attempts: 1
    attempts_window: 1m
    title: {en: a, fr: b}
    summary: {en: a, fr: b}
    instructions: {en: a, fr: b}
`

func newLimitedFixture(t *testing.T) (*quest.Service, *store.Store, *fakeVerifier, string) {
	t.Helper()
	st, cat, player := storeWithPlayer(t, "limited.yaml", limited)
	v := passing()
	return quest.New(quest.Config{Catalog: cat, Store: st, Twilio: v}), st, v, player
}

// storeWithPlayer opens a real store on a temporary SQLite file, parses
// the catalog objectives (named name), and makes one player with saved
// credentials, whose id it returns.
func storeWithPlayer(t *testing.T, name, objectives string) (*store.Store, *catalog.Catalog, string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat, err := catalog.Parse(name, []byte(objectives))
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.CreatePlayer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveCredentials(ctx, quest.Credentials{PlayerID: p.ID, AccountSID: realAC, Secret: token}); err != nil {
		t.Fatal(err)
	}
	return st, cat, p.ID
}

func TestLockedObjectiveIsRefusedWithoutTwilio(t *testing.T) {
	svc, _, v, player := newLimitedFixture(t)
	ctx := context.Background()
	res, err := svc.Submit(ctx, quest.Attempt{PlayerID: player, ObjectiveID: "second", SID: smsSID})
	if err != nil {
		t.Fatal(err)
	}
	if res.Submission.Reason != quest.Locked || len(res.Missing) != 1 || res.Missing[0].ID != "first" || res.Submission.ID == 0 {
		t.Errorf("locked attempt = %+v", res)
	}
	if v.calls.Load() != 0 {
		t.Errorf("Twilio was asked %d times about a locked objective", v.calls.Load())
	}
	if res, _ := svc.Submit(ctx, quest.Attempt{PlayerID: player, ObjectiveID: "first", SID: smsSID}); res.Submission.Reason != quest.Awarded {
		t.Fatalf("first = %+v", res)
	}
	res, _ = svc.Submit(ctx, quest.Attempt{PlayerID: player, ObjectiveID: "second", SID: "SM" + hex32('2')})
	if res.Submission.Reason != quest.Awarded || res.XP != 20 || len(res.Items) != 1 || res.Items[0] != "hat" {
		t.Errorf("second once unlocked = %+v", res)
	}
}

func TestSubmitPassesWhatChecksNeed(t *testing.T) {
	svc, st, v, player := newLimitedFixture(t)
	ctx := context.Background()
	if _, err := svc.AddNumber(ctx, player, " +1 (555) 867-5310 "); err != nil {
		t.Fatal(err)
	}
	opened, err := svc.Open(ctx, player, "second")
	if err != nil {
		t.Fatal(err)
	}
	var got *quest.PlayerFacts
	v.verify = func(r quest.CheckRequest) (quest.Verdict, error) {
		got = r.Player
		return passing().verify(r)
	}
	if _, err := st.RecordAttempt(ctx, quest.Submission{PlayerID: player, ObjectiveID: "first", RawSID: smsSID, SID: smsSID}, &quest.Award{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, quest.Attempt{PlayerID: player, ObjectiveID: "second", SID: "SM" + hex32('3')}); err != nil {
		t.Fatal(err)
	}
	if got == nil || !got.OpenedAt.Equal(opened) || len(got.Numbers) != 1 || got.Numbers[0] != "+15558675310" {
		t.Errorf("Player = %+v, want opened %v and the registered number", got, opened)
	}
}

// TestConcurrentWrongAttemptsNeverExceedTheLimit is the attempts-limit
// race test: 100 wrong attempts at once, and exactly max_attempts of them
// reach Twilio and count.
func TestConcurrentWrongAttemptsNeverExceedTheLimit(t *testing.T) {
	svc, st, v, player := newLimitedFixture(t)
	ctx := context.Background()
	if _, err := st.RecordAttempt(ctx, quest.Submission{PlayerID: player, ObjectiveID: "first", RawSID: smsSID, SID: smsSID}, &quest.Award{}); err != nil {
		t.Fatal(err)
	}
	v.verify = rejecting(quest.NotFound)
	var wg sync.WaitGroup
	var notFound, exhausted atomic.Int32
	for i := range 100 {
		wg.Go(func() {
			// No "e": the fixture's token is 32 e's, and a SID holding the
			// player's own secret is refused before any limit is consulted.
			res, err := svc.Submit(ctx, quest.Attempt{PlayerID: player, ObjectiveID: "second", SID: "SM" + hex32("0123456789abcdf"[i%15])})
			if err != nil {
				t.Error(err)
				return
			}
			switch res.Submission.Reason {
			case quest.NotFound:
				notFound.Add(1)
			case quest.AttemptsExhausted:
				exhausted.Add(1)
				if res.Detail != quest.DetailPermanent {
					t.Errorf("detail = %q", res.Detail)
				}
			default:
				t.Errorf("reason %s", res.Submission.Reason)
			}
		})
	}
	wg.Wait()
	if notFound.Load() != 3 || exhausted.Load() != 97 || v.calls.Load() != 3 {
		t.Errorf("not_found %d, attempts_exhausted %d, Twilio calls %d; want 3, 97, 3", notFound.Load(), exhausted.Load(), v.calls.Load())
	}
	subs, _ := st.RecentSubmissions(ctx, player, "second", 200)
	if len(subs) != 100 {
		t.Errorf("%d attempts recorded, want every one of the 100", len(subs))
	}
}

func TestOnlyThePlayersMistakesCount(t *testing.T) {
	svc, _, v, player := newLimitedFixture(t)
	ctx := context.Background()
	submit := func() *quest.Result {
		t.Helper()
		res, err := svc.Submit(ctx, quest.Attempt{PlayerID: player, ObjectiveID: "windowed", SID: smsSID})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, r := range []quest.Reason{quest.BadCredentials, quest.NoCredentials} {
		v.verify = rejecting(r)
		if got := submit().Submission.Reason; got != r {
			t.Errorf("%s: recorded %s", r, got)
		}
	}
	v.verify = func(r quest.CheckRequest) (quest.Verdict, error) {
		return quest.Verdict{Reason: quest.UpstreamUnavailable}, &quest.UpstreamError{Reason: quest.UpstreamUnavailable, Err: errors.New("down")}
	}
	if got := submit().Submission.Reason; got != quest.UpstreamUnavailable {
		t.Errorf("upstream trouble recorded %s", got)
	}
	v.verify = rejecting(quest.SampleBody)
	if got := submit().Submission.Reason; got != quest.SampleBody {
		t.Fatalf("the one counted attempt: %s", got)
	}
	res := submit()
	if res.Submission.Reason != quest.AttemptsExhausted || res.Detail != quest.DetailWindow || res.RetryAfter <= 0 || res.RetryAfter > time.Minute {
		t.Errorf("over the limit = %+v", res)
	}
}

func TestAddNumber(t *testing.T) {
	svc, _, _, player := newLimitedFixture(t)
	ctx := context.Background()
	tests := []struct {
		raw, want, problem string
	}{
		{"+33 6 12 34 56 78", "+33612345678", ""},
		{"0033612345678", "+33612345678", ""},
		{"+1.555.867.5310", "+15558675310", ""},
		{"  ", "", "required"},
		{"0612345678", "", "format"},
		{"+0612345678", "", "format"},
		{"+1555", "", "format"},
		{"call me", "", "format"},
	}
	for _, tt := range tests {
		got, err := svc.AddNumber(ctx, player, tt.raw)
		var ne *quest.NumberError
		switch {
		case tt.problem == "" && (err != nil || got != tt.want):
			t.Errorf("AddNumber(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
		case tt.problem != "" && (!errors.As(err, &ne) || ne.Problem != tt.problem):
			t.Errorf("AddNumber(%q) error = %v, want %s", tt.raw, err, tt.problem)
		}
	}
	for i := range quest.MaxNumbers {
		_, _ = svc.AddNumber(ctx, player, "+1555000000"+string(rune('0'+i)))
	}
	var ne *quest.NumberError
	if _, err := svc.AddNumber(ctx, player, "+15559999999"); !errors.As(err, &ne) || ne.MessageID() != "numbers.error.too_many" {
		t.Errorf("over the limit: %v", err)
	}
}
