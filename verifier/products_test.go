package verifier_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/verifier"
)

// send makes one request to the sandbox as the account and decodes the
// answer, which must have status want.
func (s *sandboxed) send(t *testing.T, method, path string, form url.Values, want int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, "http://sandbox.test/sandbox"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.account.SID, s.account.AuthToken)
	resp, err := s.rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil || resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, body)
	}
	return out
}

// TestProductKindsAgainstTheSandbox plays the phone number, Messaging
// Service and verification objectives against the sandbox: what the
// instructions say passes; each check's usual mistake gets its reason.
func TestProductKindsAgainstTheSandbox(t *testing.T) {
	s := newSandboxed(t)
	acc := "/2010-04-01/Accounts/" + s.account.SID
	earlier := &quest.PlayerFacts{OpenedAt: s.clock.Add(-time.Hour), Numbers: []string{"+15558675310"}}
	later := &quest.PlayerFacts{OpenedAt: s.clock.Add(time.Hour), Numbers: []string{"+15558675310"}}

	wired := s.post(t, acc+"/IncomingPhoneNumbers.json", url.Values{"PhoneNumber": {"+15555550100"}, "SmsUrl": {"https://example.com/sms"}})["sid"].(string)
	bare := s.post(t, acc+"/IncomingPhoneNumbers.json", url.Values{"PhoneNumber": {"+15555550101"}})["sid"].(string)
	plain := s.post(t, acc+"/IncomingPhoneNumbers.json", url.Values{"PhoneNumber": {"+15555550102"}, "SmsUrl": {"http://example.com/sms"}})["sid"].(string)
	demo := s.post(t, acc+"/IncomingPhoneNumbers.json", url.Values{"PhoneNumber": {"+15555550103"}, "SmsUrl": {"https://demo.twilio.com/welcome/sms/reply"}})["sid"].(string)

	mg := s.post(t, "/messaging/v1/Services", url.Values{"FriendlyName": {"Quest"}})["sid"].(string)
	empty := s.post(t, "/messaging/v1/Services", url.Values{"FriendlyName": {"Empty"}})["sid"].(string)
	s.post(t, "/messaging/v1/Services/"+mg+"/PhoneNumbers", url.Values{"PhoneNumberSid": {wired}})

	va := s.post(t, "/verify/v2/Services", url.Values{"FriendlyName": {"Quest"}})["sid"].(string)
	start := func(to, channel string) string {
		return s.post(t, "/verify/v2/Services/"+va+"/Verifications", url.Values{"To": {to}, "Channel": {channel}})["sid"].(string)
	}
	approve := func(sid string) string {
		s.send(t, http.MethodPost, "/verify/v2/Services/"+va+"/Verifications/"+sid, url.Values{"Status": {"approved"}}, http.StatusOK)
		return sid
	}
	approved := approve(start("+15558675310", "sms"))
	pending := start("+15558675310", "sms")
	byCall := approve(start("+15558675310", "call"))
	toOther := approve(start("+15550001111", "sms"))

	tests := []struct {
		objective, sid string
		player         *quest.PlayerFacts
		want           quest.Reason // "" for passed
		detail         string
	}{
		{"wire-number", wired, earlier, "", ""},
		{"wire-number", "+15555550100", earlier, "", ""},
		{"wire-number", " +15555550100 ", nil, "", ""},
		{"wire-number", "+1 (555) 555-0100", nil, "", ""},
		{"wire-number", "+15555550199", earlier, quest.NotFound, "phone_number"},
		{"wire-number", "+1555", earlier, quest.InvalidSID, "phone_number_characters"},
		{"wire-number", bare, earlier, quest.WebhookNotSet, catalog.WebhookSMS},
		{"wire-number", plain, earlier, quest.WebhookInvalid, quest.DetailHTTP},
		{"wire-number", demo, earlier, quest.WebhookInvalid, quest.DetailDemo},
		{"wire-number", mg, earlier, quest.WrongResource, "phone_number_other_resource"},
		{"messaging-service", mg, earlier, "", ""},
		{"messaging-service", empty, earlier, quest.NoSender, ""},
		{"messaging-service", "MG" + strings.Repeat("0", 32), earlier, quest.NotFound, "messaging_service"},
		{"verify-phone", approved, earlier, "", ""},
		{"verify-phone", pending, earlier, quest.WrongStatus, "pending"},
		{"verify-phone", byCall, earlier, quest.WrongChannel, "verification"},
		{"verify-phone", toOther, earlier, quest.NumberNotRegistered, quest.DetailTo},
		{"verify-phone", approved, later, quest.CreatedBeforeOpened, ""},
		{"verify-phone", "VE" + strings.Repeat("0", 32), earlier, quest.NotFound, "verification"},
		{"verify-phone", va, earlier, quest.WrongResource, "verification_other_resource"},
	}
	for _, tt := range tests {
		t.Run(tt.objective+" "+tt.sid+" "+string(tt.want), func(t *testing.T) {
			got := s.verify(t, tt.objective, tt.sid, tt.player)
			if got.Passed != (tt.want == "") || got.Reason != tt.want || got.Detail != tt.detail {
				t.Errorf("verdict = %+v, want %q/%q", got, tt.want, tt.detail)
			}
		})
	}
	if got := s.verify(t, "wire-number", "+15555550100", earlier); got.SID != wired {
		t.Errorf("a number pasted as such is recorded as %q, want its SID %s", got.SID, wired)
	}
}

// stubResolver answers every name with addrs.
type stubResolver map[string][]netip.Addr

