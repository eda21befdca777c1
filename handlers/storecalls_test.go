package handlers_test

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
)

// countingStore is the real store counting the calls of the player pages'
// hot paths: reading awards, attempts and credentials (whose secret is
// decrypted on every read).
type countingStore struct {
	*store.Store
	mu    sync.Mutex
	calls map[string]int
}

func (s *countingStore) count(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[name]++
}

// take returns the calls counted since the last take, and starts afresh.
func (s *countingStore) take() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	calls := maps.Clone(s.calls)
	if calls == nil {
		calls = map[string]int{}
	}
	s.calls = nil
	return calls
}

func (s *countingStore) Credentials(ctx context.Context, playerID string) (quest.Credentials, error) {
	s.count("Credentials")
	return s.Store.Credentials(ctx, playerID)
}

func (s *countingStore) Awards(ctx context.Context, playerID string) (map[string]quest.Award, error) {
	s.count("Awards")
	return s.Store.Awards(ctx, playerID)
}

func (s *countingStore) Attempts(ctx context.Context, playerID string) (map[string]int, error) {
	s.count("Attempts")
	return s.Store.Attempts(ctx, playerID)
}

func (s *countingStore) RecentSubmissions(ctx context.Context, playerID, objectiveID string, limit int) ([]quest.Submission, error) {
	s.count("RecentSubmissions")
	return s.Store.RecentSubmissions(ctx, playerID, objectiveID, limit)
}

// TestOneHackReadsAwardsAndCredentialsOnce counts the store calls of one
// HACK: the attempt's read of the player's awards and credentials is the
// page's too, plain form post or htmx, sandbox account or real one.
func TestOneHackReadsAwardsAndCredentialsOnce(t *testing.T) {
	tests := []struct {
		name    string
		sandbox bool
		headers []string
		verdict func(context.Context, quest.CheckRequest) (quest.Verdict, error)
		want    map[string]int
	}{
		// A form post is answered with a redirect to the attempt's page:
		// it reads nothing after the attempt.
		{"page, sandbox account, awarded", true, nil, passing("hi"),
			map[string]int{"Credentials": 1, "Awards": 1}},
		{"page, sandbox account, rejected", true, nil, rejecting(quest.NotFound),
			map[string]int{"Credentials": 1, "Awards": 1}},
		{"page, real account", false, nil, passing("hi"),
			map[string]int{"Credentials": 1, "Awards": 1}},
		{"htmx panel", true, []string{"HX-Request", "true"}, passing("hi"),
			map[string]int{"Credentials": 1, "Awards": 1, "RecentSubmissions": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counted := &countingStore{}
			e := newEnv(t, options{sandbox: tt.sandbox, counted: counted})
			if !tt.sandbox {
				e.get("/objectives/send-sms") // the player, on their first action
				e.saveCredentials(quest.Credentials{AccountSID: testAccountSID, Secret: testSecret})
			}
			e.twilio.verify, e.sandbox.verify = tt.verdict, tt.verdict
			e.token()
			counted.take()

			e.noFollow = true
			p := e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}, tt.headers...)
			if p.status != http.StatusOK && p.status != http.StatusSeeOther {
				t.Fatalf("status %d", p.status)
			}
			if diff := cmp.Diff(tt.want, counted.take()); diff != "" {
				t.Errorf("store calls of one HACK (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHomeQueriesDoNotGrowWithObjectives counts the store calls of the
// home page of a player who tried some objectives: a constant few,
// however many objectives the catalog has.
func TestHomeQueriesDoNotGrowWithObjectives(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cat.All()); n < 3 {
		t.Fatalf("the default catalog has %d objectives: too few to tell", n)
	}
	counted := &countingStore{}
	e := newEnv(t, options{sandbox: true, counted: counted})
	e.twilio.verify, e.sandbox.verify = rejecting(quest.NotFound), rejecting(quest.NotFound)
	e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}})
	counted.take()

	p := e.get("/")
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	want := map[string]int{"Awards": 1, "Attempts": 1, "Credentials": 1}
	if diff := cmp.Diff(want, counted.take()); diff != "" {
		t.Errorf("store calls of the home page (-want +got):\n%s", diff)
	}
}
