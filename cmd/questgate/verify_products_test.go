package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// post sends form to path under the fake Twilio as its account and
// returns the answer's sid; the status must be want.
func (f *fakeTwilio) post(t *testing.T, path string, form url.Values, want int) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.api+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(f.account.SID, f.account.AuthToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Sid string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != want {
		t.Fatalf("POST %s: %s %v", path, resp.Status, err)
	}
	return out.Sid
}

// TestVerifyDecidesTheProductKinds: `questgate verify` decides a phone
// number (by its number or SID), a Messaging Service and a verification
// through one --twilio-api-url, with exit 0 or 1.
func TestVerifyDecidesTheProductKinds(t *testing.T) {
	f := newFakeTwilio(t)
	acc := "/2010-04-01/Accounts/" + f.account.SID
	wired := f.post(t, acc+"/IncomingPhoneNumbers.json", url.Values{"PhoneNumber": {"+15555550100"}, "SmsUrl": {"https://example.com/sms"}}, http.StatusCreated)
	bare := f.post(t, acc+"/IncomingPhoneNumbers.json", url.Values{"PhoneNumber": {"+15555550101"}}, http.StatusCreated)
	mg := f.post(t, "/messaging/v1/Services", url.Values{"FriendlyName": {"Quest"}}, http.StatusCreated)
	f.post(t, "/messaging/v1/Services/"+mg+"/PhoneNumbers", url.Values{"PhoneNumberSid": {wired}}, http.StatusCreated)
	va := f.post(t, "/verify/v2/Services", url.Values{"FriendlyName": {"Quest"}}, http.StatusCreated)
	ve := f.post(t, "/verify/v2/Services/"+va+"/Verifications", url.Values{"To": {"+15558675310"}, "Channel": {"sms"}}, http.StatusCreated)
	pending := f.post(t, "/verify/v2/Services/"+va+"/Verifications", url.Values{"To": {"+15558675310"}, "Channel": {"sms"}}, http.StatusCreated)
	f.post(t, "/verify/v2/Services/"+va+"/Verifications/"+ve, url.Values{"Status": {"approved"}}, http.StatusOK)

	args := func(objective, sid string, more ...string) []string {
		return append([]string{"verify", "--objective", objective, "--sid", sid, "--account-sid", f.account.SID,
			"--auth-token-stdin", "--twilio-api-url", f.api}, more...)
	}
	player := []string{"--number", "+15558675310", "--opened-at", "2000-01-01T00:00:00Z"}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"number by number", args("wire-number", "+15555550100"), 0, "PASSED"},
		{"number by SID", args("wire-number", wired), 0, "PASSED"},
		{"number without webhook", args("wire-number", bare), 1, "REJECTED (webhook_not_set, sms)"},
		{"service", args("messaging-service", mg), 0, "PASSED"},
		{"unknown service", args("messaging-service", "MG"+strings.Repeat("0", 32)), 1, "REJECTED (not_found"},
		{"verification", args("verify-phone", ve, player...), 0, "PASSED"},
		{"pending verification", args("verify-phone", pending, player...), 1, "REJECTED (wrong_status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runVerifyCLI(t, f.account.AuthToken+"\n", tt.args...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, want %d; output %q should contain %q\nstderr: %s", code, tt.code, out, tt.want, errOut)
			}
		})
	}
}
