package store

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/internal/testkit/pgtest"
	"github.com/questgate/questgate/quest"
)

// TestTheHACKsListIsTheOneRecorded: the hack panel's list under a
// verdict is the player's latest attempts at the objective, the one just
// recorded first, exactly as a fresh read of the table lists them, for
// every way an attempt is recorded (a mistake, a mistake refunded, an
// award, a SID another player won, a repeat) and never another player's
// or another objective's attempts. On PostgreSQL the record keeps the
// list (in the attempt's statement, or beside an award's COMMIT), so the
// panel costs no round trip of its own.
func TestTheHACKsListIsTheOneRecorded(t *testing.T) {
	const other = "SM" + "fedcba9876543210fedcba9876543210"
	forEachBackend(t, func(t *testing.T, b backend) {
		s, l, p := withBudget(t, b)
		rival := newPlayer(t, s)
		bg := context.Background()
		// The rival's attempts at the objective, and p's at another one,
		// are in the table and never in p's list.
		if _, err := s.RecordAttempt(bg, quest.Submission{PlayerID: rival.ID, ObjectiveID: "send-sms", RawSID: other, SID: other},
			&quest.Award{XP: 100}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordAttempt(bg, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-mms", RawSID: "nope", SID: "nope",
			Reason: quest.InvalidSID}, nil); err != nil {
			t.Fatal(err)
		}
		for i, tc := range []struct {
			name   string
			paste  string
			reason quest.Reason
			grant  bool
			refund bool
			want   quest.Reason
		}{
			{"a first mistake", "hello", quest.InvalidSID, false, false, quest.InvalidSID},
			{"a mistake with its failure refunded", "SMx", quest.NotFound, false, true, quest.NotFound},
			{"a SID another player won", other, "", true, true, quest.SIDAlreadyUsed},
			{"an award", sid, "", true, true, quest.Awarded},
			{"a repeat", sid, quest.AlreadyAwarded, false, false, quest.AlreadyAwarded},
			{"a sixth attempt pushes the first out", "again", quest.InvalidSID, false, false, quest.InvalidSID},
			{"a seventh", sid, quest.AlreadyAwarded, false, true, quest.AlreadyAwarded},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := quest.WithRecentAttempts(bg, 5)
				sub := quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: tc.paste, SID: tc.paste, Reason: tc.reason}
				var grant *quest.Award
				if tc.grant {
					grant = &quest.Award{XP: 100}
				}
				var got quest.Submission
				var err error
				if tc.refund {
					key := p.ID + "/send-sms"
					if ok, _, err := l.Take(ctx, key); !ok || err != nil {
						t.Fatalf("take: %v %v", ok, err)
					}
					got, err = s.RecordAttemptRefunding(ctx, sub, grant, quest.Refund{Budget: l, Key: key})
				} else {
					got, err = s.RecordAttempt(ctx, sub, grant)
				}
				if err != nil {
					t.Fatal(err)
				}
				if got.Reason != tc.want {
					t.Fatalf("recorded %s, want %s", got.Reason, tc.want)
				}
				_, kept := quest.RecentAttemptsOf(ctx).Take(p.ID, "send-sms", 5)
				if b.name == BackendPostgres && !kept {
					t.Error("PostgreSQL's record kept no list: the panel reads it again")
				}
				listed, err := s.RecentSubmissions(ctx, p.ID, "send-sms", 5)
				if err != nil {
					t.Fatal(err)
				}
				read, err := s.RecentSubmissions(bg, p.ID, "send-sms", 5)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(read, listed); diff != "" {
					t.Errorf("the panel's list differs from the table's (-read +listed):\n%s", diff)
				}
				if len(listed) == 0 {
					t.Fatal("the panel lists no attempt")
				}
				if want := min(i+1, 5); len(listed) != want || listed[0].ID != got.ID || listed[0].Reason != tc.want {
					t.Errorf("listed %d attempts, the first %d (%s); want %d, the first the one recorded, %d (%s)",
						len(listed), listed[0].ID, listed[0].Reason, want, got.ID, tc.want)
				}
			})
		}
	})
}

// TestAFailedAttemptWithItsListIsNoRecord: an attempt whose statement
// fails after it sent the panel's list (a trigger of the attempt's
// fails at the statement's end, after its rows) is an error and leaves
// no row, however long the player's list: the list never hides the
// failure that follows it. PostgreSQL only: SQLite reads no list with
// the attempt.
func TestAFailedAttemptWithItsListIsNoRecord(t *testing.T) {
	s := connectTest(t, pgtest.Schema(t))
	ctx := context.Background()
	p := newPlayer(t, s)
	for range 6 {
		if _, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: "nope", SID: "nope",
			Reason: quest.InvalidSID}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`CREATE FUNCTION refuse_boom() RETURNS TRIGGER AS $$ BEGIN RAISE EXCEPTION 'boom refused'; END; $$ LANGUAGE plpgsql`,
		`CREATE TRIGGER refuse_boom AFTER INSERT ON submissions FOR EACH ROW WHEN (NEW.sid = 'boom') EXECUTE FUNCTION refuse_boom()`,
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.RecordAttempt(quest.WithRecentAttempts(ctx, 5), quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms",
		RawSID: "boom", SID: "boom", Reason: quest.InvalidSID}, nil)
	if err == nil {
		t.Fatalf("recorded %+v, want the trigger's error", got)
	}
	list, err := s.RecentSubmissions(ctx, p.ID, "send-sms", 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range list {
		if sub.SID == "boom" {
			t.Fatalf("the failed attempt was stored: %+v", sub)
		}
	}
}
