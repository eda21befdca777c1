package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/questgate/questgate/internal/testkit/pgtest"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/secrets"
)

// TestMigrationsWaitForAnExplicitMigrate opens a new database without
// migrating (serve --no-migrate), then migrates it as `questgate migrate`
// does: everything at once, then nothing.
func TestMigrationsWaitForAnExplicitMigrate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t, WithoutMigrations())
		p, err := s.provider()
		if err != nil {
			t.Fatal(err)
		}
		if pending, err := p.HasPending(ctx); err != nil || !pending {
			t.Fatalf("HasPending = %v, %v; want true", pending, err)
		}
		n, err := s.Migrate(ctx)
		if want := len(p.ListSources()); err != nil || n != want {
			t.Fatalf("Migrate = %d, %v; want %d", n, err, want)
		}
		if n, err := s.Migrate(ctx); err != nil || n != 0 {
			t.Fatalf("second Migrate = %d, %v; want 0", n, err)
		}
		if pending, err := p.HasPending(ctx); err != nil || pending {
			t.Errorf("after Migrate, HasPending = %v, %v", pending, err)
		}
		if _, err := s.CreatePlayer(ctx); err != nil {
			t.Errorf("the migrated store: %v", err)
		}
		if s.Backend() != b.name {
			t.Errorf("Backend() = %q, want %q", s.Backend(), b.name)
		}
	})
}

// TestInstancesStartingTogetherMigrateOnce starts several instances on
// one new PostgreSQL database at once: one migrates, the others wait for
// it and find nothing to do. (A SQLite file belongs to one server.)
func TestInstancesStartingTogetherMigrateOnce(t *testing.T) {
	db := pgtest.Schema(t)
	const n = 4
	stores := make([]*Store, n)
	applied := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			stores[i], errs[i] = Connect(context.Background(), db, WithoutMigrations())
			if errs[i] == nil {
				applied[i], errs[i] = stores[i].Migrate(context.Background())
			}
		})
	}
	wg.Wait()
	total := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		defer stores[i].Close()
		total += applied[i]
	}
	p, err := stores[0].provider()
	if err != nil {
		t.Fatal(err)
	}
	if want := len(p.ListSources()); total != want {
		t.Errorf("instances applied %d migrations in all (%v), want %d", total, applied, want)
	}
}

// TestTwoInstancesAwardASIDOnce races 200 submissions of one winning SID,
// by four players through two stores on one database: exactly one award.
func TestTwoInstancesAwardASIDOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.db(t)
		stores := []*Store{connectTest(t, db), connectTest(t, db)}
		var players []quest.Player
		for range 4 {
			players = append(players, newPlayer(t, stores[0]))
		}
		const n = 200
		count := awardConcurrently(t, n, func(i int) (*Store, string) { return stores[i%2], players[i%len(players)].ID })
		if count[quest.Awarded] != 1 || count[quest.AlreadyAwarded]+count[quest.SIDAlreadyUsed] != n-1 {
			t.Errorf("reasons %v, want one award and %d refusals", count, n-1)
		}
		awards := 0
		for _, p := range players {
			a, err := stores[1].Awards(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			awards += len(a)
		}
		if awards != 1 {
			t.Errorf("%d awards in the database, want 1", awards)
		}
	})
}

// TestTwoInstancesAwardAPlayerOnceWhateverTheSID has one player send many
// different SIDs at one objective through two stores on one database,
// while an instructor awards it by hand: one award wins, every other
// HACK is told already_awarded (never an error), and the hand award is
// refused with ErrExists when a HACK went first. Awards lock per player
// and objective, not per objective, so that other players' awards of the
// same objective go on meanwhile.
func TestTwoInstancesAwardAPlayerOnceWhateverTheSID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.db(t)
		stores := []*Store{connectTest(t, db), connectTest(t, db)}
		in, err := stores[0].CreateInstructor(ctx, "grace@example.org", "hash")
		if err != nil {
			t.Fatal(err)
		}
		p := newPlayer(t, stores[0])
		const n = 40
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			count  = map[quest.Reason]int{}
			byHand error
		)
		for i := range n {
			wg.Go(func() {
				sid := fmt.Sprintf("SM%032x", i)
				sub, err := stores[i%2].RecordAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms",
					RawSID: sid, SID: sid}, &quest.Award{XP: 100})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				count[sub.Reason]++
				mu.Unlock()
			})
		}
		wg.Go(func() { byHand = stores[1].AwardByHand(ctx, p.ID, "send-sms", 100, in.ID, "saw it sent") })
		wg.Wait()
		wins := count[quest.Awarded]
		if byHand == nil {
			wins++
		} else if !errors.Is(byHand, quest.ErrExists) {
			t.Errorf("AwardByHand: %v, want nil or ErrExists", byHand)
		}
		if wins != 1 || count[quest.Awarded]+count[quest.AlreadyAwarded] != n {
			t.Errorf("reasons %v, award by hand %v: want one award in all, every other HACK already_awarded", count, byHand)
		}
		awards, err := stores[0].Awards(ctx, p.ID)
		if err != nil || len(awards) != 1 {
			t.Errorf("awards %v (%v), want one", awards, err)
		}
	})
}

