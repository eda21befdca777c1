package store

import (
	"context"
	"testing"
	"time"

	"github.com/questgate/questgate/quest"
)

// BenchmarkHackQueries runs the store's share of a repeated HACK, the
// request the load benchmark's repeats scenario sends: the session lookup
// and write, the already-awarded lookup, the player's awards, the attempt
// recorded in a write transaction, and the recent attempts the hack panel
// lists. Each query is small, so what SQLite spends compiling statements
// shows here.
func BenchmarkHackQueries(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ss := s.SessionStore(0)
	defer ss.Stop()
	p, err := s.CreatePlayer(ctx)
	if err != nil {
		b.Fatal(err)
	}
	sub := quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: sid, SID: sid}
	if _, err := s.RecordAttempt(ctx, sub, &quest.Award{XP: 100}); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 120)
	if err := ss.Commit("tok", data, time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	reads := func(b *testing.B) {
		if _, ok, err := ss.Find("tok"); err != nil || !ok {
			b.Fatal(ok, err)
		}
		if _, err := s.AwardedSubmission(ctx, sub.ObjectiveID, sid); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Awards(ctx, p.ID); err != nil {
			b.Fatal(err)
		}
		if _, err := s.RecentSubmissions(ctx, p.ID, sub.ObjectiveID, 5); err != nil {
			b.Fatal(err)
		}
	}
	// reads are the repeat's reads alone: no write, no WAL to grow.
	b.Run("reads", func(b *testing.B) {
		for b.Loop() {
			reads(b)
		}
	})
	b.Run("repeat", func(b *testing.B) {
		repeat := sub
		repeat.Reason = quest.AlreadyAwarded
		for b.Loop() {
			reads(b)
			if _, err := s.RecordAttempt(ctx, repeat, nil); err != nil {
				b.Fatal(err)
			}
			if err := ss.Commit("tok", data, time.Now().Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
