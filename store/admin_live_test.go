package store

import (
	"context"
	"testing"
	"time"

	"github.com/questgate/questgate/quest"
)

// TestMatchesAgreesWithTheQuery proves the live views' filter selects
// exactly the rows the listing's SQL selects.
func TestMatchesAgreesWithTheQuery(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		ada, bob := newPlayer(t, s), newPlayer(t, s)
		seedSubmissions(t, s, []quest.Player{ada, bob}, 40)
		workshop := joinNewCohort(t, s, "Workshop", ada)
		filters := []quest.SubmissionFilter{
			{},
			{CohortID: workshop.ID},
			{CohortID: workshop.ID, Outcome: quest.OutcomeRejected},
			{CohortID: workshop.ID + 1},
			{PlayerID: ada.ID},
			{ObjectiveID: "send-mms", Reason: quest.NotFound},
			{Outcome: quest.OutcomeRejected},
			{Outcome: quest.OutcomeUpstream},
			{Outcome: quest.OutcomeSuccess},
			{Since: time.Date(2026, 11, 1, 9, 10, 0, 0, time.UTC), Until: time.Date(2026, 11, 1, 9, 20, 0, 0, time.UTC)},
			{SID: "sm0000000000000000000000000000001"},
			{SID: "SM%"},
		}
		all, err := s.ListSubmissions(ctx, quest.SubmissionFilter{}, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range filters {
			want := map[int64]bool{}
			rows, err := s.ListSubmissions(ctx, f, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				want[r.ID] = true
			}
			for _, r := range all {
				if got := f.Matches(r); got != want[r.ID] {
					t.Errorf("filter %+v, submission %d: Matches = %v, query selects it: %v", f, r.ID, got, want[r.ID])
				}
			}
		}
	})
}

func TestNewerSubmissionsIsThePageAbove(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		ada, bob := newPlayer(t, s), newPlayer(t, s)
		seedSubmissions(t, s, []quest.Player{ada, bob}, 30)
		f := quest.SubmissionFilter{PlayerID: ada.ID}
		older, err := s.ListSubmissions(ctx, f, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		// older holds ada's 15 rows, newest first; the 4 rows above her 10th
		// newest are her 6th to 9th.
		got, err := s.NewerSubmissions(ctx, f, older[9].ID, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 4 {
			t.Fatalf("%d rows, want 4", len(got))
		}
		for i, r := range got {
			if r.ID != older[5+i].ID {
				t.Errorf("row %d: id %d, want %d", i, r.ID, older[5+i].ID)
			}
		}
		if rest, _ := s.NewerSubmissions(ctx, f, older[0].ID, 4); len(rest) != 0 {
			t.Errorf("above the newest: %d rows", len(rest))
		}
	})
}

// TestWideDateRangesPageLikeNarrowOnes covers both ways a date range is
// read (narrowDates): the rows and their order must not depend on it.
func TestWideDateRangesPageLikeNarrowOnes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		seedSubmissions(t, s, []quest.Player{newPlayer(t, s)}, narrowRange+500)
		start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		all, err := s.ListSubmissions(ctx, quest.SubmissionFilter{}, 0, 10*narrowRange)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []quest.SubmissionFilter{
			{Since: start.Add(100 * time.Minute)},                                                         // wide
			{Since: start.Add(100 * time.Minute), Until: start.Add(2400 * time.Minute)},                   // wide, in the past
			{Since: start.Add(100 * time.Minute), Until: start.Add(160 * time.Minute)},                    // narrow
			{Until: start.Add(30 * time.Minute), Outcome: quest.OutcomeRejected, ObjectiveID: "send-sms"}, // narrow, combined
		} {
			var want []int64
			for _, r := range all {
				if f.Matches(r) {
					want = append(want, r.ID)
				}
			}
			var got []int64
			for before := int64(0); ; {
				page, err := s.ListSubmissions(ctx, f, before, 50)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				for _, r := range page {
					got = append(got, r.ID)
				}
				before = page[len(page)-1].ID
			}
			if len(got) != len(want) {
				t.Errorf("filter %+v: %d rows, want %d", f, len(got), len(want))
				continue
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("filter %+v: row %d is %d, want %d", f, i, got[i], want[i])
					break
				}
			}
		}
	})
}
