package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/questgate/questgate/auth"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
)

// apiResp is an API answer, its body decoded.
type apiResp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r apiResp) str(k string) string { s, _ := r.body[k].(string); return s }

// newKey creates an API key allowing origins and returns the key.
func (e *env) newKey(origins ...string) (string, quest.APIKey) {
	e.t.Helper()
	n := auth.GenerateKey()
	k, err := e.store.CreateAPIKey(context.Background(), quest.APIKey{ID: n.ID, Name: "game", Hash: n.Hash, Prefix: n.Shown,
		Origins: origins, SigningSecret: n.SigningSecret})
	if err != nil {
		e.t.Fatal(err)
	}
	return n.Key, k
}

// api calls the API with key (none when empty) and checks the answer
// against the OpenAPI document.
func (e *env) api(method, path, key, body string, hdr ...string) apiResp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := apiResp{status: res.StatusCode, header: res.Header, raw: raw}
	if _, _, documented := loadContract(e.t).operation(method, req.URL.Path); method != http.MethodOptions && (documented || res.StatusCode != 404) {
		if err := loadContract(e.t).check(method, req.URL.Path, res.StatusCode, res.Header, raw); err != nil {
			e.t.Error(err)
		}
	}
	if strings.Contains(res.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			e.t.Fatalf("%s %s: %v\n%s", method, path, err, raw)
		}
	}
	return r
}

const verifyBody = `{"objective": "send-sms", "sid": "` + "SMb2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2" + `", "player": {"id": "game-player-42", "name": "Ada"},
	"credentials": {"account_sid": "ACa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", "auth_token": "s3cr3tT0kenValue0123456789abWXYZ"}}`

func TestAPIVerifications(t *testing.T) {
	upstream := &quest.UpstreamError{Reason: quest.UpstreamUnavailable, RetryAfter: 7 * time.Second}
	tests := []struct {
		name       string
		body       string
		verdict    quest.Verdict
		verifyErr  error
		accept     string
		wantStatus int
		want       map[string]any
		wantHeader map[string]string
	}{
		{name: "awarded", body: verifyBody, verdict: quest.Verdict{Passed: true, SID: testMessageSID,
			Message: &quest.Message{SID: testMessageSID, Status: "delivered", Direction: "outbound-api", Body: "hi"}},
			wantStatus: 200, want: map[string]any{"status": "awarded", "reason": "awarded", "xp": 100.0, "title": "Objective complete!"}},
		{name: "rejected in French", body: verifyBody, accept: "fr", verdict: quest.Verdict{Reason: quest.NotFound, SID: testMessageSID},
			wantStatus: 200, want: map[string]any{"status": "rejected", "reason": "not_found", "xp": 0.0}},
		{name: "Twilio unavailable", body: verifyBody, verifyErr: upstream,
			wantStatus: 503, want: map[string]any{"reason": "upstream_unavailable", "type": "urn:questgate:problem:upstream_unavailable"},
			wantHeader: map[string]string{"Retry-After": "7", "Content-Type": "application/problem+json"}},
		{name: "no credentials", body: `{"objective": "send-sms", "sid": "` + testMessageSID + `", "player": {"id": "p"}}`,
			verdict: quest.Verdict{Reason: quest.NoCredentials}, wantStatus: 422, want: map[string]any{"reason": "no_credentials"}},
		{name: "malformed credentials", body: `{"objective": "send-sms", "sid": "x", "player": {"id": "p"}, "credentials": {"account_sid": "nope"}}`,
			wantStatus: 422, want: map[string]any{"reason": "bad_credentials"}},
		{name: "unknown objective", body: `{"objective": "fly", "sid": "x", "player": {"id": "p"}}`,
			wantStatus: 404, want: map[string]any{"reason": "unknown_objective", "status": 404.0}},
		{name: "not JSON", body: `{"objective":`, wantStatus: 400, want: map[string]any{"reason": "invalid_json"}},
		{name: "unknown field", body: `{"objective": "send-sms", "sid": "x", "player": {"id": "p"}, "xp": 1000}`,
			wantStatus: 400, want: map[string]any{"reason": "invalid_json"}},
		{name: "no player", body: `{"objective": "send-sms", "sid": "x"}`, wantStatus: 400, want: map[string]any{"reason": "invalid_player"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, options{})
			key, _ := e.newKey()
			e.twilio.verify = func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
				if strings.Contains(tt.body, "credentials") && req.Credentials.Secret != testSecret {
					t.Errorf("verified with %v, want the call's credentials", req.Credentials)
				}
				return tt.verdict, tt.verifyErr
			}
			hdr := []string{}
			if tt.accept != "" {
				hdr = append(hdr, "Accept-Language", tt.accept)
			}
			r := e.api("POST", "/api/v1/verifications", key, tt.body, hdr...)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.raw)
			}
			for k, v := range tt.want {
				if r.body[k] != v {
					t.Errorf("%s = %v, want %v", k, r.body[k], v)
				}
			}
			for k, v := range tt.wantHeader {
				if got := r.header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if tt.accept == "fr" && !strings.Contains(r.str("title"), "introuvable") && r.str("title") == e.msg("en", "reason.not_found.title", nil) {
				t.Errorf("title %q is not in French", r.str("title"))
			}
			if strings.Contains(string(r.raw), testSecret) {
				t.Error("the answer shows the auth token")
			}
		})
	}
}

