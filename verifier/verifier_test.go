package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/twilio/twilio-go/client"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
)

const (
	testSM       = "SM" + hex32
	testMM       = "MM" + hex32
	otherAccount = "AC" + "ffffffffffffffffffffffffffffffff"
	testCreated  = "Thu, 24 Aug 2023 05:01:45 +0000"
)

var (
	tokenCreds = quest.Credentials{AccountSID: testAccount, Secret: testSecret}
	keyCreds   = quest.Credentials{AccountSID: testAccount, APIKeySID: testKey, Secret: testSecret}
)

// sendSMS mirrors the catalog's send-sms objective.
func sendSMS() catalog.Objective {
	return catalog.Objective{
		ID:          "send-sms",
		Kind:        catalog.KindMessage,
		SIDPrefixes: []string{"SM"},
		Checks: catalog.Checks{
			DirectionIn:   []string{"outbound-api", "outbound-reply"},
			StatusNotIn:   []string{"failed", "undelivered", "canceled"},
			BodyNotSample: true,
		},
		Samples: catalog.Samples{Body: catalog.Text{"en": "Ahoy from the Twilio API!", "fr": "Bonjour depuis l'API Twilio !"}},
	}
}

func sendMMS() catalog.Objective {
	o := sendSMS()
	o.ID, o.SIDPrefixes = "send-mms", []string{"MM"}
	return o
}

// sendWhatsApp mirrors the catalog's send-whatsapp objective: a message
// whose From and To are on the WhatsApp channel.
func sendWhatsApp() catalog.Objective {
	o := sendSMS()
	o.ID, o.Kind, o.SIDPrefixes = "send-whatsapp", catalog.KindWhatsApp, nil
	return o
}

// fakeTwilio is a Twilio API stand-in. Each handler answers one resource;
// a nil handler fails the test when called, which proves that local checks
// spend no request.
type fakeTwilio struct {
	t       *testing.T
	message http.HandlerFunc // GET {prefix}/2010-04-01/Accounts/{AC}/Messages/{SID}.json
	call    http.HandlerFunc // GET {prefix}/2010-04-01/Accounts/{AC}/Calls/{SID}.json
	account http.HandlerFunc // GET {prefix}/2010-04-01/Accounts/{AC}.json
	calls   atomic.Int32
}

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	var h http.HandlerFunc
	switch {
	case strings.Contains(r.URL.Path, "/Messages/"):
		h = f.message
	case strings.Contains(r.URL.Path, "/Calls/"):
		h = f.call
	case strings.Contains(r.URL.Path, "/Accounts/"):
		h = f.account
	}
	if h == nil {
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.Error(w, "unexpected", http.StatusTeapot)
		return
	}
	h(w, r)
}

