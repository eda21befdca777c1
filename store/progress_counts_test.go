package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/quest"
)

// progressCountsMatch checks that progress_counts, kept by triggers, says
// what counting the progress rows says, and progress_players (each
// player's summary) what summing each player's rows says.
func progressCountsMatch(t *testing.T, s *Store, step string) {
	t.Helper()
	read := func(q string) map[string]int {
		t.Helper()
		rows, err := s.r.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int{}
		for rows.Next() {
			var cohort int64
			var oid, reason string
			var done, failures, tried, n int
			if err := rows.Scan(&cohort, &oid, &done, &failures, &reason, &tried, &n); err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("cohort %d %s done=%d failures=%d %q tried=%d", cohort, oid, done, failures, reason, tried)] = n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := read(`SELECT COALESCE(cohort_id, 0), objective_id, done, failures, last_reason,
		CASE WHEN attempts > 0 THEN 1 ELSE 0 END, COUNT(*) FROM progress
		GROUP BY COALESCE(cohort_id, 0), objective_id, done, failures, last_reason, CASE WHEN attempts > 0 THEN 1 ELSE 0 END`)
	got := read(`SELECT cohort_id, objective_id, done, failures, last_reason, tried, SUM(n) FROM progress_counts
		GROUP BY cohort_id, objective_id, done, failures, last_reason, tried HAVING SUM(n) <> 0`)
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("%s: progress_counts (-counted +kept):\n%s", step, diff)
	}
	summaries := func(q string) map[string]string {
		t.Helper()
		rows, err := s.r.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var player string
			var cohort, done, tried, streak, last any
			if err := rows.Scan(&player, &cohort, &done, &tried, &streak, &last); err != nil {
				t.Fatal(err)
			}
			out[player] = fmt.Sprintf("cohort %v done=%v tried=%v streak=%v last %v", cohort, done, tried, streak, last)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	wantSummaries := summaries(`SELECT player_id, MAX(cohort_id), SUM(done), SUM(CASE WHEN done = 0 AND attempts > 0 THEN 1 ELSE 0 END),
		MAX(CASE WHEN done = 0 THEN failures ELSE 0 END), MAX(last_at) FROM progress GROUP BY player_id`)
	gotSummaries := summaries(`SELECT player_id, cohort_id, done, tried, streak, last_at FROM progress_players`)
	if diff := gocmp.Diff(wantSummaries, gotSummaries); diff != "" {
		t.Errorf("%s: progress_players (-summed +kept):\n%s", step, diff)
	}
}

// TestProgressCountsAndStuckFollowEveryWriter writes what an event
// writes (attempts, reservations and their outcome, awards and
// revocations by hand, a change of cohort, an erasure) and checks, after
// each, the counts kept per objective and who is stuck against the
// attempts themselves (quest.FindStuck).
func TestProgressCountsAndStuckFollowEveryWriter(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
		now := clockAt(s, t0)
		at := func(min int) { *now = t0.Add(time.Duration(min) * time.Minute) }
		a, err := s.CreateCohort(ctx, quest.Cohort{Name: "A", JoinCode: "AAAA1"})
		if err != nil {
			t.Fatal(err)
		}
		bc, err := s.CreateCohort(ctx, quest.Cohort{Name: "B", JoinCode: "BBBB1"})
		if err != nil {
			t.Fatal(err)
		}
		in, err := s.CreateInstructor(ctx, "grace@example.org", "hash")
		if err != nil {
			t.Fatal(err)
		}
		names := []string{"ada", "bob", "cyd", "dan", "eve", "fay"}
		ids := map[string]string{}
		for _, n := range names {
			p := newPlayer(t, s)
			ids[n] = p.ID
			cohort := a.ID
			switch {
			case n == "eve":
				cohort = bc.ID
			case n == "fay":
				cohort = 0
			}
			if cohort != 0 {
				if err := s.JoinCohort(ctx, p.ID, cohort, n); err != nil {
					t.Fatal(err)
				}
			}
		}
		seq := 0
		record := func(who, objective string, r quest.Reason, min int) {
			t.Helper()
			at(min)
			seq++
			var grant *quest.Award
			if r == quest.Awarded {
				grant = &quest.Award{XP: 10}
			}
			sid := fmt.Sprintf("SM%032d", seq)
			if _, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: ids[who], ObjectiveID: objective, RawSID: sid, SID: sid, Reason: r}, grant); err != nil {
				t.Fatal(err)
			}
		}
		// dan failed twice an hour ago and gave up; cyd meets Twilio's
		// trouble only.
		record("dan", "send-sms", quest.NotFound, -60)
		record("dan", "send-sms", quest.NotFound, -40)
		for m := range 3 {
			record("cyd", "send-sms", quest.UpstreamUnavailable, m)
			record("ada", "send-sms", []quest.Reason{quest.NotFound, quest.SampleBody, quest.NotFound}[m], m)
		}
		record("bob", "send-sms", quest.NotFound, 0)
		record("bob", "send-sms", quest.NotFound, 1)
		record("bob", "send-sms", quest.Awarded, 2)
		record("bob", "send-mms", quest.WrongResource, 0)
		record("fay", "send-sms", quest.NotFound, 3)
		progressCountsMatch(t, s, "attempts")
		// Attempts that move a row's time only (a repeat of the SID that
		// won, Twilio's trouble), forward, then back: another instance's
		// clock may be behind this one's.
		record("bob", "send-sms", quest.AlreadyAwarded, 4)
		record("fay", "send-sms", quest.UpstreamUnavailable, 5)
		progressCountsMatch(t, s, "times moving on")
		record("fay", "send-sms", quest.UpstreamUnavailable, 4)
		record("bob", "send-sms", quest.AlreadyAwarded, -5)
		progressCountsMatch(t, s, "times moving back")
		// eve's attempts are reserved, then decided.
		for m := range 3 {
			at(m + 5)
			sub, _, err := s.ReserveAttempt(ctx, quest.Submission{PlayerID: ids["eve"], ObjectiveID: "send-sms", SID: fmt.Sprintf("SMe%d", m)}, quest.AttemptLimit{Max: 10})
			if err != nil {
				t.Fatal(err)
			}
			sub.Reason = quest.WrongDirection
			if _, err := s.FinishAttempt(ctx, sub, nil); err != nil {
				t.Fatal(err)
			}
		}
		progressCountsMatch(t, s, "reservations")
		record("bob", "send-mms", quest.NotFound, 12)
		if err := s.AwardByHand(ctx, ids["cyd"], "send-sms", 10, in.ID, "helped"); err != nil {
			t.Fatal(err)
		}
		if err := s.Revoke(ctx, ids["bob"], "send-sms", in.ID, "shared"); err != nil {
			t.Fatal(err)
		}
		progressCountsMatch(t, s, "by hand")
		if err := s.JoinCohort(ctx, ids["eve"], a.ID, ""); err != nil {
			t.Fatal(err)
		}
		progressCountsMatch(t, s, "a change of cohort")

		rule := quest.StuckRule{Failures: 3, Minutes: 10}
		at(13)
		stuckIn := func(cohort int64, limit int) ([]quest.Stuck, int) {
			t.Helper()
			got, total, err := s.StuckIn(ctx, cohort, rule, now.Add(-24*time.Hour), *now, limit)
			if err != nil {
				t.Fatal(err)
			}
			return got, total
		}
		attempts, err := s.ListSubmissions(ctx, quest.SubmissionFilter{CohortID: a.ID}, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		want := quest.FindStuck(attempts, rule, *now)
		got, total := stuckIn(a.ID, 10)
		byKey := func(x, y quest.Stuck) int {
			return cmp.Or(cmp.Compare(x.PlayerID, y.PlayerID), cmp.Compare(x.ObjectiveID, y.ObjectiveID))
		}
		slices.SortFunc(want, byKey)
		sorted := slices.Clone(got)
		slices.SortFunc(sorted, byKey)
		if diff := gocmp.Diff(want, sorted); diff != "" || total != len(want) {
			t.Errorf("stuck in A: %d in all (-FindStuck +StuckIn):\n%s", total, diff)
		}
		// ada (3 failures), eve (3, moved in) and bob (for 12 minutes).
		if len(want) != 3 {
			t.Errorf("FindStuck found %d stuck, want 3: %+v", len(want), want)
		}
		// The most recent first; the total counts those not shown.
		if first, n := stuckIn(a.ID, 1); len(first) != 1 || n != 3 || first[0].PlayerID != ids["bob"] {
			t.Errorf("first of the stuck: %+v of %d, want bob's of 3", first, n)
		}
		if got, n := stuckIn(bc.ID, 10); len(got) != 0 || n != 0 {
			t.Errorf("stuck in B, now empty: %+v, %d", got, n)
		}
		// A day later, nobody is listed: their runs are too old.
		at(24*60 + 14)
		if got, n := stuckIn(a.ID, 10); len(got) != 0 || n != 0 {
			t.Errorf("a day later: %+v, %d", got, n)
		}
		if err := s.DeletePlayer(ctx, ids["ada"]); err != nil {
			t.Fatal(err)
		}
		progressCountsMatch(t, s, "an erasure")
	})
}