func TestAPICredentialsAreNotStored(t *testing.T) {
	e := newEnv(t, options{})
	key, k := e.newKey()
	e.twilio.verify = passing("hi")
	if r := e.api("POST", "/api/v1/verifications", key, verifyBody); r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	id, err := e.store.FindAPIPlayer(context.Background(), k.ID, "game-player-42")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Credentials(context.Background(), id); !errors.Is(err, quest.ErrNotFound) {
		t.Errorf("credentials of the call were stored: %v", err)
	}
}

func TestAPIAuthentication(t *testing.T) {
	e := newEnv(t, options{})
	key, k := e.newKey()
	for _, tt := range []struct{ name, key, reason string }{
		{"no key", "", "unauthorized"},
		{"not a key", "hello", "unauthorized"},
		{"unknown key", auth.GenerateKey().Key, "unauthorized"},
	} {
		r := e.api("GET", "/api/v1/objectives", tt.key, "")
		if r.status != 401 || r.str("reason") != tt.reason || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d %s", tt.name, r.status, r.raw)
		}
	}
	if r := e.api("GET", "/api/v1/objectives", key, ""); r.status != 200 {
		t.Fatalf("good key: %d %s", r.status, r.raw)
	}
	if err := e.store.RevokeAPIKey(context.Background(), k.ID); err != nil {
		t.Fatal(err)
	}
	if r := e.api("GET", "/api/v1/objectives", key, ""); r.status != 401 || r.str("reason") != "key_revoked" {
		t.Errorf("revoked key: %d %s", r.status, r.raw)
	}
	if r := e.api("GET", "/api/v1/nothing", key, ""); r.status != 404 || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown route: %d %s %s", r.status, r.header.Get("Content-Type"), r.raw)
	}
}

func TestAPIIdempotency(t *testing.T) {
	e := newEnv(t, options{})
	key, _ := e.newKey()
	var calls atomic.Int32
	e.twilio.verify = func(context.Context, quest.CheckRequest) (quest.Verdict, error) {
		calls.Add(1)
		return quest.Verdict{Passed: true, SID: testMessageSID}, nil
	}
	first := e.api("POST", "/api/v1/verifications", key, verifyBody, "Idempotency-Key", "k1")
	again := e.api("POST", "/api/v1/verifications", key, verifyBody, "Idempotency-Key", "k1")
	if first.status != 200 || again.status != 200 || string(first.raw) != string(again.raw) {
		t.Fatalf("retry answered %d %s, first %d %s", again.status, again.raw, first.status, first.raw)
	}
	if again.header.Get("Idempotent-Replayed") != "true" || again.str("status") != "awarded" {
		t.Errorf("replay: %v %s", again.header, again.raw)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("verified %d times, want once", n)
	}
	other := e.api("POST", "/api/v1/verifications", key, strings.Replace(verifyBody, "Ada", "Bob", 1), "Idempotency-Key", "k1")
	if other.status != 422 || other.str("reason") != "idempotency_key_reused" {
		t.Errorf("same key, other body: %d %s", other.status, other.raw)
	}
	// Another key's same Idempotency-Key is another request.
	key2, _ := e.newKey()
	if r := e.api("POST", "/api/v1/verifications", key2, verifyBody, "Idempotency-Key", "k1"); r.status != 200 || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("other API key: %d %s", r.status, r.raw)
	}
}