// newFake starts a fake Twilio mounted at prefix and a Verifier for it.
func newFake(t *testing.T, prefix string, f *fakeTwilio, opts Options) (*Verifier, *httptest.Server) {
	t.Helper()
	f.t = t
	mux := http.NewServeMux()
	mux.Handle(prefix+"/2010-04-01/", f)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	opts.BaseURL = srv.URL + prefix
	v, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return v, srv
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// twilioError answers like Twilio's API errors do.
func twilioError(status, code int, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		writeJSON(w, status, map[string]any{
			"code": code, "message": "error " + fmt.Sprint(code), "status": status,
			"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		})
	}
}

func raw(status int, contentType, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

// message answers with a sent, delivered SMS of the test account, changed
// by the given field overrides (a nil value removes the field).
func message(overrides map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m := map[string]any{
			"sid": testSM, "account_sid": testAccount, "status": "delivered", "direction": "outbound-api",
			"to": "+15558675310", "from": "+15017122661", "body": "My very own first text!",
			"num_media": "0", "num_segments": "1", "date_created": testCreated, "date_sent": testCreated,
			"price": "-0.00750", "price_unit": "USD", "api_version": "2010-04-01", "error_code": nil,
		}
		for k, v := range overrides {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		writeJSON(w, http.StatusOK, m)
	}
}

// ignoreTiming ignores what a verdict measured of the fetch (its time and
// tries) and the message, which tests check on their own.
var ignoreTiming = cmpopts.IgnoreFields(quest.Verdict{}, "Upstream", "Attempts", "Message")

func TestVerifyLocalChecksSpendNoRequest(t *testing.T) {
	tests := []struct {
		name  string
		obj   catalog.Objective
		sid   string
		creds quest.Credentials
		want  quest.Verdict
	}{
		{"empty", sendSMS(), "", tokenCreds, quest.Verdict{Reason: quest.InvalidSID, Detail: quest.DetailEmpty}},
		{"only quotes and spaces", sendSMS(), ` " " `, tokenCreds, quest.Verdict{Reason: quest.InvalidSID, Detail: quest.DetailEmpty}},
		{"too short", sendSMS(), "SM0123456789", tokenCreds, quest.Verdict{Reason: quest.InvalidSID, Detail: quest.DetailLength}},
		{"too long", sendSMS(), testSM + "00", tokenCreds, quest.Verdict{Reason: quest.InvalidSID, Detail: quest.DetailLength}},
		{"lower-case and short", sendSMS(), "sm0123", tokenCreds, quest.Verdict{Reason: quest.InvalidSID, Detail: quest.DetailLength}},
		{"inner space", sendSMS(), "SM0123456789abcdef 0123456789abcdef", tokenCreds, quest.Verdict{Reason: quest.InvalidSID, Detail: quest.DetailCharacters}},
		{"dash", sendSMS(), "SM-" + hex32, tokenCreds, quest.Verdict{Reason: quest.InvalidSID, Detail: quest.DetailCharacters}},
		{"placeholder", sendSMS(), "SMXXXX", tokenCreds, quest.Verdict{Reason: quest.InvalidSID, Detail: quest.DetailFormat}},
		{"a word", sendSMS(), "hello", tokenCreds, quest.Verdict{Reason: quest.InvalidSID, Detail: quest.DetailFormat}},
		{"digits first", sendSMS(), "12" + hex32, tokenCreds, quest.Verdict{Reason: quest.InvalidSID, Detail: quest.DetailFormat}},

		{"account SID", sendSMS(), testAccount, tokenCreds, quest.Verdict{Reason: quest.WrongResource, Detail: quest.DetailAccount, SID: testAccount}},
		{"api key SID", sendSMS(), testKey, tokenCreds, quest.Verdict{Reason: quest.WrongResource, Detail: quest.DetailAPIKey, SID: testKey}},
		{"call SID", sendSMS(), "CA" + hex32, tokenCreds, quest.Verdict{Reason: quest.WrongResource, Detail: quest.DetailCall, SID: "CA" + hex32}},
		{"MMS for an SMS objective", sendSMS(), testMM, tokenCreds, quest.Verdict{Reason: quest.WrongResource, Detail: quest.DetailMMS, SID: testMM}},
		{"SMS for an MMS objective", sendMMS(), testSM, tokenCreds, quest.Verdict{Reason: quest.WrongResource, Detail: quest.DetailSMS, SID: testSM}},
		{"phone number SID", sendSMS(), "PN" + hex32, tokenCreds, quest.Verdict{Reason: quest.WrongResource, Detail: quest.DetailOtherResource, SID: "PN" + hex32}},
		{"lower-case account SID", sendSMS(), "ac" + hex32, tokenCreds, quest.Verdict{Reason: quest.WrongResource, Detail: quest.DetailAccount, SID: testAccount}},

		{"no credentials", sendSMS(), testSM, quest.Credentials{}, quest.Verdict{Reason: quest.NoCredentials, SID: testSM}},
		{"SID problem before credentials", sendSMS(), testAccount, quest.Credentials{}, quest.Verdict{Reason: quest.WrongResource, Detail: quest.DetailAccount, SID: testAccount}},
		{"malformed account", sendSMS(), testSM, quest.Credentials{AccountSID: "AC123", Secret: testSecret},
			quest.Verdict{Reason: quest.BadCredentials, Detail: quest.DetailFormat, SID: testSM}},
		{"malformed key", sendSMS(), testSM, quest.Credentials{AccountSID: testAccount, APIKeySID: "SK1", Secret: testSecret},
			quest.Verdict{Reason: quest.BadCredentials, Detail: quest.DetailFormat, SID: testSM}},
		{"secret twilio-go would refuse", sendSMS(), testSM, quest.Credentials{AccountSID: testAccount, Secret: "pa$$word"},
			quest.Verdict{Reason: quest.BadCredentials, Detail: quest.DetailFormat, SID: testSM}},
		{"account without secret", sendSMS(), testSM, quest.Credentials{AccountSID: testAccount},
			quest.Verdict{Reason: quest.BadCredentials, Detail: quest.DetailFormat, SID: testSM}},
	}
	f := &fakeTwilio{} // no handlers: any request fails the test
	v, _ := newFake(t, "", f, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: &tt.obj, SID: quest.Normalize(tt.sid), Credentials: tt.creds})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
		})
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("%d requests reached Twilio, want none", n)
	}
}

