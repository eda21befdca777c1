package store

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/questgate/questgate/quest"
)

// TestGameAccounts: a game account makes its player once, keeps the
// proof it was last given, puts the player in the cohort under the name
// given (keeping it when none is), and changes nothing for a cohort that
// is missing or archived.
func TestGameAccounts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		const sid = "AC0123456789abcdef0123456789abcdef"
		if _, err := s.GameAccount(ctx, sid); !errors.Is(err, quest.ErrNotFound) {
			t.Fatalf("unknown account: %v", err)
		}
		c, err := s.CreateCohort(ctx, quest.Cohort{Name: "Quest night", JoinCode: "GAME2345"})
		if err != nil {
			t.Fatal(err)
		}
		first, err := s.SaveGameAccount(ctx, quest.GameAccount{AccountSID: sid, Proof: "proof-1"}, c.ID, "Ada")
		if err != nil || !first.New || first.PlayerID == "" {
			t.Fatalf("first sign-in: %+v, %v", first, err)
		}
		again, err := s.SaveGameAccount(ctx, quest.GameAccount{AccountSID: sid, Proof: "proof-2"}, c.ID, "")
		if err != nil || again.New || again.PlayerID != first.PlayerID {
			t.Fatalf("second sign-in: %+v, %v (first %s)", again, err, first.PlayerID)
		}
		got, err := s.GameAccount(ctx, sid)
		if err != nil || got.PlayerID != first.PlayerID || got.Proof != "proof-2" {
			t.Errorf("account = %+v, %v", got, err)
		}
		if p, err := s.Player(ctx, first.PlayerID); err != nil || p.CohortID != c.ID || p.DisplayName != "Ada" {
			t.Errorf("player = %+v, %v", p, err)
		}

		other, err := s.CreateCohort(ctx, quest.Cohort{Name: "Closed", JoinCode: "SHUT2345"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetArchived(ctx, other.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveGameAccount(ctx, quest.GameAccount{AccountSID: sid, Proof: "proof-3"}, other.ID, "Bob"); !errors.Is(err, quest.ErrArchived) {
			t.Errorf("archived cohort: %v", err)
		}
		if _, err := s.SaveGameAccount(ctx, quest.GameAccount{AccountSID: sid, Proof: "proof-3"}, other.ID+100, "Bob"); !errors.Is(err, quest.ErrNotFound) {
			t.Errorf("missing cohort: %v", err)
		}
		if got, _ := s.GameAccount(ctx, sid); got.Proof != "proof-2" {
			t.Errorf("a refused sign-in changed the proof to %q", got.Proof)
		}
		if p, _ := s.Player(ctx, first.PlayerID); p.CohortID != c.ID || p.DisplayName != "Ada" {
			t.Errorf("a refused sign-in changed the player: %+v", p)
		}
	})
}

// TestGameAccountFirstSignInsRace: two first sign-ins of one account at
// once make one player.
func TestGameAccountFirstSignInsRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		c, err := s.CreateCohort(ctx, quest.Cohort{Name: "Race", JoinCode: "RACE2345"})
		if err != nil {
			t.Fatal(err)
		}
		const n = 8
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				a, err := s.SaveGameAccount(ctx, quest.GameAccount{AccountSID: "ACfedcba9876543210fedcba9876543210", Proof: "p"}, c.ID, "")
				ids[i], errs[i] = a.PlayerID, err
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("sign-in %d: %v", i, errs[i])
			}
			if ids[i] != ids[0] {
				t.Errorf("sign-in %d made player %s, another %s", i, ids[i], ids[0])
			}
		}
	})
}
