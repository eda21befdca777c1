package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/questgate/questgate/quest"
)

// TestWebhookLeases walks an event through the outbox: a claim leases it,
// a crashed worker's lease runs out and the event is claimed again under
// the same id, a failure schedules a retry, a success ends it, and an
// instructor's redelivery makes it due again.
func TestWebhookLeases(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		now := clockAt(s, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
		if _, err := s.CreateAPIKey(ctx, quest.APIKey{ID: "key_1", Name: "game", Hash: "h", Prefix: "qg_live_abcd", SigningSecret: "s"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddWebhookEndpoint(ctx, quest.WebhookEndpoint{APIKeyID: "key_1", URL: "https://game.example/hooks", Secret: "whsec_c2VjcmV0"}); err != nil {
			t.Fatal(err)
		}
		apiPlayer, err := s.APIPlayer(ctx, "key_1", "p42", "Ada")
		player := apiPlayer.ID
		if err != nil {
			t.Fatal(err)
		}
		sub := quest.Submission{PlayerID: player, ObjectiveID: "send-sms", RawSID: "SM1", SID: "SM1"}
		if _, err := s.RecordAttempt(ctx, sub, &quest.Award{XP: 100}); err != nil {
			t.Fatal(err)
		}
		claim := func() []WebhookDelivery {
			t.Helper()
			d, err := s.ClaimWebhooks(ctx, time.Minute, WebhookClaim{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}

		first := claim()
		if len(first) != 1 || first[0].Secret != "whsec_c2VjcmV0" || first[0].URL != "https://game.example/hooks" {
			t.Fatalf("claimed %+v", first)
		}
		id := first[0].ID
		if d := claim(); len(d) != 0 {
			t.Errorf("claimed again under a live lease: %+v", d)
		}
		// The worker dies without recording anything; once its lease runs
		// out, the event is claimed again, under its id.
		*now = now.Add(2 * time.Minute)
		again := claim()
		if len(again) != 1 || again[0].ID != id || string(again[0].Payload) != string(first[0].Payload) {
			t.Fatalf("after the lease: %+v", again)
		}
		if err := s.RecordWebhookAttempt(ctx, quest.WebhookAttempt{EventID: id, Status: 500, Error: "HTTP 500"}, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if d := claim(); len(d) != 0 {
			t.Errorf("claimed before its retry is due: %+v", d)
		}
		*now = now.Add(time.Hour)
		retry := claim()
		if len(retry) != 1 || retry[0].Attempts != 1 {
			t.Fatalf("retry: %+v", retry)
		}
		if err := s.RecordWebhookAttempt(ctx, quest.WebhookAttempt{EventID: id, Status: 204}, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		*now = now.Add(24 * time.Hour)
		if d := claim(); len(d) != 0 {
			t.Errorf("a delivered event was claimed: %+v", d)
		}
		events, err := s.WebhookEvents(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].State != WebhookDelivered || len(events[0].Attempts) != 2 {
			t.Errorf("events %+v", events)
		}
		if err := s.RedeliverWebhook(ctx, id); err != nil {
			t.Fatal(err)
		}
		if d := claim(); len(d) != 1 || d[0].ID != id {
			t.Errorf("after redeliver: %+v", d)
		}
		if err := s.RecordWebhookAttempt(ctx, quest.WebhookAttempt{EventID: id, Status: 0, Error: "refused"}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if events, _ := s.WebhookEvents(ctx, 10); events[0].State != WebhookFailed {
			t.Errorf("out of retries: state %s", events[0].State)
		}
	})
}

// TestPruneWebhooks forgets events that are over once old enough, with
// their attempts, and never one still owed to its receiver.
func TestPruneWebhooks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		now := clockAt(s, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
		if _, err := s.CreateAPIKey(ctx, quest.APIKey{ID: "key_1", Name: "game", Hash: "h", Prefix: "qg_live_abcd", SigningSecret: "s"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddWebhookEndpoint(ctx, quest.WebhookEndpoint{APIKeyID: "key_1", URL: "https://game.example/hooks", Secret: "whsec_c2VjcmV0"}); err != nil {
			t.Fatal(err)
		}
		// Three awards a day apart: one delivered, one failed for good,
		// one still pending.
		var ids []string
		for i, status := range []int{204, 0, 500} {
			apiPlayer, err := s.APIPlayer(ctx, "key_1", fmt.Sprint("p", i), "")
			player := apiPlayer.ID
			if err != nil {
				t.Fatal(err)
			}
			sid := fmt.Sprint("SM", i)
			if _, err := s.RecordAttempt(ctx, quest.Submission{PlayerID: player, ObjectiveID: "send-sms", RawSID: sid, SID: sid}, &quest.Award{XP: 100}); err != nil {
				t.Fatal(err)
			}
			d, err := s.ClaimWebhooks(ctx, time.Minute, WebhookClaim{Limit: 10})
			if err != nil || len(d) != 1 {
				t.Fatalf("claim: %+v %v", d, err)
			}
			next := now.Add(time.Hour)
			if status == 0 {
				next = time.Time{} // out of retries: failed
			}
			if err := s.RecordWebhookAttempt(ctx, quest.WebhookAttempt{EventID: d[0].ID, Status: status}, next); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d[0].ID)
			*now = now.Add(24 * time.Hour)
		}
		// Before: nothing is old enough.
		if n, err := s.PruneWebhooks(ctx, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)); err != nil || n != 0 {
			t.Fatalf("prune before any event = %d, %v", n, err)
		}
		n, err := s.PruneWebhooks(ctx, now.Add(time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("prune = %d, %v; want the delivered and the failed event", n, err)
		}
		events, err := s.WebhookEvents(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].ID != ids[2] || events[0].State != WebhookPending {
			t.Errorf("left %+v, want only the pending event", events)
		}
		var attempts int
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM webhook_attempts`).Scan(&attempts); err != nil || attempts != 1 {
			t.Errorf("%d attempts left (%v), want the pending event's one", attempts, err)
		}
	})
}

// TestWebhookClaimBoundsEachEndpoint: a claim leases no more of one
// endpoint's events than its bound leaves, skips an endpoint at its
// bound, and still finds the other endpoints' events behind it.
func TestWebhookClaimBoundsEachEndpoint(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		now := clockAt(s, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
		// Two games: the first's endpoint has 30 events due, then, a
		// second later, the second's has 3.
		var eps []int64
		for g, awards := range []int{30, 3} {
			*now = now.Add(time.Duration(g) * time.Second)
			key := fmt.Sprint("key_", g)
			if _, err := s.CreateAPIKey(ctx, quest.APIKey{ID: key, Name: key, Hash: key, Prefix: "qg_live_" + key, SigningSecret: "s"}); err != nil {
				t.Fatal(err)
			}
			ep, err := s.AddWebhookEndpoint(ctx, quest.WebhookEndpoint{APIKeyID: key, URL: "https://game.example/" + key, Secret: "whsec_c2VjcmV0"})
			if err != nil {
				t.Fatal(err)
			}
			eps = append(eps, ep.ID)
			p, err := s.APIPlayer(ctx, key, "p", "")
			if err != nil {
				t.Fatal(err)
			}
			for i := range awards {
				sid := fmt.Sprintf("SM%d_%d", g, i)
				sub := quest.Submission{PlayerID: p.ID, ObjectiveID: fmt.Sprint("objective-", i), RawSID: sid, SID: sid}
				if _, err := s.RecordAttempt(ctx, sub, &quest.Award{XP: 100}); err != nil {
					t.Fatal(err)
				}
			}
		}
		flood, other := eps[0], eps[1]
		// Each claim leases what it gets: later claims see what is left.
		tests := []struct {
			name  string
			claim WebhookClaim
			want  map[int64]int
		}{
			{"unbounded, the oldest first", WebhookClaim{Limit: 4}, map[int64]int{flood: 4}},
			{"the flood's endpoint at its bound is skipped", WebhookClaim{Limit: 10, PerEndpoint: 4, Busy: map[int64]int{flood: 4}},
				map[int64]int{other: 3}},
			{"an endpoint below its bound gets what is left of it", WebhookClaim{Limit: 10, PerEndpoint: 4, Busy: map[int64]int{flood: 1}},
				map[int64]int{flood: 3}},
			{"the limit holds", WebhookClaim{Limit: 2, PerEndpoint: 8}, map[int64]int{flood: 2}},
		}
		for _, tt := range tests {
			d, err := s.ClaimWebhooks(ctx, time.Minute, tt.claim)
			if err != nil {
				t.Fatal(err)
			}
			got := map[int64]int{}
			for _, e := range d {
				got[e.Endpoint]++
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("%s: claimed %v by endpoint, want %v", tt.name, got, tt.want)
			}
		}
	})
}