func TestVerifyTwilioAnswers(t *testing.T) {
	inboundOnly := sendSMS()
	inboundOnly.Checks.DirectionIn = []string{"inbound"}
	noChecks := sendSMS()
	noChecks.Checks = catalog.Checks{}
	apiOnly := sendSMS()
	apiOnly.Checks.DirectionIn = []string{"outbound-api"}

	passed := quest.Verdict{Passed: true, SID: testSM}
	tests := []struct {
		name    string
		obj     catalog.Objective
		sid     string
		handler http.HandlerFunc
		want    quest.Verdict
	}{
		{"delivered", sendSMS(), testSM, message(nil), passed},
		{"pasted sloppily", sendSMS(), " “sm" + strings.ToUpper(hex32) + "”. ", message(nil), passed},
		{"outbound-reply", sendSMS(), testSM, message(map[string]any{"direction": "outbound-reply"}), passed},
		{"outbound-reply where only outbound-api is listed", apiOnly, testSM, message(map[string]any{"direction": "outbound-reply"}), passed},
		{"still queued", sendSMS(), testSM, message(map[string]any{"status": "queued"}), passed},
		{"MMS", sendMMS(), testMM, message(map[string]any{"sid": testMM, "num_media": "1"}), quest.Verdict{Passed: true, SID: testMM}},
		{"no checks, bare message", noChecks, testSM, message(map[string]any{"direction": nil, "status": nil, "body": nil, "date_created": nil}), passed},

		{"bad credentials 401", sendSMS(), testSM, twilioError(401, 20003), quest.Verdict{Reason: quest.BadCredentials, Detail: quest.DetailRejected, SID: testSM}},
		{"bad credentials code 20003", sendSMS(), testSM, twilioError(400, 20003), quest.Verdict{Reason: quest.BadCredentials, Detail: quest.DetailRejected, SID: testSM}},
		{"restricted key 403", sendSMS(), testSM, twilioError(403, 20403), quest.Verdict{Reason: quest.BadCredentials, Detail: quest.DetailForbidden, SID: testSM}},
		{"not found 404", sendSMS(), testSM, twilioError(404, 20404), quest.Verdict{Reason: quest.NotFound, SID: testSM}},
		{"not found code 20404", sendSMS(), testSM, twilioError(400, 20404), quest.Verdict{Reason: quest.NotFound, SID: testSM}},
		{"another account's message", sendSMS(), testSM, message(map[string]any{"account_sid": otherAccount}), quest.Verdict{Reason: quest.NotFound, SID: testSM}},

		{"inbound", sendSMS(), testSM, message(map[string]any{"direction": "inbound", "status": "received"}),
			quest.Verdict{Reason: quest.WrongDirection, Detail: quest.DetailInbound, SID: testSM}},
		{"outbound-call", sendSMS(), testSM, message(map[string]any{"direction": "outbound-call"}),
			quest.Verdict{Reason: quest.WrongDirection, SID: testSM}},
		{"outbound where inbound is wanted", inboundOnly, testSM, message(nil),
			quest.Verdict{Reason: quest.WrongDirection, Detail: quest.DetailOutbound, SID: testSM}},
		{"no direction", sendSMS(), testSM, message(map[string]any{"direction": nil}),
			quest.Verdict{Reason: quest.WrongDirection, SID: testSM}},

		{"failed", sendSMS(), testSM, message(map[string]any{"status": "failed", "error_code": 30008}),
			quest.Verdict{Reason: quest.FailedStatus, Detail: "failed", SID: testSM}},
		{"undelivered", sendSMS(), testSM, message(map[string]any{"status": "undelivered"}),
			quest.Verdict{Reason: quest.FailedStatus, Detail: "undelivered", SID: testSM}},
		{"canceled", sendSMS(), testSM, message(map[string]any{"status": "canceled"}),
			quest.Verdict{Reason: quest.FailedStatus, Detail: "canceled", SID: testSM}},

		{"english sample", sendSMS(), testSM, message(map[string]any{"body": "Ahoy from the Twilio API!"}),
			quest.Verdict{Reason: quest.SampleBody, SID: testSM}},
		{"french sample", sendSMS(), testSM, message(map[string]any{"body": "Bonjour depuis l'API Twilio !"}),
			quest.Verdict{Reason: quest.SampleBody, SID: testSM}},
		{"trial prefix", sendSMS(), testSM, message(map[string]any{"body": "Sent from your Twilio trial account - Ahoy from the Twilio API!"}),
			quest.Verdict{Reason: quest.SampleBody, SID: testSM}},
		{"case and spacing", sendSMS(), testSM, message(map[string]any{"body": "  ahoy   FROM the\ttwilio API!\n"}),
			quest.Verdict{Reason: quest.SampleBody, SID: testSM}},
		{"french typography differs", sendSMS(), testSM, message(map[string]any{"body": "sent from your twilio trial account - BONJOUR depuis l’API Twilio!"}),
			quest.Verdict{Reason: quest.SampleBody, SID: testSM}},
		{"sample with more words", sendSMS(), testSM, message(map[string]any{"body": "Ahoy from the Twilio API! It's Ada."}), passed},
		{"empty body", sendSMS(), testSM, message(map[string]any{"body": ""}), passed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTwilio{message: tt.handler}
			v, _ := newFake(t, "", f, Options{})
			got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: &tt.obj, SID: quest.Normalize(tt.sid), Credentials: tokenCreds})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreTiming); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
			if got.Upstream <= 0 || got.Attempts != 1 {
				t.Errorf("Upstream = %v, Attempts = %d; want the call's duration and 1 try", got.Upstream, got.Attempts)
			}
			if f.calls.Load() != 1 {
				t.Errorf("%d requests, want 1", f.calls.Load())
			}
		})
	}
}

