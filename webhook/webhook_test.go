package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/questgate/questgate/auth"
	"github.com/questgate/questgate/internal/testkit/fakeclock"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/secrets"
	"github.com/questgate/questgate/store"
	"github.com/questgate/questgate/webhook"
)

// receiver is a game's webhook endpoint that fails its first failures
// requests, verifying every signature with the Standard Webhooks library.
type receiver struct {
	t        *testing.T
	secret   string
	failures int

	mu        sync.Mutex
	requests  []string // webhook-id of each request
	delivered map[string]int
	bodies    []store.CompletedEvent
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	wh, err := standardwebhooks.NewWebhook(rc.secret)
	if err != nil {
		rc.t.Error(err)
	}
	if err := wh.Verify(body, r.Header); err != nil {
		rc.t.Errorf("signature does not verify: %v", err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	id := r.Header.Get("webhook-id")
	rc.requests = append(rc.requests, id)
	if len(rc.requests) <= rc.failures {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	rc.delivered[id]++
	var ev store.CompletedEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		rc.t.Error(err)
	}
	rc.bodies = append(rc.bodies, ev)
	w.WriteHeader(http.StatusNoContent)
}

// count is how many events the receiver took (any number of times).
func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.delivered)
}

// world is a store file (reopened on restart with the same key), a key
// with one endpoint, and a player of that key.
type world struct {
	t      *testing.T
	path   string
	ring   *secrets.Ring
	st     *store.Store
	keyID  string
	player string
	rc     *receiver
}

func newWorld(t *testing.T, failures int) *world {
	key, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, path: filepath.Join(t.TempDir(), "q.db"), ring: secrets.NewRing(key)}
	w.open()
	ctx := context.Background()
	n := auth.GenerateKey()
	if _, err := w.st.CreateAPIKey(ctx, quest.APIKey{ID: n.ID, Name: "game", Hash: n.Hash, Prefix: n.Shown, SigningSecret: n.SigningSecret}); err != nil {
		t.Fatal(err)
	}
	w.keyID = n.ID
	w.rc = &receiver{t: t, secret: webhook.NewSecret(), failures: failures, delivered: map[string]int{}}
	srv := httptest.NewServer(w.rc)
	t.Cleanup(srv.Close)
	if _, err := w.st.AddWebhookEndpoint(ctx, quest.WebhookEndpoint{APIKeyID: n.ID, URL: srv.URL + "/hooks", Secret: w.rc.secret}); err != nil {
		t.Fatal(err)
	}
	p, err := w.st.APIPlayer(ctx, n.ID, "game-player-42", "Ada")
	w.player = p.ID
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) open() {
	st, err := store.Open(context.Background(), w.path, store.WithSecrets(w.ring, nil))
	if err != nil {
		w.t.Fatal(err)
	}
	w.st = st
	w.t.Cleanup(func() { st.Close() })
}

// restart closes the store as a stopping server does and opens it again.
func (w *world) restart() {
	if err := w.st.Close(); err != nil {
		w.t.Fatal(err)
	}
	w.open()
}

func (w *world) worker() *webhook.Worker {
	return webhook.NewWorker(w.st, webhook.Options{Backoff: func(int) time.Duration { return 0 }})
}

func (w *world) award(sid string) {
	w.t.Helper()
	sub := quest.Submission{PlayerID: w.player, ObjectiveID: "send-sms", RawSID: sid, SID: sid}
	if _, err := w.st.RecordAttempt(context.Background(), sub, &quest.Award{XP: 100}); err != nil {
		w.t.Fatal(err)
	}
}

func TestDeliveredOnceAfterFailuresAndARestart(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, 3)
	w.award("SM00000000000000000000000000000001")

	for range 2 {
		if _, err := w.worker().RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	w.restart()
	for range 5 { // two more failures, the success, then nothing left
		if _, err := w.worker().RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}

	if len(w.rc.requests) != 4 {
		t.Fatalf("receiver got %d requests, want 3 failures and 1 success", len(w.rc.requests))
	}
	for _, id := range w.rc.requests {
		if id != w.rc.requests[0] {
			t.Errorf("retries changed the event id: %v", w.rc.requests)
		}
	}
	if len(w.rc.delivered) != 1 || w.rc.delivered[w.rc.requests[0]] != 1 {
		t.Errorf("delivered %v, want one event exactly once", w.rc.delivered)
	}
	ev := w.rc.bodies[0]
	if ev.Type != "objective.completed" || ev.Data.Objective != "send-sms" || ev.Data.Player.ID != "game-player-42" || ev.Data.XP != 100 {
		t.Errorf("event %+v", ev)
	}
	events, err := w.st.WebhookEvents(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].State != store.WebhookDelivered || len(events[0].Attempts) != 4 ||
		events[0].Attempts[0].Status != 500 || events[0].Attempts[3].Status != 204 {
		t.Errorf("recorded %+v", events)
	}
}

