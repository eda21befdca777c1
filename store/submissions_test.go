package store

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/quest"
)

// TestHugePastesAreClipped: however much a player pastes, a submission
// row keeps at most MaxPasteLen bytes of it (raw and normalised), cut on a
// character boundary, whichever way the attempt is recorded.
func TestHugePastesAreClipped(t *testing.T) {
	huge := strings.Repeat("x", 60<<10)
	multibyte := strings.Repeat("é€", 20<<10)
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p := newPlayer(t, s)
		record := func(paste string) (quest.Submission, error) {
			return s.RecordAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: paste, SID: paste,
				Reason: quest.InvalidSID}, nil)
		}
		reserveAndFinish := func(paste string) (quest.Submission, error) {
			r, _, err := s.ReserveAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-mms", RawSID: paste, SID: paste},
				quest.AttemptLimit{Max: 100})
			if err != nil {
				return quest.Submission{}, err
			}
			r.SID, r.Reason = paste, quest.InvalidSID
			return s.FinishAttempt(ctx, r, nil)
		}
		for _, way := range []struct {
			name   string
			record func(string) (quest.Submission, error)
		}{{"recorded", record}, {"reserved then finished", reserveAndFinish}} {
			for _, paste := range []string{huge, multibyte, " " + sid + " "} {
				got, err := way.record(paste)
				if err != nil {
					t.Fatalf("%s: %v", way.name, err)
				}
				stored, err := s.Submission(ctx, p.ID, got.ID)
				if err != nil {
					t.Fatal(err)
				}
				for what, v := range map[string][2]string{"raw_sid": {got.RawSID, stored.RawSID}, "sid": {got.SID, stored.SID}} {
					if v[0] != v[1] {
						t.Errorf("%s %s: returned %q, stored %q", way.name, what, v[0], v[1])
					}
					if len(v[1]) > quest.MaxPasteLen || !utf8.ValidString(v[1]) {
						t.Errorf("%s %s: %d bytes kept (valid UTF-8: %v), want at most %d", way.name, what, len(v[1]),
							utf8.ValidString(v[1]), quest.MaxPasteLen)
					}
					if len(paste) <= quest.MaxPasteLen && v[1] != paste {
						t.Errorf("%s %s: %q kept as %q, want it whole", way.name, what, paste, v[1])
					}
					if len(paste) > quest.MaxPasteLen && (!strings.HasSuffix(v[1], "…") || !strings.HasPrefix(paste, strings.TrimSuffix(v[1], "…"))) {
						t.Errorf("%s %s: kept %q, want a prefix of the paste and …", way.name, what, v[1])
					}
				}
			}
		}
	})
}

// TestOneSIDWinsOneObjective: a SID that won a player one objective does
// not win them another, unless the grant says the two share their proof;
// recorded or reserved-then-finished alike, the refusal names the
// objective the SID won.
func TestOneSIDWinsOneObjective(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		ada, bob := newPlayer(t, s), newPlayer(t, s)
		record := func(p quest.Player, objective string, shares ...string) quest.Submission {
			t.Helper()
			got, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: objective, RawSID: sid, SID: sid},
				&quest.Award{XP: 100, SharesProofWith: shares})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		finish := func(p quest.Player, objective string, shares ...string) quest.Submission {
			t.Helper()
			r, _, err := s.ReserveAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: objective, RawSID: sid, SID: sid},
				quest.AttemptLimit{Max: 10})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.FinishAttempt(ctx, r, &quest.Award{XP: 200, SharesProofWith: shares})
			if err != nil {
				t.Fatal(err)
			}
			stored, err := s.Submission(ctx, p.ID, got.ID)
			if err != nil || stored.Reason != got.Reason || stored.Detail != got.Detail {
				t.Errorf("stored %+v (%v), returned %+v", stored, err, got)
			}
			return got
		}
		steps := []struct {
			name       string
			got        func() quest.Submission
			want       quest.Reason
			wantDetail string
		}{
			{"the SID wins send-sms", func() quest.Submission { return record(ada, "send-sms") }, quest.Awarded, ""},
			{"then not reply-sms", func() quest.Submission { return finish(ada, "reply-sms") }, quest.SIDUsedForAnotherObjective, "send-sms"},
			{"nor send-mms", func() quest.Submission { return record(ada, "send-mms") }, quest.SIDUsedForAnotherObjective, "send-sms"},
			{"unless they share their proof", func() quest.Submission { return record(ada, "send-mms", "send-sms") }, quest.Awarded, ""},
			{"sharing with one is not sharing with all", func() quest.Submission { return finish(ada, "reply-sms", "send-mms") },
				quest.SIDUsedForAnotherObjective, "send-sms"},
			{"another player is still refused the SID", func() quest.Submission { return record(bob, "send-sms") }, quest.SIDAlreadyUsed, ""},
		}
		for _, st := range steps {
			if got := st.got(); got.Reason != st.want || got.Detail != st.wantDetail {
				t.Errorf("%s: %s (%q), want %s (%q)", st.name, got.Reason, got.Detail, st.want, st.wantDetail)
			}
		}
		awards, err := s.Awards(ctx, ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := awards["reply-sms"]; ok || len(awards) != 2 {
			t.Errorf("Ada holds %v, want send-sms and send-mms", awards)
		}
	})
}

