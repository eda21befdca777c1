package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/questgate/questgate/quest"
)

func TestWorkshopEventWindow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		c, err := s.CreateCohort(ctx, quest.Cohort{Name: "day", JoinCode: "EVNT2345"})
		if err != nil {
			t.Fatal(err)
		}
		p := newPlayer(t, s)
		if got, err := s.PlayerEvent(ctx, p.ID); err != nil || got != quest.DefaultEvent(0) {
			t.Fatalf("player in no cohort: %+v, %v", got, err)
		}
		if got, err := s.CohortEvent(ctx, c.ID); err != nil || got != quest.DefaultEvent(c.ID) {
			t.Fatalf("cohort without event: %+v, %v", got, err)
		}
		if err := s.JoinCohort(ctx, p.ID, c.ID, "Ada"); err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
		want := quest.Event{CohortID: c.ID, Start: start, End: start.Add(3 * time.Hour), TimeZone: "Europe/Paris",
			Stuck: quest.StuckRule{Failures: 4, Minutes: 7}}
		if err := s.SaveEvent(ctx, want); err != nil {
			t.Fatal(err)
		}
		for name, read := range map[string]func() (quest.Event, error){
			"cohort": func() (quest.Event, error) { return s.CohortEvent(ctx, c.ID) },
			"player": func() (quest.Event, error) { return s.PlayerEvent(ctx, p.ID) },
		} {
			got, err := read()
			if err != nil || !got.Start.Equal(want.Start) || !got.End.Equal(want.End) || got.TimeZone != want.TimeZone ||
				got.Stuck != want.Stuck || got.CohortID != c.ID {
				t.Errorf("%s event = %+v, %v; want %+v", name, got, err, want)
			}
		}
		// Clearing the start keeps it cleared.
		want.Start = time.Time{}
		if err := s.SaveEvent(ctx, want); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.CohortEvent(ctx, c.ID); !got.Start.IsZero() || !got.End.Equal(want.End) {
			t.Errorf("after clearing the start: %+v", got)
		}
		if err := s.SaveEvent(ctx, quest.Event{CohortID: 999, TimeZone: "UTC"}); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("event of a missing cohort: %v", err)
		}
	})
}

func TestWorkshopAnnouncements(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		a, err := s.CreateCohort(ctx, quest.Cohort{Name: "A", JoinCode: "ANNA2345"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.CreateCohort(ctx, quest.Cohort{Name: "B", JoinCode: "ANNB2345"})
		if err != nil {
			t.Fatal(err)
		}
		in, err := s.CreateInstructor(ctx, "teach@example.com", "hash")
		if err != nil {
			t.Fatal(err)
		}
		for _, an := range []quest.Announcement{
			{CohortID: a.ID, InstructorID: in.ID, Body: "Break at 10:30"},
			{InstructorID: in.ID, Body: "Everyone: lunch"},
			{CohortID: other.ID, InstructorID: in.ID, Body: "B only"},
		} {
			if _, err := s.AddAnnouncement(ctx, an); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.AnnouncementsFor(ctx, a.ID, 10)
		if err != nil || len(got) != 2 || got[0].Body != "Everyone: lunch" || got[1].Body != "Break at 10:30" ||
			got[1].CohortName != "A" || got[1].InstructorEmail != "teach@example.com" {
			t.Fatalf("cohort A hears %+v, %v", got, err)
		}
		all, err := s.AllAnnouncements(ctx, 0, 10)
		if err != nil || len(all) != 3 {
			t.Fatalf("all = %+v, %v", all, err)
		}
		one, err := s.Announcement(ctx, all[0].ID)
		if err != nil || one.Body != "B only" {
			t.Errorf("Announcement = %+v, %v", one, err)
		}
		if _, err := s.Announcement(ctx, 9999); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("missing announcement: %v", err)
		}
		if _, err := s.AddAnnouncement(ctx, quest.Announcement{CohortID: 999, Body: "x"}); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("announcement to a missing cohort: %v", err)
		}
	})
}

func TestWorkshopHintReveals(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p := newPlayer(t, s)
		if _, err := s.RevealHint(ctx, quest.HintReveal{PlayerID: p.ID, ObjectiveID: "send-sms", Stage: 2}); !errors.Is(err, quest.ErrHintOrder) {
			t.Errorf("stage 2 first: %v", err)
		}
		first, err := s.RevealHint(ctx, quest.HintReveal{PlayerID: p.ID, ObjectiveID: "send-sms", Stage: 1, Cost: 5})
		if err != nil || first.Cost != 5 {
			t.Fatalf("stage 1 = %+v, %v", first, err)
		}
		again, err := s.RevealHint(ctx, quest.HintReveal{PlayerID: p.ID, ObjectiveID: "send-sms", Stage: 1, Cost: 50})
		if err != nil || again.Cost != 5 {
			t.Errorf("stage 1 again = %+v, %v; want the first reveal", again, err)
		}
		if _, err := s.RevealHint(ctx, quest.HintReveal{PlayerID: p.ID, ObjectiveID: "send-sms", Stage: 2}); err != nil {
			t.Fatal(err)
		}
		list, err := s.HintReveals(ctx, p.ID, "")
		if err != nil || len(list) != 2 || list[0].Stage != 1 || list[1].Stage != 2 {
			t.Fatalf("reveals = %+v, %v", list, err)
		}
		if list, _ := s.HintReveals(ctx, "", "make-call"); len(list) != 0 {
			t.Errorf("another objective's reveals: %+v", list)
		}
		if _, err := s.RevealHint(ctx, quest.HintReveal{PlayerID: "nobody", ObjectiveID: "send-sms", Stage: 1}); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("reveal for a missing player: %v", err)
		}
	})
}

func TestWorkshopRosterIsIdempotent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		c, err := s.CreateCohort(ctx, quest.Cohort{Name: "A", JoinCode: "ROST2345"})
		if err != nil {
			t.Fatal(err)
		}
		lines := []quest.RosterLine{{Name: "Ada"}, {Name: "Grace", Email: "grace@example.com"}}
		first, err := s.ImportRoster(ctx, c.ID, lines)
		if err != nil || len(first) != 2 || first[0].Token == "" || first[0].Token == first[1].Token {
			t.Fatalf("import = %+v, %v", first, err)
		}
		second, err := s.ImportRoster(ctx, c.ID, append(lines, quest.RosterLine{Name: "Linus"}))
		if err != nil || len(second) != 3 || second[0].Token != first[0].Token || second[1].Token != first[1].Token {
			t.Fatalf("re-import = %+v, %v; want the same tokens", second, err)
		}
		p := newPlayer(t, s)
		if err := s.ClaimRosterLine(ctx, first[1].Token, p.ID); err != nil {
			t.Fatal(err)
		}
		got, err := s.RosterLine(ctx, first[1].Token)
		if err != nil || got.Name != "Grace" || got.Email != "grace@example.com" || got.PlayerID != p.ID || got.CohortID != c.ID {
			t.Errorf("RosterLine = %+v, %v", got, err)
		}
		if _, err := s.RosterLine(ctx, "nope"); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("unknown token: %v", err)
		}
	})
}
