package quest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/questgate/questgate/internal/testkit/fakeclock"
	"github.com/questgate/questgate/quest"
)

func TestEventWindowRefusesWithoutRecording(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, false)
	if err := f.st.SaveCredentials(ctx, quest.Credentials{PlayerID: f.player, AccountSID: realAC, Secret: token}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	clock := fakeclock.New(start.Add(-time.Minute))
	cfg := f.cfg
	cfg.Events, cfg.Now = f.st, clock.Now
	svc := quest.New(cfg)
	co, err := f.st.CreateCohort(ctx, quest.Cohort{Name: "day", JoinCode: "WIND2345"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.JoinCohort(ctx, f.player, co.ID, "Ada"); err != nil {
		t.Fatal(err)
	}
	ev := quest.Event{CohortID: co.ID, Start: start, End: start.Add(time.Hour), TimeZone: "UTC", Stuck: quest.StuckRule{Failures: 3, Minutes: 10}}
	if err := f.st.SaveEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	submit := func() *quest.Result {
		t.Helper()
		res, err := svc.Submit(ctx, quest.Attempt{PlayerID: f.player, ObjectiveID: "send-sms", SID: smsSID})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, step := range []struct {
		name    string
		advance time.Duration
		want    quest.Reason
	}{
		{"a minute before the start", 0, quest.EventNotStarted},
		{"at the end", time.Hour + time.Minute, quest.EventEnded},
	} {
		clock.Advance(step.advance)
		if res := submit(); res.Submission.Reason != step.want || res.Submission.ID != 0 || res.Paste != smsSID {
			t.Errorf("%s: %+v, want %s, not recorded, paste kept", step.name, res.Submission, step.want)
		}
	}
	if f.twilio.calls.Load() != 0 {
		t.Errorf("Twilio asked %d times outside the window", f.twilio.calls.Load())
	}
	subs, err := f.st.RecentSubmissions(ctx, f.player, "send-sms", 10)
	if err != nil || len(subs) != 0 {
		t.Fatalf("refused attempts recorded: %+v, %v", subs, err)
	}
	// Extending the end live reopens it.
	ext, err := ev.Extend(15*time.Minute, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.SaveEvent(ctx, ext); err != nil {
		t.Fatal(err)
	}
	if res := submit(); res.Submission.Reason != quest.Awarded {
		t.Errorf("after extending: %s, want awarded", res.Submission.Reason)
	}
}

func TestParseEvent(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	for _, tc := range []struct {
		name    string
		form    quest.EventForm
		problem string
		start   time.Time
	}{
		{"in Paris", quest.EventForm{Start: "2026-12-04T09:00", End: "2026-12-04T12:00", TimeZone: "Europe/Paris", StuckFailures: 3, StuckMin: 10}, "",
			time.Date(2026, 12, 4, 9, 0, 0, 0, paris)},
		{"no bounds", quest.EventForm{StuckFailures: 3, StuckMin: 10}, "", time.Time{}},
		{"bad zone", quest.EventForm{TimeZone: "Mars/Olympus", StuckFailures: 3, StuckMin: 10}, quest.EventBadZone, time.Time{}},
		{"bad time", quest.EventForm{Start: "tomorrow", StuckFailures: 3, StuckMin: 10}, quest.EventBadTime, time.Time{}},
		{"ends first", quest.EventForm{Start: "2026-12-04T09:00", End: "2026-12-04T08:00", StuckFailures: 3, StuckMin: 10}, quest.EventEndsFirst, time.Time{}},
		{"no stuck rule", quest.EventForm{StuckFailures: 0, StuckMin: 10}, quest.EventBadStuck, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := quest.ParseEvent(1, tc.form)
			var ee *quest.EventError
			switch {
			case tc.problem != "":
				if !errors.As(err, &ee) || ee.Problem != tc.problem {
					t.Errorf("err = %v, want %s", err, tc.problem)
				}
			case err != nil:
				t.Fatal(err)
			case !e.Start.Equal(tc.start) || e.Start.Location() != time.UTC:
				t.Errorf("start = %v, want %v in UTC", e.Start, tc.start)
			case tc.form.Start != "" && e.LocalInput(e.Start) != tc.form.Start:
				t.Errorf("shown back as %q, want %q", e.LocalInput(e.Start), tc.form.Start)
			}
		})
	}
}

func TestFindStuck(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	row := func(id int64, player, obj string, r quest.Reason, min int) quest.SubmissionRow {
		return quest.SubmissionRow{Submission: quest.Submission{ID: id, PlayerID: player, ObjectiveID: obj, Reason: r,
			CreatedAt: t0.Add(time.Duration(min) * time.Minute)}, PlayerName: player}
	}
	rows := []quest.SubmissionRow{
		// ada: three failures in a row: stuck.
		row(1, "ada", "send-sms", quest.NotFound, 0), row(2, "ada", "send-sms", quest.SampleBody, 1), row(3, "ada", "send-sms", quest.NotFound, 2),
		// bob: two failures, then a success: not stuck.
		row(4, "bob", "send-sms", quest.NotFound, 0), row(5, "bob", "send-sms", quest.NotFound, 1), row(6, "bob", "send-sms", quest.Awarded, 2),
		// cy: two failures twelve minutes apart, still trying: stuck by time.
		row(7, "cy", "make-call", quest.WrongResource, 0), row(8, "cy", "make-call", quest.NotFound, 12),
		// di: upstream trouble and credentials do not count.
		row(9, "di", "send-sms", quest.UpstreamUnavailable, 0), row(10, "di", "send-sms", quest.NoCredentials, 1), row(11, "di", "send-sms", quest.UpstreamUnavailable, 2),
		// ed: two failures long ago, gave up trying: not stuck.
		row(12, "ed", "send-sms", quest.NotFound, -60), row(13, "ed", "send-sms", quest.NotFound, -40),
	}
	got := quest.FindStuck(rows, quest.StuckRule{Failures: 3, Minutes: 10}, t0.Add(13*time.Minute))
	if len(got) != 2 || got[0].PlayerID != "cy" || got[1].PlayerID != "ada" {
		t.Fatalf("stuck = %+v, want cy then ada", got)
	}
	if got[1].Failures != 3 || got[1].LastReason != quest.NotFound || got[0].Failures != 2 {
		t.Errorf("details: %+v", got)
	}
}

func TestRevealedHintsCostXP(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, false)
	if err := f.st.SaveCredentials(ctx, quest.Credentials{PlayerID: f.player, AccountSID: realAC, Secret: token}); err != nil {
		t.Fatal(err)
	}
	cfg := f.cfg
	cfg.Hints = f.st
	svc := quest.New(cfg)
	obj, _ := cfg.Catalog.Get("send-sms")
	for stage, h := range obj.Hints {
		if _, err := f.st.RevealHint(ctx, quest.HintReveal{PlayerID: f.player, ObjectiveID: obj.ID, Stage: stage + 1, Cost: h.Cost}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := svc.Submit(ctx, quest.Attempt{PlayerID: f.player, ObjectiveID: obj.ID, SID: smsSID})
	if err != nil {
		t.Fatal(err)
	}
	if want := obj.XP - 10; res.Submission.Reason != quest.Awarded || res.XP != want {
		t.Errorf("award after both hints: %s, %d XP; want awarded, %d XP", res.Submission.Reason, res.XP, want)
	}
}