func TestAPIIdempotencyConcurrent(t *testing.T) {
	e := newEnv(t, options{})
	key, _ := e.newKey()
	var calls atomic.Int32
	release := make(chan struct{})
	e.twilio.verify = func(context.Context, quest.CheckRequest) (quest.Verdict, error) {
		if calls.Add(1) == 1 {
			<-release // the first holds its reservation until the duplicates are answered
		}
		return quest.Verdict{Passed: true, SID: testMessageSID}, nil
	}
	const n = 8
	results := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			results <- e.api("POST", "/api/v1/verifications", key, verifyBody, "Idempotency-Key", "same").status
		})
	}
	var got []int
	for range n - 1 {
		got = append(got, <-results)
	}
	close(release)
	wg.Wait()
	got = append(got, <-results)
	if c := calls.Load(); c != 1 {
		t.Errorf("verified %d times, want once", c)
	}
	conflicts, ok := 0, 0
	for _, s := range got {
		switch s {
		case 409:
			conflicts++
		case 200:
			ok++
		}
	}
	if ok != 1 || conflicts != n-1 {
		t.Errorf("statuses %v, want one 200 and %d 409", got, n-1)
	}
}

func TestAPICORS(t *testing.T) {
	e := newEnv(t, options{})
	key, _ := e.newKey("https://game.example")
	other, _ := e.newKey()
	tests := []struct {
		name, method, key, origin string
		wantStatus                int
		wantAllow                 string
	}{
		{"preflight from an allowed origin", "OPTIONS", "", "https://game.example", 204, "https://game.example"},
		{"preflight from another origin", "OPTIONS", "", "https://evil.example", 403, ""},
		{"call from an allowed origin", "GET", key, "https://game.example", 200, "https://game.example"},
		{"call from another origin", "GET", key, "https://evil.example", 403, ""},
		{"another key's call from the first key's origin", "GET", other, "https://game.example", 403, ""},
		{"server call without origin", "GET", key, "", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.api(tt.method, "/api/v1/objectives", tt.key, "", "Origin", tt.origin, "Access-Control-Request-Method", "GET")
			if r.status != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", r.status, tt.wantStatus, r.raw)
			}
			if got := r.header.Get("Access-Control-Allow-Origin"); got != tt.wantAllow {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.wantAllow)
			}
			if got := r.header.Get("Access-Control-Allow-Origin"); got == "*" {
				t.Error("any origin allowed")
			}
		})
	}
}

func TestAPIPlayersAreKeptApartPerKey(t *testing.T) {
	e := newEnv(t, options{})
	keyA, _ := e.newKey()
	keyB, _ := e.newKey()
	e.twilio.verify = passing("hi")
	if r := e.api("POST", "/api/v1/verifications", keyA, verifyBody); r.str("status") != "awarded" {
		t.Fatalf("verify: %s", r.raw)
	}
	a := e.api("GET", "/api/v1/players/game-player-42/progress", keyA, "")
	if a.status != 200 || a.body["xp"] != 100.0 {
		t.Errorf("key A's player: %d %s", a.status, a.raw)
	}
	if b := e.api("GET", "/api/v1/players/game-player-42/progress", keyB, ""); b.status != 404 || b.str("reason") != "unknown_player" {
		t.Errorf("key B sees key A's player: %d %s", b.status, b.raw)
	}
	// The same external id under key B is a new player, who has nothing yet.
	e.twilio.verify = func(context.Context, quest.CheckRequest) (quest.Verdict, error) {
		return quest.Verdict{Passed: true, SID: "SM" + strings.Repeat("c3", 16)}, nil
	}
	if r := e.api("POST", "/api/v1/verifications", keyB, strings.Replace(verifyBody, "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2", strings.Repeat("c3", 16), 1)); r.str("status") != "awarded" {
		t.Errorf("key B's player: %s", r.raw)
	}
	subs := e.api("GET", "/api/v1/submissions", keyA, "")
	if list, _ := subs.body["submissions"].([]any); len(list) != 1 {
		t.Errorf("key A lists %d submissions, want its own 1: %s", len(list), subs.raw)
	}
}