func (r stubResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

// TestWebhookTestRefusesPrivateAddresses: a webhook test never reaches
// loopback, private, link-local (cloud metadata) addresses, written as
// such or behind a public-looking name, unless the operator allows it.
func TestWebhookTestRefusesPrivateAddresses(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Message>ok</Message></Response>`)
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	resolver := stubResolver{
		"sneaky.example.com":   {netip.MustParseAddr("127.0.0.1")},
		"metadata.example.com": {netip.MustParseAddr("169.254.169.254")},
		"half.example.com":     {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.0.0.1")},
		"mapped.example.com":   {netip.MustParseAddr("::ffff:127.0.0.1")},
	}
	strict := &verifier.WebhookTester{Resolver: resolver}
	params := url.Values{"AccountSid": {"AC" + strings.Repeat("0", 32)}}
	for _, u := range []string{
		"http://127.0.0.1" + port + "/sms",
		"http://[::1]" + port + "/sms",
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.1/sms",
		"http://192.168.1.10/sms",
		"http://sneaky.example.com" + port + "/sms",
		"http://metadata.example.com/computeMetadata/v1/",
		"http://half.example.com/sms",
		"http://mapped.example.com" + port + "/sms",
	} {
		if got := strict.Test(context.Background(), u, "POST", "token", params); got != quest.DetailPrivate {
			t.Errorf("Test(%s) = %q, want %q", u, got, quest.DetailPrivate)
		}
	}
	if hits != 0 {
		t.Fatalf("the server was called %d times", hits)
	}
	allowed := &verifier.WebhookTester{AllowPrivate: true, Resolver: resolver}
	if got := allowed.Test(context.Background(), srv.URL+"/sms", "POST", "token", params); got != "" {
		t.Errorf("allowed: Test = %q, want success", got)
	}
	if got := allowed.Test(context.Background(), "http://sneaky.example.com"+port+"/sms", "GET", "token", params); got != "" {
		t.Errorf("allowed by name: Test = %q, want success", got)
	}
}

// TestWebhookTestChecksTheAnswer: signed like Twilio, TwiML required, no
// redirect followed, the body capped.
func TestWebhookTestChecksTheAnswer(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	mux := http.NewServeMux()
	var signed bool
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		want := verifier.Signature(token, "http://"+r.Host+"/ok", r.PostForm)
		signed = r.Header.Get("X-Twilio-Signature") == want
		_, _ = io.WriteString(w, `<Response/>`)
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `<html><body>hi</body></html>`) })
	mux.HandleFunc("/error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/", http.StatusFound)
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "<Response><Message>"+strings.Repeat("a", 1<<20)+"</Message></Response>")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	w := &verifier.WebhookTester{AllowPrivate: true}
	params := url.Values{"AccountSid": {"AC" + strings.Repeat("0", 32)}, "Body": {"hi"}}
	for path, want := range map[string]string{
		"/ok": "", "/html": quest.DetailNotTwiML, "/error": quest.DetailStatus, "/redirect": quest.DetailRedirect,
		"/huge": quest.DetailNotTwiML, "/missing": quest.DetailStatus,
	} {
		if got := w.Test(context.Background(), srv.URL+path, "POST", token, params); got != want {
			t.Errorf("Test(%s) = %q, want %q", path, got, want)
		}
	}
	if !signed {
		t.Error("the request was not signed as Twilio signs")
	}
}

// TestWebhookAnswersThroughVerify: an objective with webhook_answers
// sends the number's webhook a request signed with the player's token
// and passes on TwiML; without --allow-private-webhooks the same local
// server is refused as private, and never called.
func TestWebhookAnswersThroughVerify(t *testing.T) {
	s := newSandboxed(t)
	var calls, goodSignature int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		_ = r.ParseForm()
		if r.Header.Get("X-Twilio-Signature") == verifier.Signature(s.account.AuthToken, "http://"+r.Host+r.URL.Path, r.PostForm) {
			goodSignature++
		}
		_, _ = io.WriteString(w, `<Response><Message>Thanks!</Message></Response>`)
	}))
	defer srv.Close()
	acc := "/2010-04-01/Accounts/" + s.account.SID
	pn := s.post(t, acc+"/IncomingPhoneNumbers.json", url.Values{"PhoneNumber": {"+15555550150"}, "SmsUrl": {srv.URL + "/sms"}})["sid"].(string)
	o := catalog.Objective{ID: "answers", Kind: catalog.KindPhoneNumber,
		Checks: catalog.Checks{WebhookAnswers: true, WebhookAllowHTTP: true}}
	creds := quest.Credentials{AccountSID: s.account.SID, Secret: s.account.AuthToken}
	for _, tt := range []struct {
		allow  bool
		passed bool
		detail string
	}{{false, false, quest.DetailPrivate}, {true, true, ""}} {
		v, err := verifier.New(verifier.Options{BaseURL: "http://sandbox.test/sandbox", Transport: s.rt,
			Webhooks: &verifier.WebhookTester{AllowPrivate: tt.allow}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: &o, SID: pn, Credentials: creds})
		if err != nil || got.Passed != tt.passed || got.Detail != tt.detail ||
			(!tt.passed && got.Reason != quest.WebhookFailed) {
			t.Errorf("allow %v: verdict %+v, %v", tt.allow, got, err)
		}
	}
	if calls != 1 || goodSignature != 1 {
		t.Errorf("the webhook was called %d times, %d with Twilio's signature; want once, signed", calls, goodSignature)
	}
}
