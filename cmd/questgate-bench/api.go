package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/questgate/questgate/sandbox"
)

// hookSink receives the games' webhooks (objective.completed) on
// loopback and counts them: the API's awards queue one each, and their
// delivery is part of the server's work.
type hookSink struct {
	srv       *http.Server
	url       string
	delivered atomic.Int64
}

func startHookSink() (*hookSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("webhook receiver: %w", err)
	}
	h := &hookSink{url: "http://" + ln.Addr().String() + "/hooks"}
	h.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h.delivered.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = h.srv.Serve(ln) }()
	return h, nil
}

func (h *hookSink) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = h.srv.Shutdown(ctx)
}

// createAPIKey creates a game's API key on the backend's database with
// `questgate apikey create`, as an operator does, its webhook pointing at
// hook (none when empty), and returns the key.
func (b *backend) createAPIKey(ctx context.Context, hook string) (string, error) {
	args := []string{"apikey", "create", "--name", "questgate-bench"}
	if hook != "" {
		args = append(args, "--webhook", hook)
	}
	out, err := b.command(ctx, "", args...)
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(out) {
		if _, after, ok := strings.Cut(line, "(Authorization: Bearer …):"); ok {
			return strings.TrimSpace(after), nil
		}
	}
	return "", fmt.Errorf("questgate apikey create printed no key:\n%s", out)
}

// gamePlayer is one of a game's players: a sandbox account and a message
// SID, sent with its credentials through the JSON API, as a game's server
// does. questgate creates the player on its first call.
type gamePlayer struct {
	id      string
	account sandbox.Account
	sid     string
}

// apiClient calls the JSON API with a game's key.
type apiClient struct {
	http *http.Client
	base string
	key  string
}

