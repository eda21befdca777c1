package verifier

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
)

const testCA = "CA" + hex32

// makeCall mirrors the catalog's make-call objective.
func makeCall() catalog.Objective {
	return catalog.Objective{
		ID:   "make-call",
		Kind: catalog.KindCall,
		Checks: catalog.Checks{
			DirectionIn:        []string{"outbound-api"},
			StatusNotIn:        []string{"failed", "canceled"},
			CreatedAfterOpened: true,
		},
	}
}

// call answers with a completed outbound call of the test account.
func call(overrides map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := map[string]any{
			"sid": testCA, "account_sid": testAccount, "status": "completed", "direction": "outbound-api",
			"to": "+15558675310", "from": "+15017122661", "date_created": testCreated, "duration": "12",
			"api_version": "2010-04-01", "parent_call_sid": nil, "price": nil, "price_unit": "USD",
		}
		for k, v := range overrides {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		writeJSON(w, http.StatusOK, c)
	}
}

// opened is a player who opened the objective just before testCreated.
func opened(numbers ...string) *quest.PlayerFacts {
	at, _ := time.Parse(time.RFC1123Z, testCreated)
	return &quest.PlayerFacts{OpenedAt: at.Add(-time.Minute), Numbers: numbers}
}

// TestVerifyEachCheck runs each check of catalog.Checks against the fake
// Twilio, passing and failing, with the reason and detail a player sees.
func TestVerifyEachCheck(t *testing.T) {
	with := func(o catalog.Objective, change func(*catalog.Checks)) catalog.Objective {
		change(&o.Checks)
		return o
	}
	plain := sendSMS()
	plain.Checks = catalog.Checks{}
	created, _ := time.Parse(time.RFC1123Z, testCreated)
	tests := []struct {
		name    string
		obj     catalog.Objective
		sid     string
		player  *quest.PlayerFacts
		handler http.HandlerFunc
		reason  quest.Reason
		detail  string
		skipped []string
	}{
		{"status_in passes", with(plain, func(c *catalog.Checks) { c.StatusIn = []string{"delivered", "sent"} }), testSM, nil, message(nil), "", "", nil},
		{"status_in rejects", with(plain, func(c *catalog.Checks) { c.StatusIn = []string{"delivered"} }), testSM, nil,
			message(map[string]any{"status": "queued"}), quest.WrongStatus, "queued", nil},

		{"created after opening", with(plain, func(c *catalog.Checks) { c.CreatedAfterOpened = true }), testSM, opened(), message(nil), "", "", nil},
		{"created within the grace", with(plain, func(c *catalog.Checks) { c.CreatedAfterOpened = true }), testSM,
			&quest.PlayerFacts{OpenedAt: created.Add(time.Minute)}, message(nil), "", "", nil},
		{"created before opening", with(plain, func(c *catalog.Checks) { c.CreatedAfterOpened = true }), testSM,
			&quest.PlayerFacts{OpenedAt: created.Add(time.Hour)}, message(nil), quest.CreatedBeforeOpened, "", nil},
		{"no creation date", with(plain, func(c *catalog.Checks) { c.CreatedAfterOpened = true }), testSM, opened(),
			message(map[string]any{"date_created": nil}), quest.CreatedBeforeOpened, "", nil},
		{"created_after_opened without a player", with(plain, func(c *catalog.Checks) { c.CreatedAfterOpened = true }), testSM, nil,
			message(nil), "", "", []string{"created_after_opened"}},

		{"to registered", with(plain, func(c *catalog.Checks) { c.RegisteredNumber = catalog.PartyTo }), testSM,
			opened("+33612345678", "+15558675310"), message(nil), "", "", nil},
		{"to on WhatsApp", with(plain, func(c *catalog.Checks) { c.RegisteredNumber = catalog.PartyTo }), testSM,
			opened("+15558675310"), message(map[string]any{"to": "whatsapp:+15558675310"}), "", "", nil},
		{"to not registered", with(plain, func(c *catalog.Checks) { c.RegisteredNumber = catalog.PartyTo }), testSM,
			opened("+15017122661"), message(nil), quest.NumberNotRegistered, quest.DetailTo, nil},
		{"from registered", with(plain, func(c *catalog.Checks) { c.RegisteredNumber = catalog.PartyFrom }), testSM,
			opened("+15017122661"), message(nil), "", "", nil},
		{"from not registered", with(plain, func(c *catalog.Checks) { c.RegisteredNumber = catalog.PartyFrom }), testSM,
			opened("+15558675310"), message(nil), quest.NumberNotRegistered, quest.DetailFrom, nil},
		{"either", with(plain, func(c *catalog.Checks) { c.RegisteredNumber = catalog.PartyEither }), testSM,
			opened("+15017122661"), message(nil), "", "", nil},
		{"either, neither", with(plain, func(c *catalog.Checks) { c.RegisteredNumber = catalog.PartyEither }), testSM,
			opened("+4915112345678"), message(nil), quest.NumberNotRegistered, quest.DetailEither, nil},
		{"no numbers at all", with(plain, func(c *catalog.Checks) { c.RegisteredNumber = catalog.PartyTo }), testSM,
			opened(), message(nil), quest.NumberNotRegistered, quest.DetailNoNumbers, nil},
		{"registered_number without a player", with(plain, func(c *catalog.Checks) { c.RegisteredNumber = catalog.PartyTo }), testSM,
			nil, message(nil), "", "", []string{"registered_number"}},

		{"MMS with media", with(sendMMS(), func(c *catalog.Checks) { c.MinMedia = 1 }), testMM, nil,
			message(map[string]any{"sid": testMM, "num_media": "1"}), "", "", nil},
		{"MMS without media", with(sendMMS(), func(c *catalog.Checks) { c.MinMedia = 1 }), testMM, nil,
			message(map[string]any{"sid": testMM, "num_media": "0"}), quest.NoMedia, "", nil},

		{"body contains, any case", with(plain, func(c *catalog.Checks) { c.BodyContains = "OWL" }), testSM, nil,
			message(map[string]any{"body": "Look, an owl!"}), "", "", nil},
		{"body lacks", with(plain, func(c *catalog.Checks) { c.BodyContains = "owl" }), testSM, nil,
			message(map[string]any{"body": "Look, a cat!"}), quest.BodyMismatch, quest.DetailContains, nil},
		{"body matches", with(plain, func(c *catalog.Checks) { c.BodyMatches = `^Owl: \w+` }), testSM, nil,
			message(map[string]any{"body": "Sent from your Twilio trial account - Owl: Hedwig"}), "", "", nil},
		{"body does not match", with(plain, func(c *catalog.Checks) { c.BodyMatches = `^Owl:` }), testSM, nil,
			message(map[string]any{"body": "My owl: Hedwig"}), quest.BodyMismatch, quest.DetailMatches, nil},
		{"invalid regexp fails closed", with(plain, func(c *catalog.Checks) { c.BodyMatches = `(` }), testSM, nil,
			message(nil), quest.BodyMismatch, quest.DetailMatches, nil},

		{"WhatsApp message", sendWhatsApp(), testSM, nil,
			message(map[string]any{"to": "whatsapp:+15558675310", "from": "whatsapp:+14155238886"}), "", "", nil},
		{"WhatsApp message with a picture", sendWhatsApp(), testMM, nil,
			message(map[string]any{"sid": testMM, "num_media": "1", "to": "whatsapp:+15558675310", "from": "whatsapp:+14155238886"}), "", "", nil},
		{"plain SMS for WhatsApp", sendWhatsApp(), testSM, nil, message(nil), quest.WrongChannel, "whatsapp", nil},
		{"only To on WhatsApp", sendWhatsApp(), testSM, nil,
			message(map[string]any{"to": "whatsapp:+15558675310"}), quest.WrongChannel, "whatsapp", nil},
		{"only From on WhatsApp", sendWhatsApp(), testSM, nil,
			message(map[string]any{"from": "whatsapp:+14155238886"}), quest.WrongChannel, "whatsapp", nil},
		{"another channel", sendWhatsApp(), testSM, nil,
			message(map[string]any{"to": "messenger:1234567", "from": "messenger:7654321"}), quest.WrongChannel, "whatsapp", nil},
		{"channel before direction", sendWhatsApp(), testSM, nil,
			message(map[string]any{"direction": "inbound"}), quest.WrongChannel, "whatsapp", nil},
		{"WhatsApp message for a plain message objective", plain, testSM, nil,
			message(map[string]any{"to": "whatsapp:+15558675310", "from": "whatsapp:+14155238886"}), "", "", nil},

		{"call", makeCall(), testCA, opened(), call(nil), "", "", nil},
		{"call still ringing counts", makeCall(), testCA, opened(), call(map[string]any{"status": "ringing"}), "", "", nil},
		{"failed call", makeCall(), testCA, opened(), call(map[string]any{"status": "failed"}), quest.FailedStatus, "failed", nil},
		{"inbound call", makeCall(), testCA, opened(), call(map[string]any{"direction": "inbound"}), quest.WrongDirection, quest.DetailInbound, nil},
		{"call made before", makeCall(), testCA, &quest.PlayerFacts{OpenedAt: created.Add(time.Hour)}, call(nil), quest.CreatedBeforeOpened, "", nil},
		{"call must complete", with(makeCall(), func(c *catalog.Checks) { c.StatusIn = []string{"completed"} }), testCA, opened(),
			call(map[string]any{"status": "in-progress"}), quest.WrongStatus, "in-progress", nil},
		{"another account's call", makeCall(), testCA, opened(), call(map[string]any{"account_sid": otherAccount}), quest.NotFound, quest.DetailCall, nil},
		{"call not found", makeCall(), testCA, opened(), twilioError(404, 20404), quest.NotFound, quest.DetailCall, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTwilio{message: tt.handler, call: tt.handler}
			v, _ := newFake(t, "", f, Options{})
			got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: &tt.obj, SID: quest.Normalize(tt.sid), Credentials: tokenCreds, Player: tt.player})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := quest.Verdict{Passed: tt.reason == "", Reason: tt.reason, Detail: tt.detail, SID: tt.sid, Skipped: tt.skipped}
			if diff := cmp.Diff(want, got, ignoreTiming); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyCallFetchesTheCallsResource(t *testing.T) {
	var path string
	f := &fakeTwilio{call: func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		call(nil)(w, r)
	}}
	v, _ := newFake(t, "/sandbox", f, Options{})
	got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(makeCall()), SID: quest.Normalize(" ca" + strings.ToUpper(hex32) + " "), Credentials: keyCreds, Player: opened()})
	if err != nil || !got.Passed {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	if want := "/sandbox/2010-04-01/Accounts/" + testAccount + "/Calls/" + testCA + ".json"; path != want {
		t.Errorf("path = %q, want %q", path, want)
	}
	lasted := 12 * time.Second
	want := &quest.Message{SID: testCA, AccountSID: testAccount, Status: "completed", Direction: "outbound-api",
		To: "+15558675310", From: "+15017122661", DateCreated: time.Date(2023, 8, 24, 5, 1, 45, 0, time.UTC), Duration: &lasted}
	if diff := cmp.Diff(want, got.Message); diff != "" {
		t.Errorf("call (-want +got):\n%s", diff)
	}
}