func TestVerifyMessage(t *testing.T) {
	f := &fakeTwilio{message: message(map[string]any{"num_media": "2", "sid": testMM})}
	v, _ := newFake(t, "", f, Options{})
	got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendMMS()), SID: testMM, Credentials: tokenCreds})
	if err != nil || !got.Passed {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	want := &quest.Message{
		SID: testMM, AccountSID: testAccount, Status: "delivered", Direction: "outbound-api",
		To: "+15558675310", From: "+15017122661", Body: "My very own first text!", NumMedia: 2,
		DateCreated: time.Date(2023, 8, 24, 5, 1, 45, 0, time.UTC),
	}
	if diff := cmp.Diff(want, got.Message); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}

	// Every field is optional in twilio-go; malformed ones are zero.
	f.message = message(map[string]any{"num_media": "lots", "date_created": "yesterday", "to": nil, "from": nil, "body": nil})
	got, err = v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds})
	if err != nil {
		t.Fatal(err)
	}
	want = &quest.Message{SID: testSM, AccountSID: testAccount, Status: "delivered", Direction: "outbound-api"}
	if diff := cmp.Diff(want, got.Message); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	// A rejected message is still shown, so the player sees what we saw.
	f.message = message(map[string]any{"direction": "inbound"})
	if got, _ = v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds}); got.Message == nil || got.Message.Direction != "inbound" {
		t.Errorf("rejected verdict message = %+v", got.Message)
	}
	// Another account's message is not.
	f.message = message(map[string]any{"account_sid": otherAccount})
	if got, _ = v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds}); got.Message != nil {
		t.Errorf("another account's message is shown: %+v", got.Message)
	}
}

func TestVerifyWithTheCatalog(t *testing.T) {
	c, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	obj, ok := c.Get("send-sms")
	if !ok {
		t.Skip("no send-sms objective in the catalog")
	}
	f := &fakeTwilio{}
	v, _ := newFake(t, "", f, Options{})
	for _, sample := range obj.Samples.Body {
		f.message = message(map[string]any{"body": sample})
		got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: &obj, SID: testSM, Credentials: tokenCreds})
		if err != nil || got.Reason != quest.SampleBody {
			t.Errorf("sample %q: verdict %+v, %v; want %s", sample, got, err, quest.SampleBody)
		}
	}
	f.message = message(nil)
	if got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: &obj, SID: testSM, Credentials: tokenCreds}); err != nil || !got.Passed {
		t.Errorf("own message: verdict %+v, %v; want passed", got, err)
	}
}

