package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/quest"
)

// seedSubmissions writes n submissions spread over players, objectives and
// reasons in one transaction, one minute apart, oldest first.
func seedSubmissions(t testing.TB, s *Store, players []quest.Player, n int) {
	t.Helper()
	ctx := context.Background()
	reasons := []quest.Reason{quest.NotFound, quest.InvalidSID, quest.UpstreamUnavailable, quest.WrongResource, quest.SampleBody}
	objectives := []string{"send-sms", "send-mms"}
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			sub := quest.Submission{
				PlayerID: players[i%len(players)].ID, ObjectiveID: objectives[i%len(objectives)],
				RawSID: fmt.Sprintf("SM%032x", i), SID: fmt.Sprintf("SM%032x", i),
				Reason: reasons[i%len(reasons)], IP: "192.0.2.1", CreatedAt: start.Add(time.Duration(i) * time.Minute),
			}
			if _, err := insertSubmission(ctx, tx, sub); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestListSubmissionsFiltersAndPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		ada, bob := newPlayer(t, s), newPlayer(t, s)
		seedSubmissions(t, s, []quest.Player{ada, bob}, 40)

		tests := []struct {
			name string
			f    quest.SubmissionFilter
			want int
		}{
			{"everything", quest.SubmissionFilter{}, 40},
			{"one player", quest.SubmissionFilter{PlayerID: ada.ID}, 20},
			{"one objective", quest.SubmissionFilter{ObjectiveID: "send-mms"}, 20},
			{"player and objective", quest.SubmissionFilter{PlayerID: ada.ID, ObjectiveID: "send-mms"}, 0},
			{"reason", quest.SubmissionFilter{Reason: quest.NotFound}, 8},
			{"upstream outcome", quest.SubmissionFilter{Outcome: quest.OutcomeUpstream}, 8},
			{"rejected outcome", quest.SubmissionFilter{Outcome: quest.OutcomeRejected}, 32},
			{"success outcome", quest.SubmissionFilter{Outcome: quest.OutcomeSuccess}, 0},
			{"date range", quest.SubmissionFilter{Since: time.Date(2026, 11, 1, 9, 10, 0, 0, time.UTC), Until: time.Date(2026, 11, 1, 9, 20, 0, 0, time.UTC)}, 10},
			{"SID prefix", quest.SubmissionFilter{SID: "SM0000000000000000000000000000001"}, 16},
			{"SID with LIKE characters", quest.SubmissionFilter{SID: "SM%"}, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var got []quest.SubmissionRow
				before := int64(0)
				for {
					page, err := s.ListSubmissions(ctx, tt.f, before, 7)
					if err != nil {
						t.Fatal(err)
					}
					if len(page) == 0 {
						break
					}
					got = append(got, page...)
					before = page[len(page)-1].ID
				}
				if len(got) != tt.want {
					t.Fatalf("got %d submissions, want %d", len(got), tt.want)
				}
				for i := 1; i < len(got); i++ {
					if got[i].ID >= got[i-1].ID {
						t.Fatalf("not newest first: %d after %d", got[i].ID, got[i-1].ID)
					}
				}
				var n int
				if err := s.EachSubmission(ctx, tt.f, func(quest.SubmissionRow) error { n++; return nil }); err != nil || n != tt.want {
					t.Errorf("EachSubmission: %d rows, %v; want %d", n, err, tt.want)
				}
			})
		}
	})
}

