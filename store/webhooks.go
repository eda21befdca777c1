package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/questgate/questgate/quest"
)

// EventObjectiveCompleted is the type of the event sent on every award.
const EventObjectiveCompleted = "objective.completed"

// States of a webhook event.
const (
	WebhookPending   = "pending"
	WebhookDelivered = "delivered"
	WebhookFailed    = "failed"
)

// AddWebhookEndpoint adds an endpoint to a key, sealing its secret.
func (s *Store) AddWebhookEndpoint(ctx context.Context, ep quest.WebhookEndpoint) (quest.WebhookEndpoint, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		sealed, err := s.seal(ctx, tx, ep.Secret, ep.APIKeyID)
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO webhook_endpoints (api_key_id, url, secret, created_at) VALUES (?, ?, ?, ?)
			RETURNING id`, ep.APIKeyID, ep.URL, sealed, s.now().UTC()).Scan(&ep.ID)
	})
	if err != nil {
		return quest.WebhookEndpoint{}, fmt.Errorf("add webhook endpoint: %w", err)
	}
	return ep, nil
}

// WebhookEndpoints lists a key's endpoints, without secrets.
func (s *Store) WebhookEndpoints(ctx context.Context, keyID string) ([]quest.WebhookEndpoint, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, api_key_id, url FROM webhook_endpoints WHERE api_key_id = ? ORDER BY id`, keyID)
	if err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	defer rows.Close()
	var out []quest.WebhookEndpoint
	for rows.Next() {
		var ep quest.WebhookEndpoint
		if err := rows.Scan(&ep.ID, &ep.APIKeyID, &ep.URL); err != nil {
			return nil, fmt.Errorf("list webhook endpoints: %w", err)
		}
		out = append(out, ep)
	}
	return out, rows.Err()
}

// completion is an award, as an objective.completed event tells it.
type completion struct {
	PlayerID     string
	ObjectiveID  string
	SID          string
	XP           int
	Items        []string
	SubmissionID int64
	Manual       bool
	At           time.Time
}

// CompletedEvent is the body of an objective.completed webhook, in the
// Standard Webhooks shape (type, timestamp, data).
type CompletedEvent struct {
	Type      string        `json:"type"`
	Timestamp string        `json:"timestamp"`
	Data      CompletedData `json:"data"`
}

// CompletedData says who completed what.
type CompletedData struct {
	Player struct {
		ID   string `json:"id"`
		Name string `json:"name,omitempty"`
	} `json:"player"`
	Objective    string   `json:"objective"`
	SID          string   `json:"sid,omitempty"`
	XP           int      `json:"xp"`
	Items        []string `json:"items"`
	SubmissionID int64    `json:"submission_id,omitempty"`
	// Manual is true for an award an instructor gave by hand.
	Manual bool `json:"manual"`
}

// enqueueCompleted writes, inside the award's transaction tx, one outbox
// row per endpoint of the API key the player belongs to (if any, and if
// the key still works): the event is committed with the award or not at
// all.
func enqueueCompleted(ctx context.Context, tx *sql.Tx, c completion) error {
	return enqueueCompletedWith(ctx, tx, "", nil, c)
}