// TestOneSIDWinsOneObjectiveUnderRace: a player's attempts with one SID at
// two objectives, at once and through two stores on one database, win one
// objective only.
func TestOneSIDWinsOneObjectiveUnderRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.db(t)
		stores := []*Store{connectTest(t, db), connectTest(t, db)}
		p := newPlayer(t, stores[0])
		const n = 40
		objectives := []string{"send-sms", "reply-sms"}
		reasons := make(chan quest.Reason, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				sub, err := stores[i%2].RecordAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: objectives[(i/2)%2],
					RawSID: sid, SID: sid}, &quest.Award{XP: 100})
				if err != nil {
					t.Error(err)
					return
				}
				reasons <- sub.Reason
			})
		}
		wg.Wait()
		close(reasons)
		count := map[quest.Reason]int{}
		for r := range reasons {
			count[r]++
		}
		if count[quest.Awarded] != 1 || count[quest.AlreadyAwarded]+count[quest.SIDUsedForAnotherObjective] != n-1 {
			t.Errorf("reasons %v, want one award", count)
		}
		awards, err := stores[1].Awards(ctx, p.ID)
		if err != nil || len(awards) != 1 {
			t.Errorf("awards %v (%v), want one", awards, err)
		}
	})
}

// TestAttempts counts a player's attempts per objective in one query, on
// both backends: the home page's state of every objective.
func TestAttempts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		ada, err := s.CreatePlayer(ctx)
		if err != nil {
			t.Fatal(err)
		}
		bob, err := s.CreatePlayer(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []struct {
			player    string
			objective string
			reason    quest.Reason
		}{
			{ada.ID, "send-sms", quest.NotFound},
			{ada.ID, "send-sms", quest.InvalidSID},
			{ada.ID, "send-mms", quest.UpstreamUnavailable},
			{bob.ID, "make-call", quest.NotFound},
		} {
			sub := quest.Submission{PlayerID: a.player, ObjectiveID: a.objective, RawSID: "x", Reason: a.reason}
			if _, err := s.RecordAttempt(ctx, sub, nil); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			player string
			want   map[string]int
		}{
			{ada.ID, map[string]int{"send-sms": 2, "send-mms": 1}},
			{bob.ID, map[string]int{"make-call": 1}},
			{"pl_nobody", map[string]int{}},
		}
		for _, tt := range tests {
			got, err := s.Attempts(ctx, tt.player)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Attempts(%s) (-want +got):\n%s", tt.player, diff)
			}
		}
	})
}

// TestProofIsKept: a call's duration and an MMS's media come back with
// the submission, whichever way it was recorded; invalid media and more
// than quest.MaxMedia are not kept, and a message without either reads
// back with none.
func TestProofIsKept(t *testing.T) {
	me := func(c byte, ct string) quest.Media {
		return quest.Media{SID: "ME" + strings.Repeat(string(c), 32), ContentType: ct}
	}
	twelve := 12 * time.Second
	zero := time.Duration(0)
	cases := []struct {
		name      string
		msg       quest.Message
		wantDur   *time.Duration
		wantMedia []quest.Media
	}{
		{"call", quest.Message{Status: "completed", Duration: &twelve}, &twelve, nil},
		{"call of no time", quest.Message{Status: "completed", Duration: &zero}, &zero, nil},
		{"text", quest.Message{Status: "delivered", Body: "hi"}, nil, nil},
		{"mms", quest.Message{Status: "delivered", NumMedia: 5, Media: []quest.Media{
			me('a', "image/png"), {SID: "ME' OR 1=1", ContentType: "image/png"}, me('b', "image/jpeg; x=1"),
			me('c', "video/mp4"), me('d', "image/gif"), me('e', "image/webp")}},
			nil, []quest.Media{me('a', "image/png"), me('c', "video/mp4"), me('d', "image/gif")}},
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p := newPlayer(t, s)
		for _, c := range cases {
			for _, reserved := range []bool{false, true} {
				msg := c.msg
				sub := quest.Submission{PlayerID: p.ID, ObjectiveID: "send-mms", SID: sid, Reason: quest.WrongStatus, Message: &msg}
				var got quest.Submission
				var err error
				if reserved {
					var r quest.Submission
					if r, _, err = s.ReserveAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-mms"}, quest.AttemptLimit{Max: 100}); err != nil {
						t.Fatal(err)
					}
					sub.ID = r.ID
					got, err = s.FinishAttempt(ctx, sub, nil)
				} else {
					got, err = s.RecordAttempt(ctx, sub, nil)
				}
				if err != nil {
					t.Fatal(err)
				}
				stored, err := s.Submission(ctx, p.ID, got.ID)
				if err != nil || stored.Message == nil {
					t.Fatalf("%s: read back %+v, %v", c.name, stored.Message, err)
				}
				if diff := cmp.Diff(c.wantDur, stored.Message.Duration); diff != "" {
					t.Errorf("%s (reserved %v): duration (-want +got):\n%s", c.name, reserved, diff)
				}
				if diff := cmp.Diff(c.wantMedia, stored.Message.Media); diff != "" {
					t.Errorf("%s (reserved %v): media (-want +got):\n%s", c.name, reserved, diff)
				}
			}
		}
	})
}
