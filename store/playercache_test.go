package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/secrets"
)

// TestAChangeAnywhereReachesTheNextRequest runs a server's store and
// another writer (a CLI command, a second instance) on one database. A
// player request reads the player, then what a HACK reads of them; the
// other writer changes it; the server's next request for that player sees
// the change, although the server kept the first reads in memory and
// heard nothing of the change. The request that read before the change
// keeps what it read: that is what the server answers from memory.
func TestAChangeAnywhereReachesTheNextRequest(t *testing.T) {
	// instructorID regrades, on each backend.
	var instructorID int64
	tests := []struct {
		name string
		// setup prepares the player through the server's store.
		setup func(ctx context.Context, s *Store, p quest.Player) error
		// change is the other writer's.
		change func(ctx context.Context, o *Store, p quest.Player) error
		// read is what a request reads of the player, as one string.
		read      func(ctx context.Context, s *Store, p quest.Player) string
		before    string
		after     string
		sameAfter bool // the change moves no version: the request after reads the same
	}{
		{
			name:   "an award",
			change: grant,
			read:   readAwards,
			before: "map[]", after: "map[send-sms:its SID]",
		},
		{
			name:  "a revoke",
			setup: grant,
			change: func(ctx context.Context, o *Store, p quest.Player) error {
				return o.Revoke(ctx, p.ID, "send-sms", instructorID, "test")
			},
			read: func(ctx context.Context, s *Store, p quest.Player) string {
				sub, err := s.AwardedSubmission(ctx, "send-sms", sidOf(p))
				return fmt.Sprintf("%v %v", sub.PlayerID == p.ID, errors.Is(err, quest.ErrNotFound))
			},
			before: "true false", after: "false true",
		},
		{
			name: "an award by hand",
			change: func(ctx context.Context, o *Store, p quest.Player) error {
				return o.AwardByHand(ctx, p.ID, "send-sms", 50, instructorID, "test")
			},
			read:   readAwards,
			before: "map[]", after: "map[send-sms:]",
		},
		{
			name:   "new credentials",
			setup:  saveAccount("AC1"),
			change: saveAccount("AC2"),
			read:   readAccount,
			before: "AC1 secret-AC1", after: "AC2 secret-AC2",
		},
		{
			name:   "first credentials",
			change: saveAccount("AC2"),
			read:   readAccount,
			before: "none", after: "AC2 secret-AC2",
		},
		{
			name:   "credentials deleted",
			setup:  saveAccount("AC1"),
			change: func(ctx context.Context, o *Store, p quest.Player) error { return o.DeleteCredentials(ctx, p.ID) },
			read:   readAccount,
			before: "AC1 secret-AC1", after: "none",
		},
		{
			name: "a cohort joined",
			change: func(ctx context.Context, o *Store, p quest.Player) error {
				c, err := cohortWithEvent(ctx, o, "joined", 9)
				if err != nil {
					return err
				}
				return o.JoinCohort(ctx, p.ID, c.ID, "")
			},
			read:   readEvent,
			before: "0", after: "9",
		},
		{
			name: "the event window moved",
			setup: func(ctx context.Context, s *Store, p quest.Player) error {
				c, err := cohortWithEvent(ctx, s, "moved", 9)
				if err != nil {
					return err
				}
				return s.JoinCohort(ctx, p.ID, c.ID, "")
			},
			change: func(ctx context.Context, o *Store, p quest.Player) error {
				ev, err := o.PlayerEvent(ctx, p.ID)
				if err != nil {
					return err
				}
				ev.Stuck.Failures = 4
				return o.SaveEvent(ctx, ev)
			},
			read:   readEvent,
			before: "9", after: "4",
		},
		{
			name:   "a hint revealed",
			setup:  revealHint(1, 10),
			change: revealHint(2, 25),
			read: func(ctx context.Context, s *Store, p quest.Player) string {
				cost, err := s.HintCost(ctx, p.ID, "send-sms")
				if err != nil {
					return err.Error()
				}
				return fmt.Sprint(cost)
			},
			before: "10", after: "35",
		},
		{
			// The objective's page lists the reveals, and the HACK after it
			// takes their cost from that read.
			name:   "a hint revealed, after the page listed them",
			setup:  revealHint(1, 10),
			change: revealHint(2, 25),
			read: func(ctx context.Context, s *Store, p quest.Player) string {
				if _, err := s.HintReveals(ctx, p.ID, "send-sms"); err != nil {
					return err.Error()
				}
				cost, err := s.HintCost(ctx, p.ID, "send-sms")
				if err != nil {
					return err.Error()
				}
				return fmt.Sprint(cost)
			},
			before: "10", after: "35",
		},
		{
			name:  "a repeat",
			setup: grant,
			change: func(ctx context.Context, o *Store, p quest.Player) error {
				_, err := o.RecordAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: sidOf(p),
					SID: sidOf(p), Reason: quest.AlreadyAwarded}, nil)
				return err
			},
			read:   readAwards,
			before: "map[send-sms:its SID]", after: "map[send-sms:its SID]", sameAfter: true,
		},
		{
			name: "a failed attempt",
			change: func(ctx context.Context, o *Store, p quest.Player) error {
				_, err := o.RecordAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: sid,
					SID: sid, Reason: quest.NotFound}, nil)
				return err
			},
			read:   readAwards,
			before: "map[]", after: "map[]", sameAfter: true,
		},
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		db := b.db(t)
		ring := secrets.NewRing(newKey(t))
		server, other := connectTest(t, db, WithSecrets(ring, nil)), connectTest(t, db, WithSecrets(ring, nil))
		in, err := other.CreateInstructor(t.Context(), "grace@example.org", "hash")
		if err != nil {
			t.Fatal(err)
		}
		instructorID = in.ID
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := t.Context()
				p := newPlayer(t, server)
				if tt.setup != nil {
					if err := tt.setup(ctx, server, p); err != nil {
						t.Fatal(err)
					}
				}
				first, err := server.Player(ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				request := quest.WithPlayerRead(ctx, first)
				if got := tt.read(request, server, p); got != tt.before {
					t.Fatalf("before the change: %q, want %q", got, tt.before)
				}
				if err := tt.change(ctx, other, p); err != nil {
					t.Fatal(err)
				}
				if got := tt.read(request, server, p); got != tt.before {
					t.Errorf("the request that read before the change: %q, want what it read, %q", got, tt.before)
				}
				next, err := server.Player(ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if moved := next.Version != first.Version; moved == tt.sameAfter {
					t.Errorf("version %d then %d: moved = %v, want %v", first.Version, next.Version, moved, !tt.sameAfter)
				}
				if got := tt.read(quest.WithPlayerRead(ctx, next), server, p); got != tt.after {
					t.Errorf("the next request: %q, want %q", got, tt.after)
				}
				if got := tt.read(ctx, server, p); got != tt.after {
					t.Errorf("a read with no player read: %q, want %q", got, tt.after)
				}
			})
		}
	})
}

