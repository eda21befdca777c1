package handlers_test

import (
	"context"
	"testing"

	"github.com/questgate/questgate/quest"
)

// TestAPIAcceptsTheProductKinds: a game submits a phone number (as the
// number itself), a Messaging Service and a verification through the JSON
// API, and hears each kind's own success.
func TestAPIAcceptsTheProductKinds(t *testing.T) {
	e := newEnv(t, options{})
	key, _ := e.newKey()
	var got []string
	e.twilio.verify = func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		got = append(got, req.SID)
		sid := req.SID
		if sid[0] == '+' {
			sid = "PN0123456789abcdef0123456789abcdef"
		}
		return quest.Verdict{Passed: true, SID: sid, Message: &quest.Message{SID: sid, Status: "approved"}}, nil
	}
	steps := []struct{ objective, sid, success string }{
		{"send-sms", "SMd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4", "reason.awarded.help"},
		{"wire-number", "+15555550100", "kind.phone_number.success"},
		{"messaging-service", "MGd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4", "kind.messaging_service.success"},
		{"verify-phone", "VEd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4", "kind.verification.success"},
	}
	for _, s := range steps {
		body := `{"objective": "` + s.objective + `", "sid": "` + s.sid + `", "player": {"id": "game-player"},
	"credentials": {"account_sid": "ACa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", "auth_token": "s3cr3tT0kenValue0123456789abWXYZ"}}`
		r := e.api("POST", "/api/v1/verifications", key, body, "Accept-Language", "fr")
		if r.status != 200 || r.str("status") != "awarded" {
			t.Fatalf("%s: %d %s", s.objective, r.status, r.raw)
		}
		if got, want := r.str("message"), e.msg("fr", s.success); got != want {
			t.Errorf("%s success = %q, want %q", s.objective, got, want)
		}
	}
	if len(got) != 4 || got[1] != "+15555550100" {
		t.Errorf("the verifier was asked for %q, want the number as pasted", got)
	}
}