func TestVerifyUpstreamTrouble(t *testing.T) {
	redirected := atomic.Bool{}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    quest.UpstreamError
	}{
		{"rate limited", twilioError(429, 20429, "Retry-After", "7"),
			quest.UpstreamError{Reason: quest.UpstreamRateLimited, Status: 429, RetryAfter: 7 * time.Second, TwilioRetryAfter: 7 * time.Second}},
		{"rate limited, no JSON", raw(429, "text/plain", "slow down"),
			quest.UpstreamError{Reason: quest.UpstreamRateLimited, Status: 429}},
		{"rate limited by code", twilioError(400, 20429),
			quest.UpstreamError{Reason: quest.UpstreamRateLimited, Status: 400}},
		{"500 JSON", twilioError(500, 20500),
			quest.UpstreamError{Reason: quest.UpstreamUnavailable, Status: 500}},
		{"502 HTML page", raw(502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"),
			quest.UpstreamError{Reason: quest.UpstreamUnavailable, Status: 502}},
		{"503 empty body with Retry-After", raw(503, "", "", "Retry-After", "30"),
			quest.UpstreamError{Reason: quest.UpstreamUnavailable, Status: 503, RetryAfter: 30 * time.Second, TwilioRetryAfter: 30 * time.Second}},
		{"404 HTML page (not Twilio)", raw(404, "text/html", "<h1>Not Found</h1>"),
			quest.UpstreamError{Reason: quest.UpstreamUnavailable, Status: 404}},
		{"301 redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusMovedPermanently)
		}, quest.UpstreamError{Reason: quest.UpstreamUnavailable, Status: 301}},
		{"302 with a message body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "/elsewhere")
			writeJSON(w, http.StatusFound, map[string]any{"sid": testSM, "account_sid": testAccount})
		}, quest.UpstreamError{Reason: quest.UpstreamUnavailable, Status: 302}},
		{"200 HTML", raw(200, "text/html", "<html>hello</html>"),
			quest.UpstreamError{Reason: quest.UpstreamUnavailable, Status: 200}},
		{"200 empty object", raw(200, "application/json", "{}"),
			quest.UpstreamError{Reason: quest.UpstreamUnavailable, Status: 200}},
		{"200 another message", message(map[string]any{"sid": "SM" + strings.Repeat("9", 32)}),
			quest.UpstreamError{Reason: quest.UpstreamUnavailable, Status: 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTwilio{message: tt.handler}
			// One try: what each failure means, not how it is retried
			// (faults_test.go).
			v, srv := newFake(t, "", f, Options{MaxTries: 1})
			srv.Config.Handler.(*http.ServeMux).HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
				redirected.Store(true)
				message(nil)(w, r)
			})
			verdict, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds})
			var ue *quest.UpstreamError
			if !errors.As(err, &ue) {
				t.Fatalf("Verify = %+v, %v; want an *UpstreamError", verdict, err)
			}
			if diff := cmp.Diff(&tt.want, ue, cmpopts.IgnoreFields(quest.UpstreamError{}, "Err")); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if ue.Err == nil {
				t.Error("Err is nil, want the cause")
			}
			if quest.ReasonOf(err) != tt.want.Reason || verdict.Reason != tt.want.Reason || verdict.SID != testSM || verdict.Passed {
				t.Errorf("verdict = %+v, ReasonOf = %s", verdict, quest.ReasonOf(err))
			}
		})
	}
	if redirected.Load() {
		t.Error("a redirect was followed")
	}
}

func TestVerifyRetryAfterDate(t *testing.T) {
	when := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	f := &fakeTwilio{message: twilioError(429, 20429, "Retry-After", when)}
	v, _ := newFake(t, "", f, Options{})
	_, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds})
	var ue *quest.UpstreamError
	if !errors.As(err, &ue) || ue.RetryAfter < 85*time.Second || ue.RetryAfter > 91*time.Second {
		t.Errorf("Verify error = %#v, want RetryAfter about 90s", err)
	}
}