// TestARequestReadsItsOwnChange: a request that changes its player
// through the server's store and reads them again, at the version it read
// before, reads its change.
func TestARequestReadsItsOwnChange(t *testing.T) {
	tests := []struct {
		name   string
		change func(ctx context.Context, s *Store, p quest.Player) error
		read   func(ctx context.Context, s *Store, p quest.Player) string
		want   string
	}{
		{"an award", grant, readAwards, "map[send-sms:its SID]"},
		{"credentials", saveAccount("AC3"), readAccount, "AC3 secret-AC3"},
		{"a sandbox account made on a HACK", func(ctx context.Context, s *Store, p quest.Player) error {
			_, err := s.SaveCredentialsIfNone(ctx, quest.Credentials{PlayerID: p.ID, AccountSID: "AC4", Secret: "secret-AC4", Sandbox: true})
			return err
		}, readAccount, "AC4 secret-AC4"},
		{"a cohort joined", func(ctx context.Context, s *Store, p quest.Player) error {
			c, err := cohortWithEvent(ctx, s, "own", 7)
			if err != nil {
				return err
			}
			return s.JoinCohort(ctx, p.ID, c.ID, "")
		}, readEvent, "7"},
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := t.Context()
				p := newPlayer(t, s)
				first, err := s.Player(ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				request := quest.WithPlayerRead(ctx, first)
				tt.read(request, s, p)
				if err := tt.change(request, s, p); err != nil {
					t.Fatal(err)
				}
				if got := tt.read(request, s, p); got != tt.want {
					t.Errorf("after its change the request reads %q, want %q", got, tt.want)
				}
			})
		}
	})
}

