package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/quest"
)

func TestCohorts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		c, err := s.CreateCohort(ctx, quest.Cohort{Name: `Workshop "A"; DROP TABLE players; --`, JoinCode: "ABCD2345"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateCohort(ctx, quest.Cohort{Name: "other", JoinCode: "ABCD2345"}); !errors.Is(err, quest.ErrConflict) {
			t.Errorf("duplicate join code: err = %v, want ErrConflict", err)
		}
		got, err := s.CohortByCode(ctx, "ABCD2345")
		if err != nil || got.ID != c.ID || got.Name != c.Name || got.Archived {
			t.Fatalf("CohortByCode = %+v, %v", got, err)
		}
		if _, err := s.CohortByCode(ctx, "ZZZZ2345"); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("unknown code: %v", err)
		}

		p := newPlayer(t, s)
		if err := s.JoinCohort(ctx, p.ID, c.ID, "Ada <b>"); err != nil {
			t.Fatal(err)
		}
		read, err := s.Player(ctx, p.ID)
		if err != nil || read.CohortID != c.ID || read.DisplayName != "Ada <b>" {
			t.Fatalf("player after join = %+v, %v", read, err)
		}
		// Joining again without a name keeps the name.
		if err := s.JoinCohort(ctx, p.ID, c.ID, ""); err != nil {
			t.Fatal(err)
		}
		if read, _ := s.Player(ctx, p.ID); read.DisplayName != "Ada <b>" {
			t.Errorf("name lost: %q", read.DisplayName)
		}

		if err := s.SetArchived(ctx, c.ID, true); err != nil {
			t.Fatal(err)
		}
		q := newPlayer(t, s)
		if err := s.JoinCohort(ctx, q.ID, c.ID, "Bob"); !errors.Is(err, quest.ErrArchived) {
			t.Errorf("joining an archived cohort: %v", err)
		}
		if read, _ := s.Player(ctx, q.ID); read.CohortID != 0 || read.DisplayName != "" {
			t.Errorf("a refused join changed the player: %+v", read)
		}
		if err := s.JoinCohort(ctx, q.ID, 999, "Bob"); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("joining a missing cohort: %v", err)
		}
		if err := s.JoinCohort(ctx, "pl_nobody", c.ID-0, ""); err == nil {
			t.Error("a missing player joined")
		}
		if err := s.SetDisplayName(ctx, "pl_nobody", "x"); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("SetDisplayName of a missing player: %v", err)
		}
	})
}

func TestSessionStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		ss := s.SessionStore(time.Hour)
		defer ss.Stop()
		if err := ss.Commit("tok", []byte("data"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := ss.Commit("old", []byte("gone"), time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if b, ok, err := ss.Find("tok"); err != nil || !ok || string(b) != "data" {
			t.Errorf("Find = %q %v %v", b, ok, err)
		}
		if _, ok, err := ss.Find("old"); err != nil || ok {
			t.Errorf("an expired session was found: %v %v", ok, err)
		}
		all, err := ss.All()
		if err != nil || len(all) != 1 {
			t.Errorf("All = %v, %v", all, err)
		}
		if err := ss.Delete("tok"); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := ss.Find("tok"); ok {
			t.Error("a deleted session was found")
		}
	})
}

// BenchmarkSessionRequest is what sessions cost each player request: a
// lookup, and (with an idle timeout, which moves the expiry) a write.
func BenchmarkSessionRequest(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir()+"/q.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ss := s.SessionStore(0)
	data := make([]byte, 120)
	if err := ss.Commit("tok", data, time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok, err := ss.Find("tok"); err != nil || !ok {
			b.Fatal(ok, err)
		}
		if err := ss.Commit("tok", data, time.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestListAndRenameCohorts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		ada, bob := newPlayer(t, s), newPlayer(t, s)
		old := joinNewCohort(t, s, "Old", ada)
		cur := joinNewCohort(t, s, "Current", bob)
		if err := s.SetArchived(ctx, old.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := s.RenameCohort(ctx, cur.ID, "Current (Lyon)"); err != nil {
			t.Fatal(err)
		}
		if err := s.RenameCohort(ctx, 999, "x"); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("renaming no cohort: %v", err)
		}
		list, err := s.ListCohorts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		type line struct {
			Name     string
			Code     string
			Archived bool
			Players  int
		}
		var got []line
		for _, c := range list {
			got = append(got, line{c.Name, c.JoinCode, c.Archived, c.Players})
		}
		want := []line{{"Current (Lyon)", cur.JoinCode, false, 1}, {"Old", old.JoinCode, true, 1}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cohorts (-want +got):\n%s", diff)
		}
	})
}