// enqueueCompletedWith is enqueueCompleted whose read of the endpoints
// begins with a WITH clause of the caller's (taking args): on PostgreSQL
// the award's own INSERT (insertAward).
func enqueueCompletedWith(ctx context.Context, tx *sql.Tx, with string, args []any, c completion) error {
	rows, err := tx.QueryContext(ctx, with+`SELECT t.external_id, t.display_name, t.id FROM (`+webhookTargets+`) t ORDER BY t.id`,
		append(args, c.PlayerID)...)
	if err != nil {
		return fmt.Errorf("find webhook endpoints: %w", err)
	}
	var targets []webhookTarget
	for rows.Next() {
		var t webhookTarget
		if err := rows.Scan(&t.ext, &t.name, &t.endpoint); err != nil {
			rows.Close()
			return fmt.Errorf("find webhook endpoints: %w", err)
		}
		targets = append(targets, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find webhook endpoints: %w", err)
	}
	return writeCompleted(c, targets, func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
}

// webhookTargets selects the endpoints (external_id, display_name, id)
// of the API key a player (the one argument) belongs to, if the key
// still works: where an award's events go.
const webhookTargets = `SELECT ap.external_id, p.display_name, e.id
		FROM api_players ap JOIN players p ON p.id = ap.player_id
		JOIN api_keys k ON k.id = ap.api_key_id AND k.revoked_at IS NULL
		JOIN webhook_endpoints e ON e.api_key_id = ap.api_key_id
		WHERE ap.player_id = ?`

// webhookTarget is one endpoint of webhookTargets: the player as the
// game knows them, and the endpoint.
type webhookTarget struct {
	ext, name string
	endpoint  int64
}

// writeCompleted writes c's event for each target through exec, which
// runs a statement in the award's transaction.
func writeCompleted(c completion, targets []webhookTarget, exec func(q string, args ...any) error) error {
	for _, t := range targets {
		ev := CompletedEvent{Type: EventObjectiveCompleted, Timestamp: c.At.UTC().Format(time.RFC3339),
			Data: CompletedData{Objective: c.ObjectiveID, SID: c.SID, XP: c.XP, Items: c.Items, SubmissionID: c.SubmissionID, Manual: c.Manual}}
		ev.Data.Player.ID, ev.Data.Player.Name = t.ext, t.name
		if ev.Data.Items == nil {
			ev.Data.Items = []string{}
		}
		payload, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if err := exec(`INSERT INTO webhook_events (id, endpoint_id, type, payload, next_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, "msg_"+strings.ToLower(rand.Text()), t.endpoint, ev.Type, string(payload), c.At, c.At); err != nil {
			return fmt.Errorf("enqueue webhook: %w", err)
		}
	}
	return nil
}

// WebhookDelivery is a claimed event with what it takes to send it.
type WebhookDelivery struct {
	ID       string
	Type     string
	Payload  []byte
	URL      string
	Secret   string
	Attempts int
	// Endpoint is the endpoint's id, by which a worker bounds the
	// deliveries it has under way to one endpoint.
	Endpoint int64
}

// WebhookClaim says which due events a worker can take.
type WebhookClaim struct {
	// Limit is how many events to lease at most.
	Limit int
	// PerEndpoint, when positive, bounds one endpoint's deliveries under
	// way: those in Busy and those leased now. A game's dead endpoint
	// then holds a few of the worker's deliveries, not all of them.
	PerEndpoint int
	// Busy counts the worker's deliveries under way, by endpoint.
	Busy map[int64]int
}

// claimScan is how many due events a claim looks at per event it may
// lease: enough to find other endpoints' events behind one endpoint's
// flood of them.
const claimScan = 4

// ClaimWebhooks leases due events (pending, next_at passed, no live
// lease) for lease, the oldest first, within c's bounds. A worker that
// dies holding a lease leaves the events to be claimed again when it
// expires: an event may be sent again after a crash, always under its
// same id, never lost.
func (s *Store) ClaimWebhooks(ctx context.Context, lease time.Duration, c WebhookClaim) ([]WebhookDelivery, error) {
	now := s.now().UTC()
	// Most polls find nothing: a read says so without taking the writer.
	var due int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM webhook_events
		WHERE state = 'pending' AND next_at <= ? LIMIT 1) AS due`, now).Scan(&due)
	if err != nil {
		return nil, fmt.Errorf("claim webhooks: %w", err)
	}
	if due == 0 {
		return nil, nil
	}
	// Endpoints at their bound are left out; the others' events are
	// scanned beyond Limit, so that one endpoint's many due events do
	// not hide the rest.
	q := `SELECT v.id, v.type, v.payload, v.attempts, v.endpoint_id, e.url, e.secret, e.api_key_id
			FROM webhook_events v JOIN webhook_endpoints e ON e.id = v.endpoint_id
			WHERE v.state = 'pending' AND v.next_at <= ? AND (v.locked_until IS NULL OR v.locked_until <= ?)`
	args := []any{now, now}
	scan := c.Limit
	if c.PerEndpoint > 0 {
		scan *= claimScan
		full := 0
		for ep, n := range c.Busy {
			if n >= c.PerEndpoint {
				full++
				args = append(args, ep)
			}
		}
		if full > 0 {
			q += ` AND v.endpoint_id NOT IN (?` + strings.Repeat(", ?", full-1) + `)`
		}
	}
	q += ` ORDER BY v.next_at LIMIT ?` + s.forUpdateSkipLocked("v")
	args = append(args, scan)
	var out []WebhookDelivery
	err = s.tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		var keys []string
		taken := map[int64]int{}
		for len(out) < c.Limit && rows.Next() {
			var d WebhookDelivery
			var payload, key string
			if err := rows.Scan(&d.ID, &d.Type, &payload, &d.Attempts, &d.Endpoint, &d.URL, &d.Secret, &key); err != nil {
				rows.Close()
				return err
			}
			if c.PerEndpoint > 0 && c.Busy[d.Endpoint]+taken[d.Endpoint] >= c.PerEndpoint {
				continue // not leased: on PostgreSQL its row lock ends with the transaction
			}
			taken[d.Endpoint]++
			d.Payload = []byte(payload)
			out = append(out, d)
			keys = append(keys, key)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			if out[i].Secret, err = s.open(out[i].Secret, keys[i]); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_events SET locked_until = ? WHERE id = ?`, now.Add(lease), out[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim webhooks: %w", err)
	}
	return out, nil
}

// RecordWebhookAttempt records an attempt and what follows it, in one
// transaction: delivered, or retried at next, or failed for good when
// next is zero. The lease is released.
//
// On SQLite the transaction is shared with the attempts being recorded
// at the same moment (the group commit): during a burst of awards, each
// delivery's own commit cost as much as a HACK's.
func (s *Store) RecordWebhookAttempt(ctx context.Context, a quest.WebhookAttempt, next time.Time) error {
	a.At = s.now().UTC()
	state := WebhookPending
	switch {
	case a.Delivered():
		state = WebhookDelivered
	case next.IsZero():
		state = WebhookFailed
	}
	if next.IsZero() {
		next = a.At
	}
	err := s.grouped(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (event_id, status, latency_ms, error, created_at)
			VALUES (?, ?, ?, ?, ?)`, a.EventID, a.Status, a.Latency.Milliseconds(), a.Error, a.At); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE webhook_events SET state = ?, attempts = attempts + 1, next_at = ?, locked_until = NULL
			WHERE id = ?`, state, next.UTC(), a.EventID)
		return err
	})
	if err != nil {
		return fmt.Errorf("record webhook attempt: %w", err)
	}
	return nil
}

// RedeliverWebhook makes an event due now again, whatever its state (an
// instructor's "redeliver"): it is sent under its same id, so a receiver
// that has it already ignores it.
func (s *Store) RedeliverWebhook(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE webhook_events SET state = 'pending', next_at = ?, locked_until = NULL WHERE id = ?`,
		s.now().UTC(), id)
	if err != nil {
		return fmt.Errorf("redeliver webhook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return quest.ErrNotFound
	}
	return nil
}

// WebhookEvents returns the latest events, newest first, with every attempt.
func (s *Store) WebhookEvents(ctx context.Context, limit int) ([]quest.WebhookEvent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT v.id, v.type, v.payload, e.url, k.name, v.state, v.next_at, v.created_at
		FROM webhook_events v JOIN webhook_endpoints e ON e.id = v.endpoint_id JOIN api_keys k ON k.id = e.api_key_id
		ORDER BY v.created_at DESC, v.rowid DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list webhook events: %w", err)
	}
	var out []quest.WebhookEvent
	index := map[string]int{}
	for rows.Next() {
		var ev quest.WebhookEvent
		if err := rows.Scan(&ev.ID, &ev.Type, &ev.Payload, &ev.URL, &ev.KeyName, &ev.State, &ev.NextAt, &ev.CreatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list webhook events: %w", err)
		}
		index[ev.ID] = len(out)
		out = append(out, ev)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list webhook events: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(out))
	for _, ev := range out {
		args = append(args, ev.ID)
	}
	arows, err := s.r.QueryContext(ctx, `SELECT event_id, status, latency_ms, error, created_at FROM webhook_attempts
		WHERE event_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list webhook attempts: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		var a quest.WebhookAttempt
		var ms int64
		if err := arows.Scan(&a.EventID, &a.Status, &ms, &a.Error, &a.At); err != nil {
			return nil, fmt.Errorf("list webhook attempts: %w", err)
		}
		a.Latency = time.Duration(ms) * time.Millisecond
		i := index[a.EventID]
		out[i].Attempts = append(out[i].Attempts, a)
	}
	return out, arows.Err()
}

// PruneWebhooks deletes the events that are over (delivered, or failed
// for good) and were created before before, with their attempts, so the
// outbox does not grow forever; it returns how many events went. Pending
// events stay, however old: they are still owed to their receiver.
func (s *Store) PruneWebhooks(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM webhook_events WHERE state <> 'pending' AND created_at < ?`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune webhooks: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune webhooks: %w", err)
	}
	return n, nil
}