// TestCachedReadsAreTheCallersOwn: a caller changing what it got changes
// nothing another request reads.
func TestCachedReadsAreTheCallersOwn(t *testing.T) {
	s := backends()[0].open(t)
	ctx := t.Context()
	p := newPlayer(t, s)
	if err := grant(ctx, s, p); err != nil {
		t.Fatal(err)
	}
	read, err := s.Player(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	request := quest.WithPlayerRead(ctx, read)
	for range 2 {
		awards, err := s.Awards(request, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(awards) != 1 {
			t.Fatalf("awards = %v, want the one", awards)
		}
		awards["other"] = quest.Award{}
		sub, err := s.AwardedSubmission(request, "send-sms", sidOf(p))
		if err != nil {
			t.Fatal(err)
		}
		if sub.Message == nil || sub.Message.Body != "hello" {
			t.Fatalf("the awarded submission's message = %+v, want its body", sub.Message)
		}
		sub.Message.Body = "changed"
	}
}

// grant records an awarded attempt for the player, with a SID of their
// own (sidOf).
func grant(ctx context.Context, s *Store, p quest.Player) error {
	sid := sidOf(p)
	_, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: sid, SID: sid,
		Message: &quest.Message{SID: sid, Body: "hello"}}, &quest.Award{XP: 100})
	return err
}

// sidOf is a message SID for p alone: a SID wins one award.
func sidOf(p quest.Player) string {
	sum := sha256.Sum256([]byte(p.ID))
	return "SM" + hex.EncodeToString(sum[:16])
}

// saveAccount saves credentials of account for the player.
func saveAccount(account string) func(ctx context.Context, s *Store, p quest.Player) error {
	return func(ctx context.Context, s *Store, p quest.Player) error {
		return s.SaveCredentials(ctx, quest.Credentials{PlayerID: p.ID, AccountSID: account, Secret: "secret-" + account})
	}
}

// cohortWithEvent creates a cohort whose event's stuck rule counts
// failures, which the reads below show.
func cohortWithEvent(ctx context.Context, s *Store, name string, failures int) (quest.Cohort, error) {
	c, err := s.CreateCohort(ctx, quest.Cohort{Name: name, JoinCode: "CODE" + name})
	if err != nil {
		return quest.Cohort{}, err
	}
	ev := quest.DefaultEvent(c.ID)
	ev.Start = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	ev.Stuck.Failures = failures
	return c, s.SaveEvent(ctx, ev)
}

func readAwards(ctx context.Context, s *Store, p quest.Player) string {
	awards, err := s.Awards(ctx, p.ID)
	if err != nil {
		return err.Error()
	}
	out := map[string]string{}
	for id, a := range awards {
		out[id] = a.SID
		if a.SID == sidOf(p) {
			out[id] = "its SID"
		}
	}
	return fmt.Sprint(out)
}

func readAccount(ctx context.Context, s *Store, p quest.Player) string {
	c, err := s.Credentials(ctx, p.ID)
	if errors.Is(err, quest.ErrNotFound) {
		return "none"
	}
	if err != nil {
		return err.Error()
	}
	return c.AccountSID + " " + c.Secret
}

func readEvent(ctx context.Context, s *Store, p quest.Player) string {
	ev, err := s.PlayerEvent(ctx, p.ID)
	if err != nil {
		return err.Error()
	}
	if ev.CohortID == 0 {
		return "0"
	}
	return fmt.Sprint(ev.Stuck.Failures)
}

