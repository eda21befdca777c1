package handlers_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/questgate/questgate/quest"
)

// TestAPISpeaksOfTheObjectivesKind checks that a game hears what the
// player page says: a call objective accepts CA SIDs (although the
// catalog names no sid_prefixes for it) and its success names a call.
func TestAPISpeaksOfTheObjectivesKind(t *testing.T) {
	e := newEnv(t, options{})
	key, _ := e.newKey()
	r := e.api("GET", "/api/v1/objectives", key, "")
	if r.status != 200 {
		t.Fatalf("objectives: %d %s", r.status, r.raw)
	}
	prefixes := map[string][]string{}
	list, _ := r.body["objectives"].([]any)
	for _, item := range list {
		o, _ := item.(map[string]any)
		id, _ := o["id"].(string)
		raw, _ := o["sid_prefixes"].([]any)
		for _, p := range raw {
			s, _ := p.(string)
			prefixes[id] = append(prefixes[id], s)
		}
	}
	for id, want := range map[string][]string{"make-call": {"CA"}, "send-sms": {"SM"}, "reply-sms": {"SM", "MM"}} {
		if !slices.Equal(prefixes[id], want) {
			t.Errorf("%s sid_prefixes = %v, want %v", id, prefixes[id], want)
		}
	}

	e.twilio.verify = func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		sid := quest.Normalize(req.SID)
		return quest.Verdict{Passed: true, SID: sid, Message: &quest.Message{SID: sid, Status: "completed", Direction: "outbound-api"}}, nil
	}
	verify := func(lang, objective, sid string) apiResp {
		t.Helper()
		body := `{"objective": "` + objective + `", "sid": "` + sid + `", "player": {"id": "game-player-` + lang + `"},
	"credentials": {"account_sid": "ACa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", "auth_token": "s3cr3tT0kenValue0123456789abWXYZ"}}`
		r := e.api("POST", "/api/v1/verifications", key, body, "Accept-Language", lang)
		if r.status != 200 || r.str("status") != "awarded" {
			t.Fatalf("%s %s: %d %s", lang, objective, r.status, r.raw)
		}
		return r
	}
	for i, lang := range []string{"en", "fr"} {
		// make-call unlocks with send-sms.
		verify(lang, "send-sms", "SM"+strings.Repeat("d4", 15)+strconv.Itoa(10+i))
		r := verify(lang, "make-call", "CA"+strings.Repeat("c3", 15)+strconv.Itoa(10+i))
		if got, want := r.str("message"), e.msg(lang, "kind.call.success"); got != want || got == e.msg(lang, "reason.awarded.help") {
			t.Errorf("%s success = %q, want %q", lang, got, want)
		}
	}
}