// hang answers only when the client goes away or the test ends.
func hang(t *testing.T, started chan<- struct{}) http.HandlerFunc {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var once sync.Once
	return func(w http.ResponseWriter, r *http.Request) {
		if started != nil {
			once.Do(func() { close(started) })
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
}

func TestVerifyTimeout(t *testing.T) {
	f := &fakeTwilio{}
	f.message = hang(t, nil)
	v, _ := newFake(t, "", f, Options{Timeout: 150 * time.Millisecond})
	start := time.Now()
	verdict, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds})
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Verify took %v with a 150ms timeout", elapsed)
	}
	var ue *quest.UpstreamError
	if !errors.As(err, &ue) || ue.Reason != quest.UpstreamUnavailable || ue.Status != 0 {
		t.Fatalf("Verify error = %v, want upstream_unavailable without status", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "150ms") || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("error %q should say the timeout and where the request went", err)
	}
	if verdict.Reason != quest.UpstreamUnavailable || verdict.Detail != quest.DetailTimeout || verdict.Upstream < 150*time.Millisecond {
		t.Errorf("verdict = %+v", verdict)
	}
}

func TestVerifyCancelledMidCall(t *testing.T) {
	started := make(chan struct{})
	f := &fakeTwilio{message: hang(t, started)}
	v, _ := newFake(t, "", f, Options{Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	start := time.Now()
	verdict, err := v.Verify(ctx, quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds})
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Verify took %v after its context was cancelled", elapsed)
	}
	if quest.ReasonOf(err) != quest.UpstreamUnavailable || !errors.Is(err, context.Canceled) {
		t.Errorf("Verify error = %v, want upstream_unavailable wrapping context.Canceled", err)
	}
	if verdict.Detail != "" {
		t.Errorf("Detail = %q: a cancellation is not a timeout", verdict.Detail)
	}
}

func TestVerifyConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	v, err := New(Options{BaseURL: "http://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds})
	var ue *quest.UpstreamError
	if !errors.As(err, &ue) || ue.Reason != quest.UpstreamUnavailable || ue.Status != 0 {
		t.Fatalf("Verify error = %v, want upstream_unavailable without status", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("error %v does not wrap the network error", err)
	}
}

func TestVerifyRequest(t *testing.T) {
	tests := []struct {
		name     string
		creds    quest.Credentials
		wantUser string
	}{
		{"auth token", tokenCreds, testAccount},
		{"api key", keyCreds, testKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *http.Request
			f := &fakeTwilio{message: func(w http.ResponseWriter, r *http.Request) {
				got = r
				message(nil)(w, r)
			}}
			v, srv := newFake(t, "/sandbox", f, Options{})
			verdict, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tt.creds})
			if err != nil || !verdict.Passed {
				t.Fatalf("Verify = %+v, %v", verdict, err)
			}
			if want := "/sandbox/2010-04-01/Accounts/" + testAccount + "/Messages/" + testSM + ".json"; got.URL.Path != want {
				t.Errorf("path = %q, want %q", got.URL.Path, want)
			}
			if got.Method != http.MethodGet || got.URL.RawQuery != "" {
				t.Errorf("request = %s %s", got.Method, got.URL)
			}
			if want := strings.TrimPrefix(srv.URL, "http://"); got.Host != want {
				t.Errorf("Host = %q, want %q", got.Host, want)
			}
			user, pass, ok := got.BasicAuth()
			if !ok || user != tt.wantUser || pass != testSecret {
				t.Errorf("basic auth = %q, %q, %v; want %q and the secret", user, pass, ok, tt.wantUser)
			}
		})
	}
}

func TestVerifyConcurrently(t *testing.T) {
	f := &fakeTwilio{message: message(nil)}
	v, _ := newFake(t, "", f, Options{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: keyCreds})
			if err != nil || !got.Passed {
				t.Errorf("Verify = %+v, %v", got, err)
			}
		})
	}
	wg.Wait()
}