func TestRedeliverSendsTheSameID(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, 0)
	w.award("SM00000000000000000000000000000001")
	if _, err := w.worker().RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	events, err := w.st.WebhookEvents(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.st.RedeliverWebhook(ctx, events[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.worker().RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(w.rc.requests) != 2 || w.rc.requests[0] != w.rc.requests[1] || w.rc.requests[0] != events[0].ID {
		t.Errorf("requests %v, want event %s twice", w.rc.requests, events[0].ID)
	}
}

func TestWhichAwardsAreAnnounced(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		act    func(w *world)
		events int
		manual bool
	}{
		{"automatic award", func(w *world) { w.award("SM00000000000000000000000000000001") }, 1, false},
		{"manual award", func(w *world) {
			in, err := w.st.CreateInstructor(ctx, "ada@example.com", "x")
			if err != nil {
				w.t.Fatal(err)
			}
			if err := w.st.AwardByHand(ctx, w.player, "send-sms", 100, in.ID, "lost phone"); err != nil {
				w.t.Fatal(err)
			}
		}, 1, true},
		{"an attempt that awards nothing", func(w *world) {
			w.award("SM00000000000000000000000000000001")
			w.award("SM00000000000000000000000000000002") // already awarded
		}, 1, false},
		{"a player of no API key", func(w *world) {
			p, err := w.st.CreatePlayer(ctx)
			if err != nil {
				w.t.Fatal(err)
			}
			w.player = p.ID
			w.award("SM00000000000000000000000000000001")
		}, 0, false},
		{"a revoked key", func(w *world) {
			if err := w.st.RevokeAPIKey(ctx, w.keyID); err != nil {
				w.t.Fatal(err)
			}
			w.award("SM00000000000000000000000000000001")
		}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, 0)
			tt.act(w)
			events, err := w.st.WebhookEvents(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != tt.events {
				t.Fatalf("%d events, want %d", len(events), tt.events)
			}
			if tt.events > 0 {
				var ev store.CompletedEvent
				if err := json.Unmarshal([]byte(events[0].Payload), &ev); err != nil {
					t.Fatal(err)
				}
				if ev.Data.Manual != tt.manual {
					t.Errorf("manual %t, want %t", ev.Data.Manual, tt.manual)
				}
			}
		})
	}
}

func TestBackoffSpansADay(t *testing.T) {
	var total, prev time.Duration
	for n := 1; n < 20; n++ {
		d := webhook.Backoff(n)
		if d <= 0 || d > 150*time.Minute {
			t.Errorf("backoff(%d) = %v", n, d)
		}
		if n < 8 && d < prev/2 {
			t.Errorf("backoff(%d) = %v shrank from %v", n, d, prev)
		}
		total, prev = total+d, d
	}
	if total < 18*time.Hour || total > 30*time.Hour {
		t.Errorf("20 attempts span %v, want about a day", total)
	}
}