// TestProgressStatesAgree checks that the counts per state read from
// progress_players (decideState) say what deciding each player's state in
// SQL (progressStateSQL) says, and that a page's total is right, for
// everyone and per cohort, with a cohort's own rule, players without a
// cohort and players who never tried, including a rule of 0 failures
// (everyone not done is stuck) and a catalog of one objective.
func TestProgressStatesAgree(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		a, err := s.CreateCohort(ctx, quest.Cohort{Name: "A", JoinCode: "AAAA1"})
		if err != nil {
			t.Fatal(err)
		}
		bc, err := s.CreateCohort(ctx, quest.Cohort{Name: "B", JoinCode: "BBBB1"})
		if err != nil {
			t.Fatal(err)
		}
		seq := 0
		player := func(cohort int64, name string, reasons ...quest.Reason) {
			t.Helper()
			p := newPlayer(t, s)
			if cohort != 0 {
				if err := s.JoinCohort(ctx, p.ID, cohort, name); err != nil {
					t.Fatal(err)
				}
			} else if err := s.SetDisplayName(ctx, p.ID, name); err != nil {
				t.Fatal(err)
			}
			for _, r := range reasons {
				seq++
				var grant *quest.Award
				if r == quest.Awarded {
					grant = &quest.Award{XP: 10}
				}
				sid := fmt.Sprintf("SM%032d", seq)
				if _, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: sid, SID: sid, Reason: r}, grant); err != nil {
					t.Fatal(err)
				}
			}
		}
		nf := quest.NotFound
		player(0, "Ada", nf, nf, nf)
		player(0, "Abe")
		player(a.ID, "Bob", nf, nf)
		player(a.ID, "Cyd", quest.Awarded)
		player(a.ID, "Dan")
		player(a.ID, "Dee", nf)
		player(bc.ID, "Eve")
		player(bc.ID, "Eli", nf, nf, nf)
		if err := s.SaveEvent(ctx, quest.Event{CohortID: a.ID, TimeZone: "UTC", Stuck: quest.StuckRule{Failures: 2, Minutes: 10}}); err != nil {
			t.Fatal(err)
		}
		check := func(step string) {
			t.Helper()
			for _, objectives := range []int{1, 2} {
				for _, cohort := range []int64{0, a.ID, bc.ID} {
					where, args := progressWhere(quest.ProgressQuery{CohortID: cohort}, "")
					rows, err := s.r.QueryContext(ctx, `SELECT st, COUNT(*) FROM (`+progressPlayers(where)+`) x GROUP BY st`,
						append([]any{objectives}, args...)...)
					if err != nil {
						t.Fatal(err)
					}
					want, players := map[quest.ProgressState]int{}, 0
					for rows.Next() {
						var st string
						var n int
						if err := rows.Scan(&st, &n); err != nil {
							t.Fatal(err)
						}
						want[quest.ProgressState(st)], players = n, players+n
					}
					rows.Close()
					stuck, err := s.stuckRules(ctx)
					if err != nil {
						t.Fatal(err)
					}
					got, n, err := s.stateCounts(ctx, cohort, objectives, stuck)
					if err != nil {
						t.Fatal(err)
					}
					if diff := gocmp.Diff(want, got); diff != "" || n != players {
						t.Errorf("%s, cohort %d, %d objectives: %d players, want %d; states (-SQL +counted):\n%s", step, cohort, objectives, n, players, diff)
					}
					ids := make([]string, objectives)
					for i := range ids {
						ids[i] = fmt.Sprintf("objective-%d", i)
					}
					for _, st := range append([]quest.ProgressState{""}, quest.ProgressStates...) {
						for _, q := range []quest.ProgressQuery{
							{CohortID: cohort, State: st, Objectives: objectives, Limit: 1},
							{CohortID: cohort, State: st, Objectives: objectives, Limit: 1, Offset: 5},
							{CohortID: cohort, State: st, Objectives: objectives, Limit: 50},
							{CohortID: cohort, State: st, Objectives: objectives, Limit: 1, Name: "a"},
						} {
							all, _, err := s.ProgressPage(ctx, quest.ProgressQuery{CohortID: q.CohortID, State: q.State, Name: q.Name, Objectives: objectives, Limit: 100})
							if err != nil {
								t.Fatal(err)
							}
							rows, total, err := s.ProgressPage(ctx, q)
							if err != nil {
								t.Fatal(err)
							}
							if total != len(all) || len(rows) != max(0, min(q.Limit, len(all)-q.Offset)) {
								t.Errorf("%s: %+v: %d rows of %d, want %d in all", step, q, len(rows), total, len(all))
							}
							// The page's view reads the counts per state
							// once, for its summary and its total: both
							// must say what they say apart.
							sum, vrows, vtotal, err := s.ProgressView(ctx, q, ids)
							if err != nil {
								t.Fatal(err)
							}
							if vtotal != total || !gocmp.Equal(playerIDs(vrows), playerIDs(rows)) ||
								sum.Players != players || !gocmp.Equal(sum.States, want) {
								t.Errorf("%s: %+v: the view has %v of %d, %d players, states %v; want %v of %d, %d players, states %v",
									step, q, playerIDs(vrows), vtotal, sum.Players, sum.States, playerIDs(rows), total, players, want)
							}
						}
					}
				}
			}
		}
		check("rule of 2")
		if err := s.SaveEvent(ctx, quest.Event{CohortID: a.ID, TimeZone: "UTC", Stuck: quest.StuckRule{Failures: 0, Minutes: 10}}); err != nil {
			t.Fatal(err)
		}
		check("rule of 0")
	})
}

// playerIDs are the ids of rows' players, in order.
func playerIDs(rows []quest.ProgressRow) []string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.Player.ID
	}
	return ids
}