func TestRegradeIsAudited(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p := newPlayer(t, s)
		in, err := s.CreateInstructor(ctx, " Grace@Example.org ", "hash")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AwardByHand(ctx, p.ID, "send-sms", 100, in.ID, "phone died, saw it sent"); err != nil {
			t.Fatal(err)
		}
		if err := s.AwardByHand(ctx, p.ID, "send-sms", 100, in.ID, "again"); !errors.Is(err, quest.ErrExists) {
			t.Errorf("awarding twice: %v, want ErrExists", err)
		}
		awards, _ := s.Awards(ctx, p.ID)
		if a := awards["send-sms"]; !a.Manual || a.XP != 100 || a.SID != "" {
			t.Errorf("manual award = %+v", a)
		}
		if err := s.Revoke(ctx, p.ID, "send-sms", in.ID, "shared SID"); err != nil {
			t.Fatal(err)
		}
		if err := s.Revoke(ctx, p.ID, "send-sms", in.ID, "again"); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("revoking twice: %v, want ErrNotFound", err)
		}
		log, err := s.AuditLog(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]string, len(log))
		for i, e := range log {
			got[i] = e.Action + "/" + e.Reason + "/" + e.InstructorEmail
		}
		want := []string{"revoke/shared SID/grace@example.org", "award/phone died, saw it sent/grace@example.org"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("audit log (-want +got):\n%s", diff)
		}
	})
}