func TestSignMatchesTheStandardLibrary(t *testing.T) {
	secret := webhook.NewSecret()
	ts := time.Unix(1_700_000_000, 0)
	body := []byte(`{"type":"objective.completed"}`)
	got, err := webhook.Sign(secret, "msg_1", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	want, err := wh.Sign("msg_1", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Sign = %q, the library signs %q", got, want)
	}
}

// fakeOutbox is a Store whose methods are its functions.
type fakeOutbox struct {
	claim  func(c store.WebhookClaim) ([]store.WebhookDelivery, error)
	record func(quest.WebhookAttempt, time.Time) error
	prune  func(before time.Time) (int64, error)
}

func (f fakeOutbox) ClaimWebhooks(_ context.Context, _ time.Duration, c store.WebhookClaim) ([]store.WebhookDelivery, error) {
	return f.claim(c)
}
func (f fakeOutbox) RecordWebhookAttempt(_ context.Context, a quest.WebhookAttempt, next time.Time) error {
	return f.record(a, next)
}
func (f fakeOutbox) PruneWebhooks(_ context.Context, before time.Time) (int64, error) {
	return f.prune(before)
}

// The worker deletes finished events past their retention when it starts,
// then once an hour, not at every poll.
func TestWorkerPrunesOncePerHour(t *testing.T) {
	clk := fakeclock.New(fakeclock.Start)
	prunes := make(chan time.Time, 10)
	polls := make(chan struct{}, 100)
	st := fakeOutbox{
		claim: func(store.WebhookClaim) ([]store.WebhookDelivery, error) {
			select {
			case polls <- struct{}{}:
			default:
			}
			return nil, nil
		},
		record: func(quest.WebhookAttempt, time.Time) error { return nil },
		prune:  func(before time.Time) (int64, error) { prunes <- before; return 3, nil },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		webhook.NewWorker(st, webhook.Options{Poll: time.Millisecond, Now: clk.Now, Retention: 48 * time.Hour}).Run(ctx)
	}()
	defer func() { cancel(); <-done }()

	if got := <-prunes; !got.Equal(fakeclock.Start.Add(-48 * time.Hour)) {
		t.Errorf("first prune before %v, want two days before start", got)
	}
	for range 5 {
		<-polls
	}
	select {
	case got := <-prunes:
		t.Fatalf("pruned again within the hour (before %v)", got)
	default:
	}
	clk.Advance(time.Hour)
	if got := <-prunes; !got.Equal(fakeclock.Start.Add(time.Hour - 48*time.Hour)) {
		t.Errorf("second prune before %v, want two days before start+1h", got)
	}
}

// hangingEndpoint is a game's endpoint that takes every request and
// answers none until unblock (or the test's end): its URL, the id of
// each request as it arrives, and unblock.
func hangingEndpoint(t *testing.T) (url string, arrived <-chan string, unblock func()) {
	got := make(chan string, 100)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("webhook-id")
		<-release
		rw.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	var once sync.Once
	unblock = func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before srv.Close, which waits for its handlers
	return srv.URL + "/hooks", got, unblock
}

// A game whose endpoint hangs holds back none of the other events: the
// worker sends them side by side, not one after the other behind it.
func TestASlowEndpointHoldsBackNoOtherEvent(t *testing.T) {
	w := newWorld(t, 0)
	ctx := context.Background()
	slow, arrived, unblock := hangingEndpoint(t)
	if _, err := w.st.AddWebhookEndpoint(ctx, quest.WebhookEndpoint{APIKeyID: w.keyID, URL: slow, Secret: webhook.NewSecret()}); err != nil {
		t.Fatal(err)
	}
	// Three awards, each announced to both endpoints: in the outbox's
	// order, the slow endpoint's first event comes before the others.
	for i := range 3 {
		sid := fmt.Sprintf("SM%032d", i+1)
		sub := quest.Submission{PlayerID: w.player, ObjectiveID: fmt.Sprintf("objective-%d", i), RawSID: sid, SID: sid}
		if _, err := w.st.RecordAttempt(ctx, sub, &quest.Award{XP: 100}); err != nil {
			t.Fatal(err)
		}
	}

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		webhook.NewWorker(w.st, webhook.Options{Timeout: time.Minute, Poll: 10 * time.Millisecond}).Run(runCtx)
	}()
	// The deadline only bounds a hang: one event sent at a time waits a
	// minute behind the slow endpoint.
	deadline := time.After(30 * time.Second)
	for slowSeen := 0; slowSeen < 3 || w.rc.count() < 3; {
		select {
		case <-arrived:
			slowSeen++
		case <-deadline:
			t.Fatalf("the slow endpoint got %d of its 3 events at once, the other %d of its 3 while it hung", slowSeen, w.rc.count())
		case <-time.After(10 * time.Millisecond):
		}
	}
	unblock()
	cancel()
	<-done // Run returns once the deliveries in flight are recorded
	events, err := w.st.WebhookEvents(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if ev.State != store.WebhookDelivered || len(ev.Attempts) != 1 {
			t.Errorf("event %s: %s after %d attempts, want delivered at the first", ev.ID, ev.State, len(ev.Attempts))
		}
	}
	if len(events) != 6 {
		t.Errorf("%d events, want 6", len(events))
	}
}

