// Package webhook delivers questgate's events to games, signed per the
// Standard Webhooks specification (https://www.standardwebhooks.com):
// headers webhook-id, webhook-timestamp and webhook-signature
// (v1,base64(HMAC-SHA256(secret, id.timestamp.body))). Events wait in the
// store's outbox, written with the award they announce; a Worker sends
// them, retrying with exponential backoff and jitter for about a day. It
// knows HTTP and signing; the store keeps every state. It is an adapter
// beside the domain, importing store for the outbox.
package webhook

import (
	"context"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
)

// SecretPrefix starts every endpoint secret, as Standard Webhooks does.
const SecretPrefix = "whsec_"

// NewSecret returns a fresh endpoint secret: whsec_ and 32 random bytes
// in base64.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = crand.Read(b) // never fails
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Sign returns the webhook-signature header of a message: "v1," and the
// base64 HMAC-SHA256, keyed with the secret's bytes, of id.timestamp.body.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil {
		return "", fmt.Errorf("webhook secret is not whsec_ and base64: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, ts.Unix())
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Store is the outbox a Worker drains.
type Store interface {
	ClaimWebhooks(ctx context.Context, lease time.Duration, c store.WebhookClaim) ([]store.WebhookDelivery, error)
	RecordWebhookAttempt(ctx context.Context, a quest.WebhookAttempt, next time.Time) error
	PruneWebhooks(ctx context.Context, before time.Time) (int64, error)
}

// Options tune a Worker; zero values take the defaults.
type Options struct {
	// Client sends the requests; it must not follow redirects (a 3xx is
	// a failed attempt). Default: a client with Timeout.
	Client *http.Client
	// Timeout bounds one delivery. Default 10s.
	Timeout time.Duration
	// Poll is how often the outbox is checked. Default 2s.
	Poll time.Duration
	// MaxAttempts is how many attempts an event gets before it is marked
	// failed (an instructor may still redeliver it). Default 20, which
	// with the default backoff spans about 24 hours.
	MaxAttempts int
	// Backoff returns the wait after the n-th failed attempt (n from 1).
	// Default: Backoff.
	Backoff func(n int) time.Duration
	// Retention is how long events that are over (delivered, or failed
	// for good) stay in the outbox, for instructors to look back at,
	// before the worker deletes them. Default DefaultRetention.
	Retention time.Duration
	Log       *slog.Logger
	Now       func() time.Time
}

// DefaultRetention keeps finished events a month: long enough to answer
// "did the game get it?" after a workshop, short enough that the outbox
// of a busy server does not grow forever.
const DefaultRetention = 30 * 24 * time.Hour

// pruneEvery is how often the worker deletes events past their retention.
const pruneEvery = time.Hour

// Backoff is the default wait after the n-th failure: 30 s doubling up to
// 2 h, each with ±20% jitter so that many events failing together do not
// retry together.
func Backoff(n int) time.Duration {
	d := 2 * time.Hour
	if n < 10 {
		d = min(d, 30*time.Second<<(n-1))
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Worker delivers due events. Run it once per server.
type Worker struct {
	st   Store
	opts Options
}

// NewWorker returns a Worker draining st.
func NewWorker(st Store, opts Options) *Worker {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: opts.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if opts.Poll <= 0 {
		opts.Poll = 2 * time.Second
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 20
	}
	if opts.Backoff == nil {
		opts.Backoff = Backoff
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Worker{st: st, opts: opts}
}

// batch is how many events one claim takes at most.
const batch = 20

// inFlight bounds the deliveries a worker has under way at once. They go
// out side by side, so that one game's slow or dead endpoint (each of
// its events holding a delivery for up to Timeout) does not hold back
// every other game's events behind it, as it did when they were sent one
// after the other; the bound keeps a flood of events from opening
// connections without end.
const inFlight = 32

// perEndpoint bounds the deliveries under way to one endpoint: a dead
// endpoint with many events due holds a quarter of the worker, and a
// game's receiver gets at most this many requests at once.
const perEndpoint = 8

// Run delivers events until ctx is done. It claims due events whenever a
// delivery slot is free (at every Poll, and as soon as a delivery ends),
// and sends each at once. Deliveries in flight then finish (each within
// Timeout) before it returns, so a stopped server records what it sent;
// anything it had claimed but not sent is claimed again when the lease
// runs out.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.opts.Poll)
	defer t.Stop()
	var sending sync.WaitGroup
	defer sending.Wait()
	u := newUnderWay()
	var pruned time.Time
	for {
		if now := w.opts.Now(); now.Sub(pruned) >= pruneEvery {
			pruned = now
			w.prune(ctx, now)
		}
		for ctx.Err() == nil {
			c := u.claim()
			if c.Limit == 0 {
				break
			}
			due, err := w.claim(ctx, c)
			if err != nil {
				w.opts.Log.ErrorContext(ctx, "webhook delivery", "error", err)
				break
			}
			for _, d := range due {
				u.start(d.Endpoint)
				sending.Go(func() {
					defer u.done(d.Endpoint)
					w.send(ctx, d)
				})
			}
			if len(due) < c.Limit {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-u.freed:
		}
	}
}

// underWay counts a Run's deliveries under way, by endpoint. Only Run's
// loop starts them, so the room a claim it builds leaves can only grow
// before the claim returns.
type underWay struct {
	mu    sync.Mutex
	n     int
	by    map[int64]int
	freed chan struct{} // a delivery ended: there may be room to claim
}

// newUnderWay returns a count of nothing under way.
func newUnderWay() *underWay {
	return &underWay{by: map[int64]int{}, freed: make(chan struct{}, 1)}
}

// claim is what the room left allows a claim to take.
func (u *underWay) claim() store.WebhookClaim {
	u.mu.Lock()
	defer u.mu.Unlock()
	return store.WebhookClaim{Limit: min(batch, inFlight-u.n), PerEndpoint: perEndpoint, Busy: maps.Clone(u.by)}
}

// start counts a delivery to endpoint under way.
func (u *underWay) start(endpoint int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.n++
	u.by[endpoint]++
}

// done counts it off, and wakes Run to claim into the room it left.
func (u *underWay) done(endpoint int64) {
	u.mu.Lock()
	u.n--
	if u.by[endpoint]--; u.by[endpoint] == 0 {
		delete(u.by, endpoint)
	}
	u.mu.Unlock()
	select {
	case u.freed <- struct{}{}:
	default:
	}
}

// prune deletes the events whose retention is over. A failure is logged
// and tried again at the next round: nothing is lost by keeping rows.
func (w *Worker) prune(ctx context.Context, now time.Time) {
	n, err := w.st.PruneWebhooks(ctx, now.Add(-w.opts.Retention))
	if err != nil {
		w.opts.Log.ErrorContext(ctx, "webhook pruning", "error", err)
		return
	}
	if n > 0 {
		w.opts.Log.InfoContext(ctx, "webhook events pruned", "events", n, "retention", w.opts.Retention)
	}
}

// RunOnce claims the due events (at most a batch), delivers them side by
// side and returns how many it claimed once all are recorded.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	if ctx.Err() != nil {
		return 0, nil
	}
	due, err := w.claim(ctx, store.WebhookClaim{Limit: batch, PerEndpoint: perEndpoint})
	if err != nil {
		return 0, err
	}
	errs := make([]error, len(due))
	var sending sync.WaitGroup
	for i, d := range due {
		sending.Go(func() { errs[i] = w.send(ctx, d) })
	}
	sending.Wait()
	return len(due), errors.Join(errs...)
}

// claim leases the due events c allows. Each is sent as soon as it is
// claimed, so the lease covers one delivery timing out and a minute more
// for its record.
func (w *Worker) claim(ctx context.Context, c store.WebhookClaim) ([]store.WebhookDelivery, error) {
	return w.st.ClaimWebhooks(ctx, w.opts.Timeout+time.Minute, c)
}

// send delivers d and records the attempt, with the retry it calls for.
// Both go on when ctx ends: a stopping server records what it sent.
func (w *Worker) send(ctx context.Context, d store.WebhookDelivery) error {
	bg := context.WithoutCancel(ctx)
	a := w.deliver(bg, d)
	var next time.Time
	if !a.Delivered() && d.Attempts+1 < w.opts.MaxAttempts {
		next = w.opts.Now().Add(w.opts.Backoff(d.Attempts + 1))
	}
	if err := w.st.RecordWebhookAttempt(bg, a, next); err != nil {
		w.opts.Log.ErrorContext(bg, "webhook attempt not recorded", "event", d.ID, "error", err)
		return err
	}
	w.opts.Log.InfoContext(bg, "webhook attempt", "event", d.ID, "type", d.Type, "status", a.Status,
		"latency_ms", a.Latency.Milliseconds(), "error", a.Error, "attempt", d.Attempts+1)
	return nil
}

// deliver sends one event and says how it went.
func (w *Worker) deliver(ctx context.Context, d store.WebhookDelivery) quest.WebhookAttempt {
	a := quest.WebhookAttempt{EventID: d.ID}
	now := w.opts.Now()
	sig, err := Sign(d.Secret, d.ID, now, d.Payload)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	ctx, cancel := context.WithTimeout(ctx, w.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, strings.NewReader(string(d.Payload)))
	if err != nil {
		a.Error = err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "questgate-webhooks")
	req.Header.Set("webhook-id", d.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	res, err := w.opts.Client.Do(req)
	a.Latency = time.Since(start)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	a.Status = res.StatusCode
	if !a.Delivered() {
		a.Error = "HTTP " + res.Status
	}
	return a
}