func TestAPISubmissionsPages(t *testing.T) {
	e := newEnv(t, options{})
	key, _ := e.newKey()
	e.twilio.verify = func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		return quest.Verdict{Reason: quest.NotFound, SID: req.SID}, nil
	}
	for range 5 {
		e.api("POST", "/api/v1/verifications", key, verifyBody)
	}
	seen := map[float64]bool{}
	path := "/api/v1/submissions?limit=2&player=game-player-42"
	for pages := 0; pages < 5; pages++ {
		r := e.api("GET", path, key, "")
		for _, s := range r.body["submissions"].([]any) {
			sub := s.(map[string]any)
			seen[sub["id"].(float64)] = true
			if p := sub["player"].(map[string]any); p["id"] != "game-player-42" {
				t.Errorf("player %v, want the game's id", p)
			}
		}
		next, ok := r.body["next_before"].(float64)
		if !ok {
			break
		}
		path = "/api/v1/submissions?limit=2&player=game-player-42&before=" + strconv.Itoa(int(next))
	}
	if len(seen) != 5 {
		t.Errorf("paged through %d submissions, want 5", len(seen))
	}
	if r := e.api("GET", "/api/v1/submissions?since=yesterday", key, ""); r.status != 400 || r.str("reason") != "invalid_filter" {
		t.Errorf("bad filter: %d %s", r.status, r.raw)
	}
	if r := e.api("GET", "/api/openapi.yaml", "", ""); r.status != 200 || !strings.Contains(string(r.raw), "openapi: 3.1.0") {
		t.Errorf("openapi.yaml: %d", r.status)
	}
}

func TestAPIAwardQueuesAWebhookEvent(t *testing.T) {
	e := newEnv(t, options{})
	key, k := e.newKey()
	if _, err := e.store.AddWebhookEndpoint(context.Background(), quest.WebhookEndpoint{APIKeyID: k.ID, URL: "https://game.example/hooks", Secret: "whsec_c2VjcmV0"}); err != nil {
		t.Fatal(err)
	}
	e.twilio.verify = passing("hi")
	r := e.api("POST", "/api/v1/verifications", key, verifyBody)
	if r.str("status") != "awarded" {
		t.Fatalf("verify: %s", r.raw)
	}
	e.api("POST", "/api/v1/verifications", key, verifyBody) // already awarded: no second event
	events, err := e.store.WebhookEvents(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || !strings.Contains(events[0].Payload, `"id":"game-player-42"`) || events[0].State != store.WebhookPending {
		t.Errorf("events %+v", events)
	}
}

// TestAPIProgressSaysWhatIsLocked: a game reads which objectives its
// player may try next: those whose prerequisites they completed are open,
// the others locked, and a completed one is never locked.
func TestAPIProgressSaysWhatIsLocked(t *testing.T) {
	e := newEnv(t, options{})
	key, _ := e.newKey()
	e.twilio.verify = passing("hi")
	if r := e.api("POST", "/api/v1/verifications", key, verifyBody); r.str("status") != "awarded" {
		t.Fatalf("verify: %s", r.raw)
	}
	r := e.api("GET", "/api/v1/players/game-player-42/progress", key, "")
	if r.status != 200 {
		t.Fatalf("progress: %d %s", r.status, r.raw)
	}
	got := map[string][2]bool{} // id: completed, locked
	list, _ := r.body["objectives"].([]any)
	for _, o := range list {
		m, _ := o.(map[string]any)
		id, _ := m["id"].(string)
		completed, _ := m["completed"].(bool)
		locked, _ := m["locked"].(bool)
		got[id] = [2]bool{completed, locked}
	}
	tests := []struct {
		id                string
		completed, locked bool
	}{
		{"send-sms", true, false},
		{"send-mms", false, false},         // after send-sms
		{"wire-number", false, false},      // after send-sms
		{"messaging-service", false, true}, // after wire-number
	}
	for _, tt := range tests {
		if g, ok := got[tt.id]; !ok || g != [2]bool{tt.completed, tt.locked} {
			t.Errorf("%s: completed, locked = %v (listed %v), want %v, %v", tt.id, g, ok, tt.completed, tt.locked)
		}
	}
}