func TestOutcome(t *testing.T) {
	tests := []struct {
		name   string
		status int
		err    error
		want   outcome
	}{
		{"ok", 200, nil, outcomeOK},
		{"local username refusal", 0, &client.TwilioRestError{Status: 400, Code: 21222}, outcomeFormat},
		{"local password refusal", 0, &client.TwilioRestError{Status: 400, Code: 21224}, outcomeFormat},
		{"401", 401, &client.TwilioRestError{Status: 401, Code: 20003}, outcomeRejected},
		{"20003 without status", 0, &client.TwilioRestError{Code: 20003}, outcomeRejected},
		{"403", 403, &client.TwilioRestError{Status: 403, Code: 20003}, outcomeForbidden},
		{"404", 404, &client.TwilioRestError{Status: 404, Code: 20404}, outcomeNotFound},
		{"404 from the error body", 0, &client.TwilioRestError{Status: 404, Code: 20404}, outcomeNotFound},
		{"429", 429, errors.New("decode"), outcomeRateLimited},
		{"20429", 400, &client.TwilioRestError{Status: 400, Code: 20429}, outcomeRateLimited},
		{"500", 500, &client.TwilioRestError{Status: 500, Code: 20500}, outcomeUnavailable},
		{"wrapped", 401, fmt.Errorf("x: %w", &client.TwilioRestError{Status: 401, Code: 20003}), outcomeRejected},
		// A JSON error without Twilio's code is a gateway's or a wrong
		// base URL's, never the player's mistake.
		{"JSON 404 without a code", 404, &client.TwilioRestError{}, outcomeUnavailable},
		{"JSON 401 without a code", 401, &client.TwilioRestError{Message: "Unauthorized"}, outcomeUnavailable},
		{"JSON 403 without a code", 403, &client.TwilioRestError{Status: 403}, outcomeUnavailable},
		{"an HTTP status for a code", 404, &client.TwilioRestError{Status: 404, Code: 404}, outcomeUnavailable},
		{"a body status that disagrees", 404, &client.TwilioRestError{Status: 401, Code: 20003}, outcomeUnavailable},
		{"not a Twilio error", 404, errors.New("decode"), outcomeUnavailable},
	}
	for _, tt := range tests {
		if got := (callResult{status: tt.status, err: tt.err}).outcome(); got != tt.want {
			t.Errorf("%s: outcome = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCheckCredentials(t *testing.T) {
	account := func(sid string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"sid": sid, "owner_account_sid": sid, "status": "active", "friendly_name": "My first Twilio account", "type": "Trial"})
		}
	}
	tests := []struct {
		name      string
		creds     quest.Credentials
		handler   http.HandlerFunc
		want      error
		wantCalls int32
	}{
		{"auth token accepted", tokenCreds, account(testAccount), nil, 1},
		{"api key accepted", keyCreds, account(testAccount), nil, 1},
		{"rejected", tokenCreds, twilioError(401, 20003), &quest.CredentialsError{Field: quest.FieldSecret, Problem: quest.ProblemRejected}, 1},
		{"api key not allowed to read messages", keyCreds, twilioError(403, 20403), &quest.CredentialsError{Field: quest.FieldSecret, Problem: quest.ProblemForbidden}, 1},
		{"auth token forbidden", tokenCreds, twilioError(403, 20403), &quest.CredentialsError{Field: quest.FieldSecret, Problem: quest.ProblemForbidden}, 1},
		{"no such account", keyCreds, twilioError(404, 20404), &quest.CredentialsError{Field: quest.FieldAccountSID, Problem: quest.ProblemNotFound}, 1},
		{"another account", tokenCreds, account(otherAccount), &quest.CredentialsError{Field: quest.FieldAccountSID, Problem: quest.ProblemNotFound}, 1},
		{"rate limited", tokenCreds, twilioError(429, 20429, "Retry-After", "3"),
			&quest.UpstreamError{Reason: quest.UpstreamRateLimited, Status: 429, RetryAfter: 3 * time.Second, TwilioRetryAfter: 3 * time.Second}, 1},
		{"outage", tokenCreds, raw(503, "text/html", "<h1>down</h1>"), &quest.UpstreamError{Reason: quest.UpstreamUnavailable, Status: 503}, 1},
		{"none", quest.Credentials{}, nil, &quest.CredentialsError{Field: quest.FieldAccountSID, Problem: quest.ProblemRequired}, 0},
		{"malformed", quest.Credentials{AccountSID: testAccount, Secret: "not/alnum"}, nil, &quest.CredentialsError{Field: quest.FieldSecret, Problem: quest.ProblemFormat}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var path string
			f := &fakeTwilio{}
			if tt.handler != nil {
				f.account = func(w http.ResponseWriter, r *http.Request) {
					path = r.URL.Path
					tt.handler(w, r)
				}
			}
			v, _ := newFake(t, "/sandbox", f, Options{MaxTries: 1})
			err := v.CheckCredentials(context.Background(), tt.creds)
			if diff := cmp.Diff(tt.want, err, cmpopts.IgnoreFields(quest.UpstreamError{}, "Err")); diff != "" {
				t.Errorf("CheckCredentials (-want +got):\n%s", diff)
			}
			if got := f.calls.Load(); got != tt.wantCalls {
				t.Errorf("%d requests, want %d", got, tt.wantCalls)
			}
			if tt.wantCalls > 0 {
				want := "/sandbox/2010-04-01/Accounts/" + testAccount + ".json"
				if tt.creds.APIKeySID != "" {
					want = "/sandbox/2010-04-01/Accounts/" + testAccount + "/Messages.json"
				}
				if path != want {
					t.Errorf("path = %q, want %q", path, want)
				}
			}
		})
	}
}