// TestCallObjectiveSIDHelp checks that SID mistakes on a call objective
// get call wording, and spend no request.
func TestCallObjectiveSIDHelp(t *testing.T) {
	f := &fakeTwilio{}
	v, _ := newFake(t, "", f, Options{})
	tests := []struct {
		sid    string
		reason quest.Reason
		detail string
	}{
		{"", quest.InvalidSID, "call_empty"},
		{"CA123", quest.InvalidSID, "call_length"},
		{testAccount, quest.WrongResource, "call_account"},
		{testSM, quest.WrongResource, "call_message"},
		{testMM, quest.WrongResource, "call_message"},
		{testKey, quest.WrongResource, "call_api_key"},
		{"PN" + hex32, quest.WrongResource, "call_other_resource"},
	}
	for _, tt := range tests {
		got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(makeCall()), SID: quest.Normalize(tt.sid), Credentials: tokenCreds})
		if err != nil || got.Reason != tt.reason || got.Detail != tt.detail {
			t.Errorf("Verify(%q) = %s/%s, %v; want %s/%s", tt.sid, got.Reason, got.Detail, err, tt.reason, tt.detail)
		}
	}
	if f.calls.Load() != 0 {
		t.Errorf("%d requests, want none", f.calls.Load())
	}
}

func TestReasonCounts(t *testing.T) {
	counted := map[quest.Reason]bool{}
	for _, r := range quest.Reasons {
		counted[r] = r.Counts()
	}
	for _, r := range []quest.Reason{quest.Awarded, quest.AlreadyAwarded, quest.UpstreamRateLimited, quest.UpstreamUnavailable, quest.BadCredentials, quest.NoCredentials, quest.Locked, quest.AttemptsExhausted} {
		if counted[r] {
			t.Errorf("%s counts against the player", r)
		}
	}
	for _, r := range []quest.Reason{quest.NotFound, quest.WrongResource, quest.SampleBody, quest.CreatedBeforeOpened, quest.BodyMismatch, quest.Pending} {
		if !counted[r] {
			t.Errorf("%s does not count", r)
		}
	}
}

// TestCallDuration: Twilio's duration, a string of seconds, becomes the
// call's Duration; a missing or odd one leaves it unknown, never zero.
func TestCallDuration(t *testing.T) {
	for _, tt := range []struct {
		raw  *string
		want string
	}{
		{nil, "unknown"}, {ptr(""), "unknown"}, {ptr("abc"), "unknown"}, {ptr("-3"), "unknown"}, {ptr("99999999"), "unknown"},
		{ptr("0"), "0s"}, {ptr(" 12 "), "12s"}, {ptr("3600"), "1h0m0s"},
	} {
		m := convertCall(&openapi.ApiV2010Call{Duration: tt.raw})
		got := "unknown"
		if m.Duration != nil {
			got = m.Duration.String()
		}
		if got != tt.want {
			t.Errorf("duration %v: %s, want %s", tt.raw, got, tt.want)
		}
	}
}

func ptr(s string) *string { return &s }
