package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/questgate/questgate/quest"
)

// TestWindowedListingsPageLikeTheWholeTable covers the filters read in two
// steps (windowed: a set of players, an outcome of several reasons),
// with a window of a few ids so that pages fall inside it, across it and
// below it, and a cohort that stopped playing long ago, so that only the
// second step finds it. Every submission has the same time: the cursor is
// the id, and no row may be lost or repeated between pages. Paging down
// (before) and up (after) must both give exactly the rows Matches
// selects, in order.
func TestWindowedListingsPageLikeTheWholeTable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		defer func(w int64) { submissionWindow = w }(submissionWindow)
		submissionWindow = 7

		key, err := s.CreateAPIKey(ctx, quest.APIKey{ID: "key_window", Name: "Game", Hash: "hash-window", Prefix: "qg_",
			SigningSecret: "signing"})
		if err != nil {
			t.Fatal(err)
		}
		var game []quest.Player
		for i := range 2 {
			apiPlayer, err := s.APIPlayer(ctx, key.ID, fmt.Sprintf("ext-%d", i), "")
			id := apiPlayer.ID
			if err != nil {
				t.Fatal(err)
			}
			game = append(game, quest.Player{ID: id})
		}
		ada, bob, cid, old := newPlayer(t, s), newPlayer(t, s), newPlayer(t, s), newPlayer(t, s)
		workshop := joinNewCohort(t, s, "Workshop", ada, bob, game[0])
		gone := joinNewCohort(t, s, "Gone", old)

		// The gone cohort's 12 attempts come first, then 120 by everyone
		// else: the newest windows hold none of them.
		at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		reasons := []quest.Reason{quest.NotFound, quest.Awarded, quest.UpstreamUnavailable, quest.InvalidSID, quest.AlreadyAwarded}
		var order []quest.Player
		for range 12 {
			order = append(order, old)
		}
		active := []quest.Player{ada, bob, cid, game[0], game[1], ada}
		for i := range 120 {
			order = append(order, active[i%len(active)])
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			for i, p := range order {
				sid := fmt.Sprintf("SM%032x", i)
				if _, err := insertSubmission(ctx, tx, quest.Submission{PlayerID: p.ID, ObjectiveID: []string{"send-sms", "send-mms"}[i%2],
					RawSID: sid, SID: sid, Reason: reasons[i%len(reasons)], CreatedAt: at}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.ListSubmissions(ctx, quest.SubmissionFilter{}, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(order) {
			t.Fatalf("%d submissions, want %d", len(all), len(order))
		}
		keyPlayers := map[string]bool{game[0].ID: true, game[1].ID: true}

		tests := []struct {
			name string
			f    quest.SubmissionFilter
			// match adds what Matches cannot tell (the key's players).
			match func(quest.SubmissionRow) bool
		}{
			{"cohort", quest.SubmissionFilter{CohortID: workshop.ID}, nil},
			{"cohort that stopped long ago", quest.SubmissionFilter{CohortID: gone.ID}, nil},
			{"cohort and objective", quest.SubmissionFilter{CohortID: workshop.ID, ObjectiveID: "send-mms"}, nil},
			{"cohort and reason", quest.SubmissionFilter{CohortID: workshop.ID, Reason: quest.InvalidSID}, nil},
			{"cohort and outcome", quest.SubmissionFilter{CohortID: workshop.ID, Outcome: quest.OutcomeSuccess}, nil},
			{"cohort and player", quest.SubmissionFilter{CohortID: workshop.ID, PlayerID: bob.ID}, nil},
			{"cohort and wide dates", quest.SubmissionFilter{CohortID: gone.ID, Since: at.Add(-time.Hour)}, nil},
			{"success outcome", quest.SubmissionFilter{Outcome: quest.OutcomeSuccess}, nil},
			{"upstream outcome", quest.SubmissionFilter{Outcome: quest.OutcomeUpstream}, nil},
			{"API key", quest.SubmissionFilter{APIKeyID: key.ID}, func(r quest.SubmissionRow) bool { return keyPlayers[r.PlayerID] }},
			{"API key and cohort", quest.SubmissionFilter{APIKeyID: key.ID, CohortID: workshop.ID},
				func(r quest.SubmissionRow) bool { return keyPlayers[r.PlayerID] }},
			{"API key and player", quest.SubmissionFilter{APIKeyID: key.ID, PlayerID: game[1].ID},
				func(r quest.SubmissionRow) bool { return keyPlayers[r.PlayerID] }},
			{"empty cohort", quest.SubmissionFilter{CohortID: gone.ID + 100}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var want []int64
				for _, r := range all {
					if tt.f.Matches(r) && (tt.match == nil || tt.match(r)) {
						want = append(want, r.ID)
					}
				}
				for _, size := range []int{1, 5, 51} {
					var down []int64
					for before := int64(0); ; {
						page, err := s.ListSubmissions(ctx, tt.f, before, size)
						if err != nil {
							t.Fatal(err)
						}
						if len(page) > size {
							t.Fatalf("page of %d rows, limit %d", len(page), size)
						}
						for _, r := range page {
							down = append(down, r.ID)
						}
						if len(page) < size {
							break
						}
						before = page[len(page)-1].ID
					}
					if !slices.Equal(down, want) {
						t.Fatalf("pages of %d, newest first: %v\nwant %v", size, down, want)
					}
					// Upwards from below the oldest: each page is the
					// next rows up, newest first within it.
					var up []int64
					for after := int64(0); ; {
						page, err := s.NewerSubmissions(ctx, tt.f, after, size)
						if err != nil {
							t.Fatal(err)
						}
						for i := len(page) - 1; i >= 0; i-- {
							up = append(up, page[i].ID)
						}
						if len(page) < size {
							break
						}
						after = page[0].ID
					}
					slices.Reverse(up)
					if !slices.Equal(up, want) {
						t.Fatalf("newer pages of %d: %v\nwant %v", size, up, want)
					}
				}
				var each []int64
				if err := s.EachSubmission(ctx, tt.f, func(r quest.SubmissionRow) error { each = append(each, r.ID); return nil }); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(each, want) {
					t.Errorf("EachSubmission: %v\nwant %v", each, want)
				}
			})
		}
	})
}
