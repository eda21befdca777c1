package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

const (
	callsPath     = "/2010-04-01/Accounts/{AccountSid}/Calls.json"
	callPath      = "/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json"
	mediaListPath = "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media.json"
	schemaCall    = "api.v2010.account.call"
	schemaMedia   = "api.v2010.account.message.media"
)

var (
	caSID = regexp.MustCompile(`^CA[0-9a-f]{32}$`)
	meSID = regexp.MustCompile(`^ME[0-9a-f]{32}$`)
)

func callForm(to string) url.Values {
	return url.Values{"To": {to}, "From": {"+15017122661"}, "Url": {"http://demo.twilio.com/docs/voice.xml"}}
}

// TestCallWalksThroughItsStatuses creates a call as the make-call
// objective's curl does and watches it progress, checking every answer
// against Twilio's description of the Call resource.
func TestCallWalksThroughItsStatuses(t *testing.T) {
	type state struct {
		Status   string
		Start    any
		End      any
		Duration any
	}
	// A call whose TwiML is at a Url (never fetched) lasts 12 s.
	started, ended := "Sun, 24 May 2026 17:44:48 +0000", "Sun, 24 May 2026 17:45:00 +0000"
	tests := []struct {
		to     string
		states []state // at 0, 1, 2 and 3 steps
	}{
		{"+15558675310", []state{{"queued", nil, nil, nil}, {"ringing", nil, nil, nil},
			{"in-progress", started, nil, nil}, {"completed", started, ended, "12"}}},
		{"+15005550004", []state{{"queued", nil, nil, nil}, {"failed", nil, nil, nil},
			{"failed", nil, nil, nil}, {"failed", nil, nil, nil}}},
		{"+15005550009", []state{{"queued", nil, nil, nil}, {"ringing", nil, nil, nil},
			{"no-answer", nil, nil, nil}, {"no-answer", nil, nil, nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			e := newEnv(t)
			a := e.account(t)
			r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Calls.json",
				form: callForm(tt.to), user: a.SID, pass: a.AuthToken})
			if r.status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			validate(t, responseSchema(t, callsPath, "POST", "201"), r.body)
			created := r.json(t)
			sid, _ := created["sid"].(string)
			if !caSID.MatchString(sid) || created["direction"] != "outbound-api" || created["to"] != tt.to || created["account_sid"] != a.SID {
				t.Fatalf("created = %v", created)
			}
			for i, want := range tt.states {
				if i > 0 {
					e.clock.Advance(time.Second)
				}
				got := e.do(t, req{method: http.MethodGet, path: "/2010-04-01/Accounts/" + a.SID + "/Calls/" + sid + ".json",
					user: a.SID, pass: a.AuthToken})
				validate(t, responseSchema(t, callPath, "GET", "200"), got.body)
				m := got.json(t)
				if diff := cmp.Diff(want, state{m["status"].(string), m["start_time"], m["end_time"], m["duration"]}); diff != "" {
					t.Errorf("step %d (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestCreateCallValidation(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)
	tests := []struct {
		name string
		form url.Values
		code int
	}{
		{"no To", url.Values{"From": {"+15017122661"}, "Url": {"http://x.example/t.xml"}}, 21201},
		{"bad To", callForm("555"), 21211},
		{"magic To 0001", callForm("+15005550001"), 21211},
		{"no From", url.Values{"To": {"+15558675310"}, "Url": {"http://x.example/t.xml"}}, 21213},
		{"bad From", url.Values{"To": {"+15558675310"}, "From": {"QuestGate"}, "Url": {"http://x.example/t.xml"}}, 21212},
		{"no TwiML", url.Values{"To": {"+15558675310"}, "From": {"+15017122661"}}, 21205},
		{"bad Url", url.Values{"To": {"+15558675310"}, "From": {"+15017122661"}, "Url": {"voice.xml"}}, 21205},
		{"inline Twiml", url.Values{"To": {"+15558675310"}, "From": {"+15017122661"}, "Twiml": {"<Response><Say>Ahoy</Say></Response>"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Calls.json",
				form: tt.form, user: a.SID, pass: a.AuthToken})
			if tt.code == 0 {
				if r.status != http.StatusCreated {
					t.Errorf("status %d: %s", r.status, r.body)
				}
				return
			}
			validateError(t, r, http.StatusBadRequest, tt.code)
		})
	}
}

func TestCallsOfAnotherAccountAreNotFound(t *testing.T) {
	e := newEnv(t)
	a, b := e.account(t), e.account(t)
	r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + b.SID + "/Calls.json",
		form: callForm("+15558675310"), user: b.SID, pass: b.AuthToken})
	sid := r.json(t)["sid"].(string)
	got := e.do(t, req{method: http.MethodGet, path: "/2010-04-01/Accounts/" + a.SID + "/Calls/" + sid + ".json", user: a.SID, pass: a.AuthToken})
	validateError(t, got, http.StatusNotFound, 20404)
	list := e.do(t, req{method: http.MethodGet, path: "/2010-04-01/Accounts/" + b.SID + "/Calls.json?PageSize=1", user: b.SID, pass: b.AuthToken})
	validate(t, responseSchema(t, callsPath, "GET", "200"), list.body)
	var page struct {
		Calls []json.RawMessage `json:"calls"`
	}
	if err := json.Unmarshal(list.body, &page); err != nil || len(page.Calls) != 1 {
		t.Fatalf("list = %s", list.body)
	}
	validate(t, componentSchema(t, schemaCall), page.Calls[0])
}

func TestMMSMediaList(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)
	form := url.Values{"To": {"+15558675310"}, "From": {"+15017122661"}, "Body": {"owls"},
		"MediaUrl": {"https://demo.twilio.com/owl.png", "https://example.com/photo"}}
	msg := e.send(t, a, form)
	sid := msg["sid"].(string)
	if !mmSID.MatchString(sid) || msg["num_media"] != "2" {
		t.Fatalf("created = %v", msg)
	}
	r := e.do(t, req{method: http.MethodGet, path: "/2010-04-01/Accounts/" + a.SID + "/Messages/" + sid + "/Media.json", user: a.SID, pass: a.AuthToken})
	validate(t, responseSchema(t, mediaListPath, "GET", "200"), r.body)
	var page struct {
		MediaList []json.RawMessage `json:"media_list"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.MediaList) != 2 {
		t.Fatalf("media = %s", r.body)
	}
	var types []string
	for _, raw := range page.MediaList {
		validate(t, componentSchema(t, schemaMedia), raw)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		if !meSID.MatchString(m["sid"].(string)) || m["parent_sid"] != sid {
			t.Errorf("media = %v", m)
		}
		types = append(types, m["content_type"].(string))
	}
	if diff := cmp.Diff([]string{"image/png", "image/jpeg"}, types); diff != "" {
		t.Errorf("content types (-want +got):\n%s", diff)
	}
	// An SMS has an empty list; another account's message has none.
	smsSID := e.send(t, a, sms("+15558675310", "plain"))["sid"].(string)
	r = e.do(t, req{method: http.MethodGet, path: "/2010-04-01/Accounts/" + a.SID + "/Messages/" + smsSID + "/Media.json", user: a.SID, pass: a.AuthToken})
	validate(t, responseSchema(t, mediaListPath, "GET", "200"), r.body)
	b := e.account(t)
	r = e.do(t, req{method: http.MethodGet, path: "/2010-04-01/Accounts/" + b.SID + "/Messages/" + sid + "/Media.json", user: b.SID, pass: b.AuthToken})
	validateError(t, r, http.StatusNotFound, 20404)
}

func TestInboundAndReply(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)
	r := e.do(t, req{method: http.MethodPost, path: "/accounts/" + a.SID + "/inbound", user: a.SID, pass: a.AuthToken,
		form: url.Values{"From": {"+33612345678"}, "To": {"+15017122661"}, "Body": {"Hi!"}, "ReplyBody": {"Hello back"}}})
	if r.status != http.StatusCreated {
		t.Fatalf("inbound: %d %s", r.status, r.body)
	}
	var out struct {
		Inbound json.RawMessage `json:"inbound"`
		Reply   json.RawMessage `json:"reply"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	validate(t, componentSchema(t, schemaMessage), out.Inbound)
	validate(t, componentSchema(t, schemaMessage), out.Reply)
	var in, reply map[string]any
	_ = json.Unmarshal(out.Inbound, &in)
	_ = json.Unmarshal(out.Reply, &reply)
	if in["direction"] != "inbound" || in["status"] != "received" || in["from"] != "+33612345678" {
		t.Errorf("inbound = %v", in)
	}
	if reply["direction"] != "outbound-reply" || reply["to"] != "+33612345678" || reply["from"] != "+15017122661" || reply["body"] != "Hello back" {
		t.Errorf("reply = %v", reply)
	}
	// Without ReplyBody there is only the incoming text.
	r = e.do(t, req{method: http.MethodPost, path: "/accounts/" + a.SID + "/inbound", user: a.SID, pass: a.AuthToken,
		form: url.Values{"From": {"+33612345678"}, "To": {"+15017122661"}, "Body": {"again"}}})
	if got := r.json(t)["reply"]; r.status != http.StatusCreated || got != nil {
		t.Errorf("without ReplyBody: %d reply %v", r.status, got)
	}
	for name, form := range map[string]url.Values{
		"no From": {"To": {"+15017122661"}, "Body": {"x"}},
		"no Body": {"From": {"+33612345678"}, "To": {"+15017122661"}},
	} {
		r := e.do(t, req{method: http.MethodPost, path: "/accounts/" + a.SID + "/inbound", user: a.SID, pass: a.AuthToken, form: form})
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d", name, r.status)
		}
	}
	other := e.account(t)
	r = e.do(t, req{method: http.MethodPost, path: "/accounts/" + a.SID + "/inbound", user: other.SID, pass: other.AuthToken,
		form: url.Values{"From": {"+33612345678"}, "To": {"+15017122661"}, "Body": {"x"}}})
	validateError(t, r, http.StatusUnauthorized, 20003)
}

// TestTwilioGoCallsAndMedia drives calls and media with the official
// client, as a player's program and questgate's verifier do.
func TestTwilioGoCallsAndMedia(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)
	rc := twilioClient(InProcess(e.sb), a.SID, a.AuthToken, a.SID)
	call, err := rc.Api.CreateCall((&openapi.CreateCallParams{}).SetTo("+15558675310").SetFrom("+15017122661").
		SetUrl("http://demo.twilio.com/docs/voice.xml"))
	if err != nil || call.Sid == nil || call.Status == nil || *call.Status != "queued" {
		t.Fatalf("CreateCall = %+v, %v", call, err)
	}
	e.clock.Advance(3 * time.Second)
	got, err := rc.Api.FetchCall(*call.Sid, &openapi.FetchCallParams{PathAccountSid: &a.SID})
	if err != nil || *got.Status != "completed" || *got.Duration != "12" {
		t.Errorf("FetchCall = %+v, %v", got, err)
	}
	msg, err := rc.Api.CreateMessage((&openapi.CreateMessageParams{}).SetTo("+15558675310").SetFrom("+15017122661").
		SetMediaUrl([]string{"https://demo.twilio.com/owl.png"}))
	if err != nil {
		t.Fatal(err)
	}
	media, err := rc.Api.ListMedia(*msg.Sid, &openapi.ListMediaParams{PathAccountSid: &a.SID})
	if err != nil || len(media) != 1 || *media[0].ContentType != "image/png" {
		t.Errorf("ListMedia = %+v, %v", media, err)
	}
}
