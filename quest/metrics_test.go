package quest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/logging"
	"github.com/questgate/questgate/quest"
)

// fakeMetrics remembers what quest counted.
type fakeMetrics struct {
	mu            sync.Mutex
	verifications []countedVerification
	rateLimited   int
}

type countedVerification struct {
	Reason   string
	Total    bool // > 0
	Upstream time.Duration
}

func (m *fakeMetrics) Verification(reason string, total, upstream time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.verifications = append(m.verifications, countedVerification{reason, total > 0, upstream})
}

func (m *fakeMetrics) RateLimited() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rateLimited++
}

func TestMetricsCountEveryRecordedAttempt(t *testing.T) {
	f, _ := limitedFixture(t, 1)
	m := &fakeMetrics{}
	f.cfg.Metrics = m
	f.svc = quest.New(f.cfg)

	f.submit(t, smsSID)                       // not_found, spends the budget
	f.submit(t, "SM"+strings.Repeat("2", 32)) // refused unchecked
	f.twilio.verify = passing().verify
	f.cfg.Failures = nil
	f.svc = quest.New(f.cfg)
	f.submit(t, smsSID) // awarded

	want := []countedVerification{
		{Reason: "not_found", Total: true},
		{Reason: "rate_limited", Total: true},
		{Reason: "awarded", Total: true, Upstream: 80 * time.Millisecond},
	}
	if diff := cmp.Diff(want, m.verifications); diff != "" {
		t.Errorf("verifications counted (-want +got):\n%s", diff)
	}
	if m.rateLimited != 1 {
		t.Errorf("rate-limited refusals counted: %d, want 1", m.rateLimited)
	}
}

func TestVerificationLogLine(t *testing.T) {
	var buf bytes.Buffer
	log, err := logging.New(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, false)
	f.cfg.Log = log
	f.svc = quest.New(f.cfg)
	if err := f.st.SaveCredentials(context.Background(), quest.Credentials{PlayerID: f.player, AccountSID: realAC, Secret: token}); err != nil {
		t.Fatal(err)
	}
	ctx := logging.WithRequestID(context.Background(), "req-42")
	if _, err := f.svc.Submit(ctx, quest.Attempt{PlayerID: f.player, ObjectiveID: "send-sms", SID: smsSID}); err != nil {
		t.Fatal(err)
	}

	var line map[string]any
	for l := range strings.Lines(buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		if m["request_id"] != "req-42" {
			t.Errorf("a line lacks the request id: %s", l)
		}
		if m["msg"] == "verification" {
			line = m
		}
	}
	if line == nil {
		t.Fatalf("no verification line in:\n%s", buf.String())
	}
	for k, want := range map[string]any{"outcome": "passed", "reason": string(quest.Awarded), "objective": "send-sms",
		"sid": smsSID, "upstream_ms": float64(80), "account_kind": quest.AccountReal} {
		if line[k] != want {
			t.Errorf("%s = %v, want %v", k, line[k], want)
		}
	}
	if _, ok := line["total_ms"].(float64); !ok {
		t.Errorf("total_ms missing: %v", line)
	}
	if strings.Contains(buf.String(), token) {
		t.Error("the auth token was logged")
	}
}