// revealHint reveals stage of send-sms's hints, costing cost.
func revealHint(stage, cost int) func(ctx context.Context, s *Store, p quest.Player) error {
	return func(ctx context.Context, s *Store, p quest.Player) error {
		_, err := s.RevealHint(ctx, quest.HintReveal{PlayerID: p.ID, ObjectiveID: "send-sms", Stage: stage, Cost: cost})
		return err
	}
}

// TestThePageListsHintsForTheHACK: the objective page's list of a
// player's reveals leaves their cost in the cache, so that the HACK
// after the page, by a request that read the player at the same version,
// does not read it again: it answers what the page read, although
// another instance revealed a hint since (which moved the version, for
// the requests after).
func TestThePageListsHintsForTheHACK(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db := b.db(t)
		server, other := connectTest(t, db), connectTest(t, db)
		p := newPlayer(t, server)
		if err := revealHint(1, 10)(ctx, server, p); err != nil {
			t.Fatal(err)
		}
		read, err := server.Player(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		request := quest.WithPlayerRead(ctx, read)
		if list, err := server.HintReveals(request, p.ID, "send-sms"); err != nil || len(list) != 1 {
			t.Fatalf("the page lists %v (%v), want one reveal", list, err)
		}
		if err := revealHint(2, 25)(ctx, other, p); err != nil {
			t.Fatal(err)
		}
		if cost, err := server.HintCost(request, p.ID, "send-sms"); err != nil || cost != 10 {
			t.Errorf("the HACK after the page: %d XP (%v), want the page's 10", cost, err)
		}
	})
}

// TestAGamesNewPlayerIsKnownWithoutReading: a game's first call for a
// player creates them and verifies their SID in the same request. That
// request's reads of the player (what a HACK reads before its work) are
// what a new player holds, answered with the database out of reach; a
// change made anywhere afterwards reaches the next request.
func TestAGamesNewPlayerIsKnownWithoutReading(t *testing.T) {
	tests := []struct {
		name   string
		read   func(ctx context.Context, s *Store, p quest.Player) string
		fresh  string
		change func(ctx context.Context, o *Store, p quest.Player) error
		after  string
	}{
		{"awards", readAwards, "map[]", grant, "map[send-sms:its SID]"},
		{"credentials", readAccount, "none", saveAccount("AC5"), "AC5 secret-AC5"},
		{"event window", readEvent, "0", func(ctx context.Context, o *Store, p quest.Player) error {
			c, err := cohortWithEvent(ctx, o, "new-"+p.ID, 6)
			if err != nil {
				return err
			}
			return o.JoinCohort(ctx, p.ID, c.ID, "")
		}, "6"},
		{"hints' cost", func(ctx context.Context, s *Store, p quest.Player) string {
			cost, err := s.HintCost(ctx, p.ID, "send-sms")
			if err != nil {
				return err.Error()
			}
			return fmt.Sprint(cost)
		}, "0", revealHint(1, 10), "10"},
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		db := b.db(t)
		ring := secrets.NewRing(newKey(t))
		server, other := connectTest(t, db, WithSecrets(ring, nil)), connectTest(t, db, WithSecrets(ring, nil))
		ctx := t.Context()
		if _, err := server.CreateAPIKey(ctx, quest.APIKey{ID: "key_1", Name: "game", Hash: "h", Prefix: "qg_live_abcd", SigningSecret: "s"}); err != nil {
			t.Fatal(err)
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, err := server.APIPlayer(ctx, "key_1", fmt.Sprint("new-", i), "Ada")
				if err != nil {
					t.Fatal(err)
				}
				// A closed store's reader fails every statement.
				gone := connectTest(t, db)
				gone.Close()
				reader := server.r
				server.r = gone.r
				got := tt.read(quest.WithPlayerRead(ctx, p), server, p)
				server.r = reader
				if got != tt.fresh {
					t.Fatalf("the creating request, with the database out of reach: %q, want %q", got, tt.fresh)
				}
				if err := tt.change(ctx, other, p); err != nil {
					t.Fatal(err)
				}
				next, err := server.Player(ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got := tt.read(quest.WithPlayerRead(ctx, next), server, p); got != tt.after {
					t.Errorf("the next request after a change: %q, want %q", got, tt.after)
				}
			})
		}
	})
}