func TestProgressCountsDoneFailingAndNotStarted(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		ada, bob, cyd := newPlayer(t, s), newPlayer(t, s), newPlayer(t, s)
		for _, sub := range []struct {
			p      quest.Player
			sid    string
			reason quest.Reason
			award  bool
		}{
			{ada, "SM1", quest.NotFound, false},
			{ada, "SM2", "", true},
			{bob, "SM3", quest.NotFound, false},
			{bob, "SM4", quest.SampleBody, false},
			{bob, "SM6", quest.UpstreamUnavailable, false}, // Twilio's trouble: no failure
			{bob, "SM5", quest.NotFound, false},
		} {
			var grant *quest.Award
			if sub.award {
				grant = &quest.Award{XP: 100}
			}
			if _, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: sub.p.ID, ObjectiveID: "send-sms", RawSID: sub.sid, SID: sub.sid, Reason: sub.reason}, grant); err != nil {
				t.Fatal(err)
			}
		}
		objectives := []string{"send-sms", "send-mms"}
		sum, err := s.ProgressSummary(ctx, 0, objectives)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]quest.ObjectiveStats{
			"send-sms": {Done: 1, Failing: 1, Stuck: 1, NotStarted: 1, TopFailures: []quest.ReasonCount{{Reason: quest.NotFound, Count: 1}}},
			"send-mms": {NotStarted: 3},
		}
		if diff := cmp.Diff(want, sum.Stats); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[quest.ProgressState]int{quest.StateStuck: 1, quest.StateInProgress: 1, quest.StateNotStarted: 1}, sum.States); diff != "" || sum.Players != 3 {
			t.Errorf("%d players, states (-want +got):\n%s", sum.Players, diff)
		}
		rows, total, err := s.ProgressPage(ctx, quest.ProgressQuery{Objectives: 2, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || len(rows) != 3 || rows[0].Player.ID != bob.ID || rows[0].State != quest.StateStuck {
			t.Fatalf("page: %d of %d, first %+v", len(rows), total, rows)
		}
		if op := rows[0].Objectives["send-sms"]; op.Attempts != 4 || op.Failures != 3 || !op.Stuck || op.LastReason != quest.NotFound {
			t.Errorf("bob on send-sms: %+v", op)
		}

		// Per cohort: bob and cyd in one, ada in another.
		evening := joinNewCohort(t, s, "Evening", bob, cyd)
		joinNewCohort(t, s, "Morning", ada)
		rows, total, err = s.ProgressPage(ctx, quest.ProgressQuery{CohortID: evening.ID, Objectives: 2, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if total != 2 || len(rows) != 2 || rows[0].Objectives["send-sms"].Attempts+rows[1].Objectives["send-sms"].Attempts != 4 {
			t.Errorf("evening page: %d %+v", total, rows)
		}
		for _, r := range rows {
			if r.Player.CohortID != evening.ID {
				t.Errorf("player %s of cohort %d in the evening's page", r.Player.ID, r.Player.CohortID)
			}
		}
		sum, err = s.ProgressSummary(ctx, evening.ID, objectives)
		if err != nil {
			t.Fatal(err)
		}
		want = map[string]quest.ObjectiveStats{
			"send-sms": {Failing: 1, Stuck: 1, NotStarted: 1, TopFailures: []quest.ReasonCount{{Reason: quest.NotFound, Count: 1}}},
			"send-mms": {NotStarted: 2},
		}
		if diff := cmp.Diff(want, sum.Stats); diff != "" {
			t.Errorf("evening stats (-want +got):\n%s", diff)
		}
	})
}

// TestProgressFollowsEveryWriter checks that what the progress tables
// say follows each way attempts and awards change: a reservation and its
// outcome, an award by hand and its revocation, the filters, and erasing
// a player.
func TestProgressFollowsEveryWriter(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		ada := newPlayer(t, s)
		if err := s.SetDisplayName(ctx, ada.ID, "Ada Lovelace"); err != nil {
			t.Fatal(err)
		}
		in, err := s.CreateInstructor(ctx, "grace@example.org", "hash")
		if err != nil {
			t.Fatal(err)
		}
		one := func() quest.ProgressRow {
			t.Helper()
			r, err := s.ProgressOf(ctx, ada.ID, 2)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r := one(); r.State != quest.StateNotStarted || len(r.Objectives) != 0 {
			t.Fatalf("fresh: %+v", r)
		}
		lim := quest.AttemptLimit{Max: 10}
		for i := range 3 {
			sub, _, err := s.ReserveAttempt(ctx, quest.Submission{PlayerID: ada.ID, ObjectiveID: "send-sms", SID: fmt.Sprintf("SMr%d", i)}, lim)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if r := one(); r.State != quest.StateInProgress || r.Objectives["send-sms"].Failures != 0 {
					t.Errorf("pending: %+v", r)
				}
			}
			sub.Reason = quest.WrongDirection
			if _, err := s.FinishAttempt(ctx, sub, nil); err != nil {
				t.Fatal(err)
			}
		}
		if r := one(); r.State != quest.StateStuck || r.Objectives["send-sms"].LastReason != quest.WrongDirection {
			t.Errorf("after 3 failures: %+v", r)
		}
		if err := s.AwardByHand(ctx, ada.ID, "send-sms", 10, in.ID, "helped"); err != nil {
			t.Fatal(err)
		}
		if r := one(); r.State != quest.StateInProgress || r.XP != 10 || !r.Objectives["send-sms"].Award.Manual {
			t.Errorf("after an award by hand: %+v", r)
		}
		if err := s.AwardByHand(ctx, ada.ID, "send-mms", 10, in.ID, "helped"); err != nil {
			t.Fatal(err)
		}
		if r := one(); r.State != quest.StateDone {
			t.Errorf("holding both: %+v", r)
		}
		if err := s.Revoke(ctx, ada.ID, "send-sms", in.ID, "oops"); err != nil {
			t.Fatal(err)
		}
		if r := one(); r.State != quest.StateStuck {
			t.Errorf("after the revocation: %+v", r)
		}
		for _, tc := range []struct {
			name string
			q    quest.ProgressQuery
			want int
		}{
			{"name, any case", quest.ProgressQuery{Name: "lovelace"}, 1},
			{"name, no match", quest.ProgressQuery{Name: "babbage"}, 0},
			{"a like pattern is literal", quest.ProgressQuery{Name: "%"}, 0},
			{"state stuck", quest.ProgressQuery{State: quest.StateStuck}, 1},
			{"state done", quest.ProgressQuery{State: quest.StateDone}, 0},
		} {
			tc.q.Objectives, tc.q.Limit = 2, 10
			if _, n, err := s.ProgressPage(ctx, tc.q); err != nil || n != tc.want {
				t.Errorf("%s: %d players, %v; want %d", tc.name, n, err, tc.want)
			}
		}
		var exported []quest.ProgressRow
		if err := s.EachProgress(ctx, 0, func(r quest.ProgressRow) error { exported = append(exported, r); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(exported) != 1 || exported[0].Objectives["send-sms"].Attempts != 3 || exported[0].Objectives["send-mms"].Award.CreatedAt.IsZero() {
			t.Errorf("export: %+v", exported)
		}
		if err := s.DeletePlayer(ctx, ada.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ProgressOf(ctx, ada.ID, 2); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("erased player: %v", err)
		}
	})
}

// TestProgressTriggersKnowEveryReason keeps the migration's lists of
// reasons (successes, and those that change nothing) true to quest's.
func TestProgressTriggersKnowEveryReason(t *testing.T) {
	for _, file := range []string{"sqlite/00130_progress.sql", "postgres/00130_progress.sql", "sqlite/00140_progress_counts.sql"} {
		body, err := migrations.ReadFile("migrations/" + file)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range quest.Reasons {
			neutral := !r.Success() && (!r.Counts() || r == quest.Pending)
			listed := strings.Contains(string(body), "'"+string(r)+"'")
			if (neutral || r.Success()) != listed {
				t.Errorf("%s: reason %s neutral=%v success=%v but listed=%v", file, r, neutral, r.Success(), listed)
			}
		}
	}
}

// joinNewCohort creates a cohort and puts the players in it.
func joinNewCohort(t *testing.T, s *Store, name string, players ...quest.Player) quest.Cohort {
	t.Helper()
	ctx := context.Background()
	c, err := s.CreateCohort(ctx, quest.Cohort{Name: name, JoinCode: "CODE" + name})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range players {
		if err := s.JoinCohort(ctx, p.ID, c.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestDeletePlayerErasesEverything(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p := newPlayer(t, s)
		if err := s.SaveCredentials(ctx, quest.Credentials{PlayerID: p.ID, AccountSID: "AC1", Secret: "x"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: "SM1", SID: "SM1"}, &quest.Award{XP: 1}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeletePlayer(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		for table, q := range map[string]string{
			"credentials": `SELECT COUNT(*) FROM credentials WHERE player_id = ?`,
			"submissions": `SELECT COUNT(*) FROM submissions WHERE player_id = ?`,
			"awards":      `SELECT COUNT(*) FROM awards WHERE player_id = ?`,
			"audit_log":   `SELECT COUNT(*) FROM audit_log WHERE player_id = ?`,
		} {
			var n int
			if err := s.r.QueryRowContext(ctx, q, p.ID).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d rows left, %v", table, n, err)
			}
		}
		if err := s.DeletePlayer(ctx, p.ID); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
	})
}

func TestInstructors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		if _, err := s.CreateInstructor(ctx, "a@example.org", "h"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateInstructor(ctx, "A@example.org", "h"); !errors.Is(err, quest.ErrExists) {
			t.Errorf("duplicate email: %v", err)
		}
		if in, err := s.InstructorByEmail(ctx, "A@EXAMPLE.ORG"); err != nil || in.Email != "a@example.org" {
			t.Errorf("by email: %+v %v", in, err)
		}
		if err := s.RemoveInstructor(ctx, "a@example.org"); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.Instructors(ctx); len(list) != 0 {
			t.Errorf("left: %+v", list)
		}
	})
}

// BenchmarkListSubmissions measures one page of the instructors' view on
// 100,000 submissions, unfiltered, filtered, and deep in the pages.
func BenchmarkListSubmissions(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	players := make([]quest.Player, 500)
	for i := range players {
		if players[i], err = s.CreatePlayer(ctx); err != nil {
			b.Fatal(err)
		}
	}
	seedSubmissions(b, s, players, 100_000)
	cases := []struct {
		name   string
		f      quest.SubmissionFilter
		before int64
	}{
		{"first page", quest.SubmissionFilter{}, 0},
		{"deep page", quest.SubmissionFilter{}, 1_000},
		{"player", quest.SubmissionFilter{PlayerID: players[7].ID}, 0},
		{"objective and reason", quest.SubmissionFilter{ObjectiveID: "send-sms", Reason: quest.NotFound}, 0},
		{"rare reason", quest.SubmissionFilter{Reason: quest.Awarded}, 0},
		{"SID prefix", quest.SubmissionFilter{SID: "SM000000000000000000000000000123"}, 0},
		{"date range", quest.SubmissionFilter{Since: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}, 0},
		{"wide date range", quest.SubmissionFilter{Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2027, 11, 1, 0, 0, 0, 0, time.UTC)}, 0},
		{"wide date range in the past", quest.SubmissionFilter{Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}, 0},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.ListSubmissions(ctx, c.f, c.before, 50); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestProgressMigrationBackfills undoes and redoes migration 00130 over
// attempts and awards already there: what the backfill computes is what
// the triggers kept.
func TestProgressMigrationBackfills(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		ada, bob, cyd := newPlayer(t, s), newPlayer(t, s), newPlayer(t, s)
		in, err := s.CreateInstructor(ctx, "grace@example.org", "hash")
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range []quest.Reason{quest.NotFound, quest.Awarded, quest.WrongDirection, quest.UpstreamUnavailable, quest.NotFound, quest.SampleBody} {
			var grant *quest.Award
			if r == quest.Awarded {
				grant = &quest.Award{XP: 10}
			}
			sid := fmt.Sprintf("SM%d", i)
			if _, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: ada.ID, ObjectiveID: "send-mms", RawSID: sid, SID: sid, Reason: r}, grant); err != nil {
				t.Fatal(err)
			}
			if _, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: bob.ID, ObjectiveID: "send-sms", RawSID: sid + "b", SID: sid + "b", Reason: quest.NotFound}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AwardByHand(ctx, cyd.ID, "send-sms", 10, in.ID, "helped"); err != nil {
			t.Fatal(err)
		}
		read := func() []quest.ProgressRow {
			t.Helper()
			rows, _, err := s.ProgressPage(ctx, quest.ProgressQuery{Objectives: 2, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			return rows
		}
		summary := func() quest.ProgressSummary {
			t.Helper()
			sum, err := s.ProgressSummary(ctx, 0, []string{"send-sms", "send-mms"})
			if err != nil {
				t.Fatal(err)
			}
			sum.At = time.Time{}
			return sum
		}
		failSince := func() map[string]time.Time {
			t.Helper()
			rows, err := s.r.QueryContext(ctx, `SELECT player_id, objective_id, fail_since FROM progress WHERE fail_since IS NOT NULL`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			out := map[string]time.Time{}
			for rows.Next() {
				var p, o string
				var at time.Time
				if err := rows.Scan(&p, &o, &at); err != nil {
					t.Fatal(err)
				}
				out[p+" "+o] = at.UTC()
			}
			return out
		}
		kept, keptSum, keptSince := read(), summary(), failSince()
		if len(keptSince) != 2 {
			t.Errorf("runs of failures: %v, want ada's and bob's", keptSince)
		}
		p, err := s.provider()
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			version int64
			up      bool
		}{{140, false}, {130, false}, {130, true}, {140, true}} {
			if _, err := p.ApplyVersion(ctx, step.version, step.up); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff(kept, read()); diff != "" {
			t.Errorf("backfilled progress (-kept by the triggers +backfilled):\n%s", diff)
		}
		if diff := cmp.Diff(keptSum, summary()); diff != "" {
			t.Errorf("backfilled counts (-kept by the triggers +backfilled):\n%s", diff)
		}
		if diff := cmp.Diff(keptSince, failSince()); diff != "" {
			t.Errorf("backfilled runs of failures (-kept by the triggers +backfilled):\n%s", diff)
		}
		progressCountsMatch(t, s, "backfilled")
	})
}
