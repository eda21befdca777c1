package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/quest"
)

// TestOnlyTwilioSuggestsWaiting: the 503's "Twilio suggests waiting N
// seconds" is said only when Twilio sent a Retry-After, on the API and on
// the objective page; a wait of questgate's own (its default after a local
// timeout, say) is never put in Twilio's mouth.
func TestOnlyTwilioSuggestsWaiting(t *testing.T) {
	tests := []struct {
		name        string
		err         *quest.UpstreamError
		wantTwilio  bool
		wantRetryAt string // the Retry-After header
	}{
		{"a local timeout", &quest.UpstreamError{Reason: quest.UpstreamUnavailable}, false, "30"},
		{"a local wait", &quest.UpstreamError{Reason: quest.UpstreamUnavailable, RetryAfter: 5 * time.Second}, false, "5"},
		{"Twilio's Retry-After", &quest.UpstreamError{Reason: quest.UpstreamUnavailable, RetryAfter: 7 * time.Second,
			TwilioRetryAfter: 7 * time.Second}, true, "7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, options{})
			e.twilio.verify = func(context.Context, quest.CheckRequest) (quest.Verdict, error) {
				return quest.Verdict{Reason: tt.err.Reason, SID: testMessageSID}, tt.err
			}
			key, _ := e.newKey()
			r := e.api("POST", "/api/v1/verifications", key, verifyBody)
			if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != tt.wantRetryAt {
				t.Errorf("API: status %d, Retry-After %q; want 503, %s", r.status, r.header.Get("Retry-After"), tt.wantRetryAt)
			}
			e.twilio.check = func(context.Context, quest.Credentials) error { return tt.err }
			cp := e.post("/credentials", url.Values{"account_sid": {testAccountSID}, "secret": {testSecret}})
			if cp.status != http.StatusServiceUnavailable {
				t.Errorf("credentials: status %d, want 503", cp.status)
			}
			e.saveCredentials(quest.Credentials{AccountSID: testAccountSID, Secret: testSecret})
			p := e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}})
			for where, text := range map[string]string{"API": r.str("detail"), "page": p.text("result-help"), "credentials": cp.text("form-error")} {
				says := strings.Contains(text, "Twilio suggests")
				if says != tt.wantTwilio {
					t.Errorf("%s: %q; says Twilio suggests: %v, want %v", where, text, says, tt.wantTwilio)
				}
				if tt.wantTwilio && !strings.Contains(text, "waiting 7 seconds") {
					t.Errorf("%s: %q does not say how long Twilio asked", where, text)
				}
			}
		})
	}
}
