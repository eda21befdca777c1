package store

import (
	"context"
	"testing"
	"time"

	"github.com/questgate/questgate/internal/testkit/pgtest"
	"github.com/questgate/questgate/quest"
)

// TestAnAwardWhoseRequestGoesAwayLeavesNothing: on PostgreSQL, an award
// whose request ends while its pipelined batch waits for a lock (another
// instance awarding the same player the same objective) writes nothing,
// and leaves the store recording awards as usual: no connection goes
// back to the pool in the middle of a transaction.
func TestAnAwardWhoseRequestGoesAwayLeavesNothing(t *testing.T) {
	ctx := t.Context()
	s := connectTest(t, pgtest.Schema(t))
	p := newPlayer(t, s)
	holder, err := s.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	key := awardKey("send-sms", p.ID)
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_lock(hashtextextended(current_schema() || ':' || ?, 0))`, key); err != nil {
		t.Fatal(err)
	}

	reqCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := s.RecordAttempt(reqCtx, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: sid, SID: sid},
			&quest.Award{XP: 100})
		done <- err
	}()
	// Wait until the award waits on the lock; the deadline only bounds a hang.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND pid <> pg_backend_pid()
			AND query LIKE '%pg_advisory_xact_lock%'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the award never waited on its lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the award whose request went away succeeded")
	}
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_unlock_all()`); err != nil {
		t.Fatal(err)
	}

	var rows int
	if err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM submissions) + (SELECT count(*) FROM awards)`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("%d submissions and awards (%v) after the award went away, want none", rows, err)
	}
	for i := range 8 {
		got, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: sid, SID: sid}, &quest.Award{XP: 100})
		want := quest.AlreadyAwarded
		if i == 0 {
			want = quest.Awarded
		}
		if err != nil || got.Reason != want {
			t.Fatalf("attempt %d after: %s (%v), want %s", i+1, got.Reason, err, want)
		}
	}
}