// TestTwoInstancesNeverClaimTheSameWebhook has delivery workers of two
// stores on one database claim the outbox concurrently: every event is
// claimed, and by one worker only.
func TestTwoInstancesNeverClaimTheSameWebhook(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.db(t)
		// Instances share the secret key, as they must to open what the
		// others sealed.
		ring := secrets.NewRing(newKey(t))
		stores := []*Store{connectTest(t, db, WithSecrets(ring, nil)), connectTest(t, db, WithSecrets(ring, nil))}
		s := stores[0]
		if _, err := s.CreateAPIKey(ctx, quest.APIKey{ID: "key_1", Name: "game", Hash: "h", Prefix: "qg_live_abcd", SigningSecret: "s"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddWebhookEndpoint(ctx, quest.WebhookEndpoint{APIKeyID: "key_1", URL: "https://game.example/hooks", Secret: "whsec_c2VjcmV0"}); err != nil {
			t.Fatal(err)
		}
		const events = 60
		for i := range events {
			apiPlayer, err := s.APIPlayer(ctx, "key_1", fmt.Sprint("p", i), "")
			player := apiPlayer.ID
			if err != nil {
				t.Fatal(err)
			}
			sid := fmt.Sprintf("SM%032d", i)
			if _, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: player, ObjectiveID: "send-sms", RawSID: sid, SID: sid},
				&quest.Award{XP: 100}); err != nil {
				t.Fatal(err)
			}
		}
		var (
			mu      sync.Mutex
			claimed = map[string]int{}
			wg      sync.WaitGroup
		)
		for w := range 8 {
			wg.Go(func() {
				for {
					d, err := stores[w%2].ClaimWebhooks(ctx, time.Hour, WebhookClaim{Limit: 3})
					if err != nil {
						t.Error(err)
						return
					}
					if len(d) == 0 {
						return
					}
					mu.Lock()
					for _, e := range d {
						claimed[e.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(claimed) != events {
			t.Errorf("%d events claimed, want %d", len(claimed), events)
		}
		for id, n := range claimed {
			if n != 1 {
				t.Errorf("event %s claimed %d times", id, n)
			}
		}
	})
}

// TestReadyFollowsTheDatabase cuts PostgreSQL away from a store, then
// brings it back: Ready (what /readyz asks) fails meanwhile, and answers
// again once the database is back, without restarting anything.
func TestReadyFollowsTheDatabase(t *testing.T) {
	db, px := pgtest.Via(t, pgtest.Schema(t))
	s := connectTest(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready with the database up: %v", err)
	}
	px.Stop()
	if err := s.Ready(ctx); err == nil {
		t.Fatal("Ready with the database unreachable")
	}
	px.Start()
	for {
		err := s.Ready(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("Ready after the database came back: %v", err)
		}
	}
	if _, err := s.CreatePlayer(ctx); err != nil {
		t.Errorf("after the database came back: %v", err)
	}
}

// TestTwoInstancesShareAPIState races first requests through two stores:
// an Idempotency-Key is reserved once, and a game's new player is created
// once.
func TestTwoInstancesShareAPIState(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.db(t)
		stores := []*Store{connectTest(t, db), connectTest(t, db)}
		if _, err := stores[0].CreateAPIKey(ctx, quest.APIKey{ID: "key_1", Name: "game", Hash: "h", Prefix: "qg_live_abcd", SigningSecret: "s"}); err != nil {
			t.Fatal(err)
		}
		const n = 40
		var (
			mu       sync.Mutex
			reserved int
			players  = map[string]int{}
			wg       sync.WaitGroup
		)
		for i := range n {
			wg.Go(func() {
				s := stores[i%2]
				_, ok, err := s.ReserveIdempotency(ctx, "key_1", "idem-1", "hash")
				if err != nil {
					t.Error(err)
					return
				}
				apiPlayer, err := s.APIPlayer(ctx, "key_1", "p42", "Ada")
				id := apiPlayer.ID
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if ok {
					reserved++
				}
				players[id]++
			})
		}
		wg.Wait()
		if reserved != 1 {
			t.Errorf("the key was reserved %d times, want once", reserved)
		}
		if len(players) != 1 {
			t.Errorf("%d players created for one external id, want 1", len(players))
		}
	})
}

func TestWithPoolSizesTheReaders(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t, WithPool(PoolOptions{MaxOpen: 3, MaxIdle: 2, MaxLifetime: time.Minute, MaxIdleTime: time.Second}))
		if got := s.r.Stats().MaxOpenConnections; got != 3 {
			t.Errorf("readers: %d connections at most, want 3", got)
		}
		if !s.pg {
			if got := s.w.Stats().MaxOpenConnections; got != 1 {
				t.Errorf("SQLite writer: %d connections at most, want 1", got)
			}
		}
	})
}