// verification is the part of the API's answer the bench checks.
type verification struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// verify posts one verification for p, and fails unless its reason is want.
func (c *apiClient) verify(ctx context.Context, p gamePlayer, want string) error {
	body, err := json.Marshal(map[string]any{
		"objective": objective, "sid": p.sid, "player": map[string]string{"id": p.id, "name": p.id},
		"credentials": map[string]string{"account_sid": p.account.SID, "auth_token": p.account.AuthToken},
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/v1/verifications", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.key)
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	var v verification
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("POST /api/v1/verifications answered %d, not JSON: %.200s", res.StatusCode, raw)
	}
	if res.StatusCode != http.StatusOK || v.Reason != want {
		return fmt.Errorf("POST /api/v1/verifications answered %d %s, want 200 %s", res.StatusCode, v.Reason, want)
	}
	return nil
}

// get fetches path with the key and reads the whole answer.
func (c *apiClient) get(ctx context.Context, path string) (int, error) {
	return fetch(ctx, c.http, c.base+path, c.key)
}

// gamePlayers makes n players of a game, each with a sandbox account and
// a fresh message: setup, not measured. questgate knows none of them yet.
func (b *bench) gamePlayers(ctx context.Context, n int, prefix string) ([]gamePlayer, error) {
	b.up.setLatency(0)
	ps := make([]gamePlayer, n)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(b.cfg.setupConcurrency)
	for i := range ps {
		g.Go(func() error {
			acc, sid, err := b.up.newPlayerAccount(ctx, i)
			ps[i] = gamePlayer{id: fmt.Sprintf("%s-%d", prefix, i), account: acc, sid: sid}
			return err
		})
	}
	return ps, g.Wait()
}

// api: a game's first-time players verify through the JSON API all at
// once (each call creates the player, fetches, awards and queues the
// webhook), then the same players send their SIDs again in closed loops,
// then more first-time players verify in closed loops (apiCapacity).
func (b *bench) api(ctx context.Context) ([]*table, error) {
	key, err := b.be.createAPIKey(ctx, b.hooks.url)
	if err != nil {
		return nil, err
	}
	c := &apiClient{http: &http.Client{Transport: b.rt, Timeout: 5 * time.Minute}, base: b.be.url(), key: key}
	ps, err := b.gamePlayers(ctx, b.cfg.players, "bench-api")
	if err != nil {
		return nil, err
	}

	b.up.setLatency(b.cfg.latency)
	f0, h0 := b.up.fetches.Load(), b.hooks.delivered.Load()
	dm, dcpu := b.measure(func() measured {
		return burst(len(ps), func(i int) error { return b.direct.fetch(ps[i].account, ps[i].sid) })
	})
	f1 := b.up.fetches.Load()
	qm, cpu := b.measure(func() measured {
		return burst(len(ps), func(i int) error { return c.verify(ctx, ps[i], "awarded") })
	})
	f2, h1 := b.up.fetches.Load(), b.hooks.delivered.Load()
	b.up.setLatency(0)
	ds, qs := dm.stats(), qm.stats()
	bt := &table{title: fmt.Sprintf("api burst: %d first-time game players verify through the JSON API at once "+
		"(credentials in the call, a webhook per award); upstream latency %s", len(ps), b.cfg.latency)}
	p50, p99 := b.burstTargets()
	bt.latencyRows(ds, qs, p50, p99)
	bt.add("errors", fmt.Sprint(ds.errors), fmt.Sprint(qs.errors), "", "0", verdictMax(float64(qs.errors), 0))
	bt.add("upstream fetches", fmt.Sprint(f1-f0), fmt.Sprint(f2-f1), "", "", "")
	bt.add("webhooks delivered during the burst", "", fmt.Sprint(h1-h0), "", "", "")
	bt.add("wall time", ms(dm.wall), ms(qm.wall), ratio(qm.wall.Seconds(), dm.wall.Seconds()), "", "")
	b.finish(bt, "api burst", dm, dcpu, qm, cpu, true)
	bt.errorNote(ds, qs)
	if qs.errors > 0 {
		return []*table{bt}, nil // the repeats would only repeat the errors
	}

	loops := min(len(ps), b.cfg.concurrency)
	f0 = b.up.fetches.Load()
	dm, dcpu = b.measure(func() measured {
		return loop(b.cfg.duration, loops, func(w int) error { return b.direct.fetch(ps[w].account, ps[w].sid) })
	})
	f1 = b.up.fetches.Load()
	qm, cpu = b.measure(func() measured {
		return loop(b.cfg.duration, loops, func(w int) error { return c.verify(ctx, ps[w], "already_awarded") })
	})
	f2 = b.up.fetches.Load()
	ds, qs = dm.stats(), qm.stats()
	rt := &table{title: fmt.Sprintf("api repeats: %d of those players send their awarded SID again for %s, %d in flight; upstream latency 0",
		loops, b.cfg.duration, loops)}
	rt.add("answers/s", perSecond(ds), perSecond(qs), ratio(qs.perSecond, ds.perSecond), "≥ 0.80 × direct",
		verdictMin(qs.perSecond/ds.perSecond, 0.8))
	rt.add("p50 latency", ms(ds.p50), ms(qs.p50), ratio(qs.p50.Seconds(), ds.p50.Seconds()), "", "")
	rt.add("p99 latency", ms(ds.p99), ms(qs.p99), ratio(qs.p99.Seconds(), ds.p99.Seconds()), "", "")
	rt.add("errors", fmt.Sprint(ds.errors), fmt.Sprint(qs.errors), "", "", "")
	rt.add("upstream fetches", fmt.Sprint(f1-f0), fmt.Sprint(f2-f1), "", "0", verdictMax(float64(f2-f1), 0))
	b.finish(rt, "api repeats", dm, dcpu, qm, cpu, false)
	rt.errorNote(ds, qs)
	b.awaitWebhooks(bt, h0, len(ps), time.Minute)
	ct, err := b.apiCapacity(ctx, c)
	if err != nil {
		return nil, err
	}
	return []*table{bt, rt, ct}, nil
}

// apiCapacity: -capacity first-time game players verify through the JSON
// API in closed loops of -concurrency, upstream latency 0, as a game's
// or a course platform's server calls it: over kept-alive connections,
// each call creating its player, fetching, awarding and queuing the
// webhook. It is the API path's counterpart of the form's capacity
// scenario, and the steadier measure of its CPU: the api burst's direct
// side is 500 fetches on new connections, a few ticks of the bench's
// CPU clock that its own collector can double.
func (b *bench) apiCapacity(ctx context.Context, c *apiClient) (*table, error) {
	ps, err := b.gamePlayers(ctx, b.cfg.capacity, "bench-api-capacity")
	if err != nil {
		return nil, err
	}
	h0 := b.hooks.delivered.Load()
	f0 := b.up.fetches.Load()
	dm, dcpu := b.measure(func() measured {
		return pool(len(ps), b.cfg.concurrency, func(i int) error { return b.direct.fetch(ps[i].account, ps[i].sid) })
	})
	f1 := b.up.fetches.Load()
	qm, cpu := b.measure(func() measured {
		return pool(len(ps), b.cfg.concurrency, func(i int) error { return c.verify(ctx, ps[i], "awarded") })
	})
	f2 := b.up.fetches.Load()
	ds, qs := dm.stats(), qm.stats()
	t := &table{title: fmt.Sprintf("api capacity: %d first-time game players verify through the JSON API, %d in flight "+
		"on kept-alive connections (credentials in the call, a webhook per award); upstream latency 0", len(ps), b.cfg.concurrency)}
	t.add("verifications/s", perSecond(ds), perSecond(qs), ratio(qs.perSecond, ds.perSecond), "", "")
	t.add("p50 latency", ms(ds.p50), ms(qs.p50), ratio(qs.p50.Seconds(), ds.p50.Seconds()), "", "")
	t.add("p99 latency", ms(ds.p99), ms(qs.p99), ratio(qs.p99.Seconds(), ds.p99.Seconds()), "", "")
	t.add("errors", fmt.Sprint(ds.errors), fmt.Sprint(qs.errors), "", "0", verdictMax(float64(qs.errors), 0))
	t.add("upstream fetches", fmt.Sprint(f1-f0), fmt.Sprint(f2-f1), "", "", "")
	b.finish(t, "api capacity", dm, dcpu, qm, cpu, true)
	t.errorNote(ds, qs)
	// The webhooks the awards queued are delivered before the next
	// scenario, whose measure they would otherwise share.
	if qs.errors == 0 {
		b.awaitWebhooks(t, h0, len(ps), 2*time.Minute)
	}
	return t, nil
}

// awaitWebhooks waits, within bound, until the receiver has taken n
// webhooks since it had h0, one per award (the outbox is polled, every
// 2 s by default), and adds t's row saying whether they all arrived.
func (b *bench) awaitWebhooks(t *table, h0 int64, n int, bound time.Duration) {
	want := h0 + int64(n)
	for deadline := time.Now().Add(bound); b.hooks.delivered.Load() < want && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	got := int(b.hooks.delivered.Load() - h0)
	t.add("webhooks delivered in the end", "", fmt.Sprint(got), "", fmt.Sprint(n), verdictEqual(got, n))
}
