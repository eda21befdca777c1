package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/questgate/questgate/quest"
)

// gameSignInsPerMinute is the per-account budget of the game API in the
// test server: small, so a test can spend it.
const gameSignInsPerMinute = 5

// gameBody is a body of POST /api/v1/cohorts/{code}/verifications.
func gameBody(objective, sid, name, accountSID, token string) string {
	b, _ := json.Marshal(map[string]any{"objective": objective, "sid": sid, "name": name,
		"credentials": map[string]string{"account_sid": accountSID, "auth_token": token}})
	return string(b)
}

// TestGameVerification: a game's player is signed in by their Twilio
// account (checked once, then remembered), joins the cohort under the
// name they typed, and gets the verdict the pages give; what a game gets
// wrong is refused with a localised problem and signs nobody in.
func TestGameVerification(t *testing.T) {
	var logs syncBuffer
	e := newEnv(t, options{log: &logs})
	ctx := context.Background()
	cohort, err := quest.NewPlayers(e.store).CreateCohort(ctx, "TwilioQuest night")
	if err != nil {
		t.Fatal(err)
	}
	var checks atomic.Int32
	e.twilio.check = func(_ context.Context, c quest.Credentials) error {
		checks.Add(1)
		if c.Secret != testSecret {
			return &quest.CredentialsError{Field: quest.FieldSecret, Problem: quest.ProblemRejected}
		}
		return nil
	}
	e.twilio.verify = func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		return quest.Verdict{Passed: true, SID: req.SID, Message: &quest.Message{SID: req.SID, Status: "delivered",
			Direction: "outbound-api", Body: "my own words"}}, nil
	}
	path := "/api/v1/cohorts/" + strings.ToLower(cohort.JoinCode) + "/verifications"

	r := e.api(http.MethodPost, path, "", gameBody("send-sms", testMessageSID, "Ada", testAccountSID, testSecret))
	if r.status != http.StatusOK || r.body["status"] != "awarded" || r.body["title"] != e.msg("en", "reason.awarded.title") {
		t.Fatalf("first HACK: %d %s", r.status, r.raw)
	}
	r = e.api(http.MethodPost, path, "", gameBody("send-sms", testMessageSID, "", testAccountSID, testSecret), "Accept-Language", "fr")
	if r.status != http.StatusOK || r.body["status"] != "already_awarded" || r.body["title"] != e.msg("fr", "reason.already_awarded.title") {
		t.Fatalf("repeat HACK: %d %s", r.status, r.raw)
	}
	if n := checks.Load(); n != 1 {
		t.Errorf("Twilio checked the credentials %d times, want once", n)
	}
	acc, err := e.store.GameAccount(ctx, testAccountSID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.store.Player(ctx, acc.PlayerID)
	if err != nil {
		t.Fatal(err)
	}
	if p.CohortID != cohort.ID || p.DisplayName != "Ada" {
		t.Errorf("player in cohort %d named %q, want %d and Ada", p.CohortID, p.DisplayName, cohort.ID)
	}
	if strings.Contains(acc.Proof, testSecret) {
		t.Error("the game account keeps the secret")
	}

	for _, tc := range []struct {
		name, path, body, lang string
		status                 int
		reason, detail         string
	}{
		{"a token Twilio refuses", path, gameBody("send-sms", testMessageSID, "", testAccountSID, "wrongToken0123456789abcdefWXYZ01"), "fr",
			http.StatusUnprocessableEntity, "bad_credentials", e.msg("fr", "reason.bad_credentials.detail.game")},
		{"no credentials", path, `{"objective":"send-sms","sid":"` + testMessageSID + `"}`, "en",
			http.StatusUnprocessableEntity, "no_credentials", e.msg("en", "reason.no_credentials.detail.game")},
		{"an unknown cohort", "/api/v1/cohorts/ZZZZZZZZ/verifications", gameBody("send-sms", testMessageSID, "", testAccountSID, testSecret), "en",
			http.StatusNotFound, "unknown_cohort", e.msg("en", "api.problem.unknown_cohort.detail")},
		{"an unknown objective", path, gameBody("nope", testMessageSID, "", testAccountSID, testSecret), "en",
			http.StatusNotFound, "unknown_objective", e.msg("en", "api.problem.unknown_objective.detail")},
		{"a name on two lines", path, gameBody("send-sms", testMessageSID, "Ada\nLovelace", testAccountSID, testSecret), "en",
			http.StatusBadRequest, "invalid_name", e.msg("en", "api.problem.invalid_name.detail", map[string]any{"Max": quest.MaxDisplayName})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.api(http.MethodPost, tc.path, "", tc.body, "Accept-Language", tc.lang)
			if r.status != tc.status || r.body["reason"] != tc.reason || r.body["detail"] != tc.detail {
				t.Errorf("%d %v %q, want %d %s %q", r.status, r.body["reason"], r.body["detail"], tc.status, tc.reason, tc.detail)
			}
		})
	}
	if p, _ := e.store.Player(ctx, acc.PlayerID); p.DisplayName != "Ada" {
		t.Errorf("a refused request renamed the player %q", p.DisplayName)
	}
	for _, secret := range []string{testSecret, "wrongToken0123456789abcdefWXYZ01"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds a token the game sent")
		}
	}
}

// syncBuffer is a log the server writes from its goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestGameVerificationLimits: one Twilio account gets so many requests a
// minute, then 429 with Retry-After; an archived cohort takes no more.
func TestGameVerificationLimits(t *testing.T) {
	e := newEnv(t, options{})
	ctx := context.Background()
	players := quest.NewPlayers(e.store)
	cohort, err := players.CreateCohort(ctx, "Limits")
	if err != nil {
		t.Fatal(err)
	}
	e.twilio.check = func(context.Context, quest.Credentials) error { return nil }
	e.twilio.verify = func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		return quest.Verdict{Reason: quest.NotFound}, nil
	}
	path := "/api/v1/cohorts/" + cohort.JoinCode + "/verifications"
	for i := range gameSignInsPerMinute {
		if r := e.api(http.MethodPost, path, "", gameBody("send-sms", testMessageSID, "", testAccountSID, testSecret)); r.status != http.StatusOK {
			t.Fatalf("request %d: %d %s", i+1, r.status, r.raw)
		}
	}
	r := e.api(http.MethodPost, path, "", gameBody("send-sms", testMessageSID, "", testAccountSID, testSecret))
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("over the budget: %d %s (Retry-After %q)", r.status, r.raw, r.header.Get("Retry-After"))
	}
	if err := e.store.SetArchived(ctx, cohort.ID, true); err != nil {
		t.Fatal(err)
	}
	other := "AC" + strings.Repeat("c3", 16)
	r = e.api(http.MethodPost, path, "", gameBody("send-sms", testMessageSID, "", other, testSecret))
	if r.status != http.StatusGone || r.body["reason"] != "cohort_archived" {
		t.Fatalf("archived cohort: %d %s", r.status, r.raw)
	}
	if _, err := e.store.GameAccount(ctx, other); err == nil {
		t.Error("an archived cohort's request signed a player in")
	}
}
