package verifier_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/sandbox"
	"github.com/questgate/questgate/store"
	"github.com/questgate/questgate/verifier"
)

// sandboxed is the embedded catalog's objectives verified against the
// sandbox, in memory, as `questgate serve --sandbox` does.
type sandboxed struct {
	v       *verifier.Verifier
	rt      http.RoundTripper
	account sandbox.Account
	cat     *catalog.Catalog
	clock   *time.Time
}

func newSandboxed(t *testing.T) *sandboxed {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 5, 24, 17, 44, 46, 0, time.UTC)
	s := &sandboxed{clock: &now}
	sb := sandbox.New(st, sandbox.Options{Now: func() time.Time { return *s.clock }, Step: time.Second})
	s.rt = sandbox.InProcess(sb)
	if s.v, err = verifier.New(verifier.Options{BaseURL: "http://sandbox.test/sandbox", Transport: s.rt}); err != nil {
		t.Fatal(err)
	}
	if s.account, err = sb.CreateAccount(context.Background(), "kinds"); err != nil {
		t.Fatal(err)
	}
	if s.cat, err = catalog.Default(); err != nil {
		t.Fatal(err)
	}
	return s
}

// post sends form to path under the sandbox as the account, returning
// the decoded answer.
func (s *sandboxed) post(t *testing.T, path string, form url.Values) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://sandbox.test/sandbox"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.account.SID, s.account.AuthToken)
	resp, err := s.rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
	}
	return out
}

func (s *sandboxed) verify(t *testing.T, objective, sid string, p *quest.PlayerFacts) quest.Verdict {
	t.Helper()
	o, ok := s.cat.Get(objective)
	if !ok {
		t.Fatalf("no objective %s", objective)
	}
	v, err := s.v.Verify(context.Background(), quest.CheckRequest{Objective: &o, SID: quest.Normalize(sid), Player: p,
		Credentials: quest.Credentials{AccountSID: s.account.SID, Secret: s.account.AuthToken}})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return v
}

// TestEveryKindAgainstTheSandbox plays each shipped objective against the
// sandbox: what the instructions say passes, the usual mistakes do not.
func TestEveryKindAgainstTheSandbox(t *testing.T) {
	s := newSandboxed(t)
	acc := "/2010-04-01/Accounts/" + s.account.SID
	earlier := &quest.PlayerFacts{OpenedAt: s.clock.Add(-time.Hour)}
	later := &quest.PlayerFacts{OpenedAt: s.clock.Add(time.Hour)}

	mms := s.post(t, acc+"/Messages.json", url.Values{"From": {"+15017122661"}, "To": {"+15558675310"}, "Body": {"an owl"},
		"MediaUrl": {"https://demo.twilio.com/owl.png"}})["sid"].(string)
	sms := s.post(t, acc+"/Messages.json", url.Values{"From": {"+15017122661"}, "To": {"+15558675310"}, "Body": {"mine"}})["sid"].(string)
	call := s.post(t, acc+"/Calls.json", url.Values{"From": {"+15017122661"}, "To": {"+15558675310"},
		"Url": {"http://demo.twilio.com/docs/voice.xml"}})["sid"].(string)
	failedCall := s.post(t, acc+"/Calls.json", url.Values{"From": {"+15017122661"}, "To": {"+15005550004"},
		"Twiml": {"<Response/>"}})["sid"].(string)
	inbound := s.post(t, "/accounts/"+s.account.SID+"/inbound", url.Values{"From": {"+33612345678"}, "To": {"+15017122661"},
		"Body": {"hi"}, "ReplyBody": {"Hello from my code"}})
	reply := inbound["reply"].(map[string]any)["sid"].(string)
	received := inbound["inbound"].(map[string]any)["sid"].(string)
	viaService := s.post(t, acc+"/Messages.json", url.Values{"MessagingServiceSid": {"MG0123456789abcdef0123456789abcdef"},
		"To": {"+33612345678"}, "Body": {"Replying through a service"}})["sid"].(string)
	sampleReply := s.post(t, acc+"/Messages.json", url.Values{"From": {"+15017122661"}, "To": {"+33612345678"},
		"Body": {"Merci pour votre message !"}})["sid"].(string)
	*s.clock = s.clock.Add(10 * time.Second) // everything has reached its final status

	phone := &quest.PlayerFacts{OpenedAt: earlier.OpenedAt, Numbers: []string{"+33612345678"}}
	tests := []struct {
		objective, sid string
		player         *quest.PlayerFacts
		want           quest.Reason // "" for passed
		detail         string
	}{
		{"send-mms", mms, earlier, "", ""},
		{"send-mms", sms, earlier, quest.WrongResource, quest.DetailSMS},
		{"send-mms", mms, later, quest.CreatedBeforeOpened, ""},
		{"make-call", call, earlier, "", ""},
		{"make-call", failedCall, earlier, quest.FailedStatus, "failed"},
		{"make-call", call, later, quest.CreatedBeforeOpened, ""},
		{"make-call", sms, earlier, quest.WrongResource, "call_message"},
		{"reply-sms", reply, phone, "", ""},
		{"reply-sms", viaService, phone, "", ""},
		{"reply-sms", received, phone, quest.WrongDirection, quest.DetailInbound},
		{"reply-sms", sms, phone, quest.NumberNotRegistered, quest.DetailTo},
		{"reply-sms", reply, &quest.PlayerFacts{OpenedAt: earlier.OpenedAt}, quest.NumberNotRegistered, quest.DetailNoNumbers},
		{"reply-sms", sampleReply, phone, quest.SampleBody, ""},
		{"send-sms", sms, nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.objective+" "+tt.sid[:2]+" "+string(tt.want), func(t *testing.T) {
			got := s.verify(t, tt.objective, tt.sid, tt.player)
			if got.Passed != (tt.want == "") || got.Reason != tt.want || got.Detail != tt.detail {
				t.Errorf("verdict = %+v, want %q/%q", got, tt.want, tt.detail)
			}
		})
	}
}