// TestSecretNeverInErrors drives every error path with an upstream that
// echoes the secret back, and checks no returned error shows it.
func TestSecretNeverInErrors(t *testing.T) {
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			_, pass, _ := r.BasicAuth()
			writeJSON(w, status, map[string]any{"code": 20500, "status": status, "message": "bad password " + pass})
		}
	}
	echoHTML := func(w http.ResponseWriter, r *http.Request) {
		_, pass, _ := r.BasicAuth()
		raw(502, "text/html", "<p>"+pass+"</p>")(w, r)
	}
	handlers := map[string]http.HandlerFunc{
		"500 echo": echo(500), "401 echo": echo(401), "429 echo": echo(429), "403 echo": echo(403),
		"502 HTML echo": echoHTML, "hang": hang(t, nil),
	}
	var errs []error
	for name, h := range handlers {
		for _, creds := range []quest.Credentials{tokenCreds, keyCreds} {
			f := &fakeTwilio{message: h, account: h}
			v, _ := newFake(t, "", f, Options{Timeout: 100 * time.Millisecond})
			_, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: creds})
			errs = append(errs, err, v.CheckCredentials(context.Background(), creds))
			if name == "500 echo" && err == nil {
				t.Errorf("%s: no error", name)
			}
		}
	}
	v, _ := New(Options{BaseURL: "http://127.0.0.1:1"})
	_, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds})
	errs = append(errs, err)
	_, err = quest.ParseCredentials(testAccount, "", testSecret+"!")
	errs = append(errs, err)
	for _, err := range errs {
		if err == nil {
			continue
		}
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			if s := fmt.Sprintf(format, err); strings.Contains(s, testSecret) {
				t.Errorf("Sprintf(%q, err) shows the secret: %s", format, s)
			}
		}
		for e := err; e != nil; e = errors.Unwrap(e) {
			if strings.Contains(e.Error(), testSecret) {
				t.Errorf("wrapped error %T shows the secret: %v", e, e)
			}
		}
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"defaults", Options{}, ""},
		{"twilio", Options{BaseURL: "https://api.twilio.com"}, ""},
		{"sandbox with prefix", Options{BaseURL: "http://localhost:8080/sandbox/"}, ""},
		{"timeout", Options{Timeout: time.Minute}, ""},
		{"no scheme", Options{BaseURL: "api.twilio.com"}, "scheme"},
		{"relative", Options{BaseURL: "/sandbox"}, "scheme"},
		{"ftp", Options{BaseURL: "ftp://api.twilio.com"}, "scheme"},
		{"no host", Options{BaseURL: "http://"}, "no host"},
		{"opaque", Options{BaseURL: "http:api.twilio.com"}, "no host"},
		{"query", Options{BaseURL: "https://api.twilio.com?x=1"}, "query"},
		{"fragment", Options{BaseURL: "https://api.twilio.com/#x"}, "fragment"},
		{"user info", Options{BaseURL: "https://me:hunter2@api.twilio.com"}, "credentials"},
		{"unparsable", Options{BaseURL: "http://[::1"}, "base URL"},
		{"negative timeout", Options{Timeout: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := New(tt.opts)
			if tt.wantErr == "" {
				if err != nil || v == nil {
					t.Fatalf("New = %v, %v", v, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one about %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows the URL's password: %v", err)
			}
		})
	}
	v, _ := New(Options{})
	if v.base.String() != DefaultBaseURL || v.timeout != DefaultTimeout || v.transport == nil {
		t.Errorf("defaults: base %s, timeout %s, transport %v", v.base, v.timeout, v.transport)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"12", 12 * time.Second},
		{" 3 ", 3 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"1e9", 0},
		{"999999999", 24 * time.Hour},
		{now.Add(time.Minute).Format(http.TimeFormat), time.Minute},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
