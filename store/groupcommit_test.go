package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"

	"github.com/questgate/questgate/quest"
)

// TestGroupCommitKeepsEachAttemptOwnOutcome writes attempts in one shared
// transaction, as concurrent HACKs are, with one of them failing (a
// player who does not exist): the others are committed with their own
// ids and reasons, the failing one alone gets its error and leaves no
// row, and two players racing for one SID in the same group still give
// one award.
func TestGroupCommitKeepsEachAttemptOwnOutcome(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		ada, bob, cy := newPlayer(t, s), newPlayer(t, s), newPlayer(t, s)
		type attempt struct {
			name    string
			player  string
			sid     string
			wantErr bool
			want    quest.Reason
		}
		attempts := []attempt{
			{"ada wins", ada.ID, sid, false, quest.Awarded},
			{"nobody fails alone", "no-such-player", "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true, ""},
			{"bob comes second with ada's SID", bob.ID, sid, false, quest.SIDAlreadyUsed},
			{"cy wins with her own", cy.ID, "SMbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", false, quest.Awarded},
		}
		subs := make([]quest.Submission, len(attempts))
		ops := make([]*groupOp, len(attempts))
		for i, a := range attempts {
			subs[i] = quest.Submission{PlayerID: a.player, ObjectiveID: "send-sms", RawSID: a.sid, SID: a.sid,
				Reason: quest.Awarded, CreatedAt: s.now().UTC()}
			ops[i] = &groupOp{done: make(chan error, 1), fn: func(tx *sql.Tx) error {
				sub := subs[i]
				if err := s.checkAward(ctx, tx, &sub, nil); err != nil {
					return err
				}
				id, err := insertSubmission(ctx, tx, sub)
				if err != nil {
					return err
				}
				sub.ID = id
				subs[i] = sub
				if sub.Reason == quest.Awarded {
					return s.insertAward(ctx, tx, sub, &quest.Award{XP: 10})
				}
				return nil
			}}
		}
		s.writeGroup(ctx, ops)
		for i, a := range attempts {
			err := <-ops[i].done
			if (err != nil) != a.wantErr {
				t.Fatalf("%s: error %v, want error %v", a.name, err, a.wantErr)
			}
			if a.wantErr {
				continue
			}
			if subs[i].ID == 0 || subs[i].Reason != a.want {
				t.Errorf("%s: id %d reason %q, want an id and %q", a.name, subs[i].ID, subs[i].Reason, a.want)
			}
		}
		var rows int
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM submissions`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 3 {
			t.Errorf("%d submissions recorded, want 3 (the failing attempt leaves none)", rows)
		}
	})
}

// TestConcurrentAttemptsAreAllRecorded has many players press HACK at
// once (so their writes share transactions): every attempt comes back
// with an id of its own, the SID they all claim is awarded once, and the
// database holds exactly one row per attempt.
func TestConcurrentAttemptsAreAllRecorded(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		s.groupOnPostgres = true
		const n = 40
		players := make([]quest.Player, n)
		for i := range players {
			players[i] = newPlayer(t, s)
		}
		var wg sync.WaitGroup
		got := make([]quest.Submission, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				own := fmt.Sprintf("SM%032x", i+1)
				claim := own
				if i%2 == 0 {
					claim = sid
				}
				got[i], errs[i] = s.RecordAttempt(ctx, quest.Submission{PlayerID: players[i].ID, ObjectiveID: "send-sms",
					RawSID: claim, SID: claim}, &quest.Award{XP: 100})
			})
		}
		wg.Wait()
		ids, shared := map[int64]bool{}, 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("attempt %d: %v", i, errs[i])
			}
			if ids[got[i].ID] || got[i].ID == 0 {
				t.Fatalf("attempt %d: id %d is missing or taken twice", i, got[i].ID)
			}
			ids[got[i].ID] = true
			if i%2 == 0 && got[i].Reason == quest.Awarded {
				shared++
			}
			if i%2 == 1 && got[i].Reason != quest.Awarded {
				t.Errorf("attempt %d with its own SID: %q, want awarded", i, got[i].Reason)
			}
		}
		if shared != 1 {
			t.Errorf("the SID every even player claims was awarded %d times, want once", shared)
		}
		var rows int
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM submissions`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != n {
			t.Errorf("%d submissions recorded, want %d", rows, n)
		}
	})
}