// A game whose endpoint hangs with many events due holds at most 8 of
// the worker's deliveries: another game's events still go out.
func TestAFloodToADeadEndpointLeavesRoomForOthers(t *testing.T) {
	w := newWorld(t, 0)
	ctx := context.Background()
	dead, arrived, unblock := hangingEndpoint(t)
	n := auth.GenerateKey()
	if _, err := w.st.CreateAPIKey(ctx, quest.APIKey{ID: n.ID, Name: "flooding game", Hash: n.Hash, Prefix: n.Shown, SigningSecret: n.SigningSecret}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.AddWebhookEndpoint(ctx, quest.WebhookEndpoint{APIKeyID: n.ID, URL: dead, Secret: webhook.NewSecret()}); err != nil {
		t.Fatal(err)
	}
	// Forty awards of the flooding game's players come first in the
	// outbox, more than the worker's 32 deliveries; the other game's
	// three come after them.
	award := func(player string, i int) {
		sid := fmt.Sprintf("SM%032d", i+1)
		sub := quest.Submission{PlayerID: player, ObjectiveID: fmt.Sprint("objective-", i), RawSID: sid, SID: sid}
		if _, err := w.st.RecordAttempt(ctx, sub, &quest.Award{XP: 100}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		p, err := w.st.APIPlayer(ctx, n.ID, fmt.Sprint("flood-", i), "")
		if err != nil {
			t.Fatal(err)
		}
		award(p.ID, i)
	}
	for i := range 3 {
		award(w.player, 100+i)
	}

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		webhook.NewWorker(w.st, webhook.Options{Timeout: time.Minute, Poll: 10 * time.Millisecond}).Run(runCtx)
	}()
	deadline := time.After(30 * time.Second) // bounds a hang only
	for w.rc.count() < 3 {
		select {
		case <-deadline:
			t.Fatalf("the other game got %d of its 3 events while the dead endpoint held %d deliveries", w.rc.count(), len(arrived))
		case <-time.After(10 * time.Millisecond):
		}
	}
	if got := len(arrived); got > 8 {
		t.Errorf("the dead endpoint had %d deliveries under way, want at most 8", got)
	}
	unblock()
	cancel()
	<-done
}

// However many events are due, a worker has at most 32 deliveries under
// way: it claims no more until one ends.
func TestDeliveriesUnderWayAreBounded(t *testing.T) {
	const bound = 32
	var (
		mu          sync.Mutex
		outstanding int
		n           int
	)
	full := make(chan struct{})
	st := fakeOutbox{
		claim: func(c store.WebhookClaim) ([]store.WebhookDelivery, error) {
			limit := c.Limit
			mu.Lock()
			defer mu.Unlock()
			if outstanding+limit > bound {
				t.Errorf("claimed %d with %d under way", limit, outstanding)
			}
			var due []store.WebhookDelivery
			for range limit {
				n++
				due = append(due, store.WebhookDelivery{ID: fmt.Sprintf("msg_%d", n), Type: "objective.completed", Endpoint: int64(n),
					URL: "http://game.invalid/hooks", Secret: webhook.NewSecret(), Payload: []byte(`{}`)})
			}
			if outstanding += limit; outstanding == bound {
				select {
				case <-full:
				default:
					close(full)
				}
			}
			return due, nil
		},
		record: func(quest.WebhookAttempt, time.Time) error {
			mu.Lock()
			outstanding--
			mu.Unlock()
			return nil
		},
		prune: func(time.Time) (int64, error) { return 0, nil },
	}
	release := make(chan struct{})
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		<-release
		return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: r}, nil
	})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		webhook.NewWorker(st, webhook.Options{Client: client, Poll: time.Millisecond}).Run(ctx)
	}()
	select {
	case <-full:
	case <-time.After(30 * time.Second): // bounds a hang only
		close(release)
		cancel()
		<-done
		t.Fatalf("never %d deliveries under way at once", bound)
	}
	// A few polls with every slot taken claim nothing (the fake says so
	// if one does).
	time.Sleep(20 * time.Millisecond)
	close(release)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if outstanding != 0 {
		t.Errorf("%d deliveries not recorded when Run returned", outstanding)
	}
}

// roundTripFunc is an http.RoundTripper that is its function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
