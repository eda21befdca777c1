package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/questgate/questgate/store"
)

var (
	smSID = regexp.MustCompile(`^SM[0-9a-f]{32}$`)
	mmSID = regexp.MustCompile(`^MM[0-9a-f]{32}$`)
	acSID = regexp.MustCompile(`^AC[0-9a-f]{32}$`)
	skSID = regexp.MustCompile(`^SK[0-9a-f]{32}$`)
	hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// TestSeedCurl replays the curl command of the send-SMS objective with
// only the host changed: exactly its three --data-urlencode fields and
// -u SID:token. It must create a message, which can then be fetched back
// and walks queued → sent → delivered.
func TestSeedCurl(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)

	// curl --data-urlencode "From=+15017122661" --data-urlencode "Body=Body"
	//      --data-urlencode "To=+15017122661" -u AC…:token
	body := "From=" + url.QueryEscape("+15017122661") + "&Body=Body&To=" + url.QueryEscape("+15017122661")
	created := e.do(t, req{
		method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json",
		body: body, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		user: a.SID, pass: a.AuthToken,
	})
	if created.status != http.StatusCreated {
		t.Fatalf("status = %d, want 201: %s", created.status, created.body)
	}
	if ct := created.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	validate(t, componentSchema(t, schemaMessage), created.body)
	msg := created.json(t)
	sid, _ := msg["sid"].(string)
	if !smSID.MatchString(sid) {
		t.Fatalf("sid = %q, want SM + 32 hex", sid)
	}

	uri := "/2010-04-01/Accounts/" + a.SID + "/Messages/" + sid
	want := map[string]any{
		"account_sid":           a.SID,
		"api_version":           "2010-04-01",
		"body":                  "Body",
		"date_created":          "Sun, 24 May 2026 17:44:46 +0000",
		"date_sent":             nil,
		"date_updated":          "Sun, 24 May 2026 17:44:46 +0000",
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  "+15017122661",
		"messaging_service_sid": nil,
		"num_media":             "0",
		"num_segments":          "1",
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   sid,
		"status":                "queued",
		"subresource_uris":      map[string]any{"media": uri + "/Media.json", "feedback": uri + "/Feedback.json"},
		"to":                    "+15017122661",
		"uri":                   uri + ".json",
	}
	if diff := cmp.Diff(want, msg); diff != "" {
		t.Errorf("created message (-want +got):\n%s", diff)
	}

	steps := []struct {
		after  time.Duration
		status string
		sent   any
		update string
	}{
		{0, "queued", nil, "Sun, 24 May 2026 17:44:46 +0000"},
		{999 * time.Millisecond, "queued", nil, "Sun, 24 May 2026 17:44:46 +0000"},
		{time.Millisecond, "sent", "Sun, 24 May 2026 17:44:47 +0000", "Sun, 24 May 2026 17:44:47 +0000"},
		{time.Second, "delivered", "Sun, 24 May 2026 17:44:47 +0000", "Sun, 24 May 2026 17:44:48 +0000"},
		{time.Hour, "delivered", "Sun, 24 May 2026 17:44:47 +0000", "Sun, 24 May 2026 17:44:48 +0000"},
	}
	for _, st := range steps {
		e.clock.Advance(st.after)
		got := e.do(t, req{method: http.MethodGet, path: messagePath(a, sid), user: a.SID, pass: a.AuthToken})
		if got.status != http.StatusOK {
			t.Fatalf("fetch: status %d: %s", got.status, got.body)
		}
		validate(t, componentSchema(t, schemaMessage), got.body)
		m := got.json(t)
		want["status"], want["date_sent"], want["date_updated"] = st.status, st.sent, st.update
		if diff := cmp.Diff(want, m); diff != "" {
			t.Errorf("at +%v (-want +got):\n%s", e.clock.Now().Sub(start), diff)
		}
	}
}

func TestCreateMessageValidation(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)
	const mg = "MG0123456789abcdef0123456789abcdef"
	long := strings.Repeat("a", 1601)
	tests := []struct {
		name string
		form url.Values
		code int // 0: created
		// checks on a created message
		check func(t *testing.T, m map[string]any)
	}{
		{name: "no To", form: url.Values{"From": {"+15017122661"}, "Body": {"hi"}}, code: 21604},
		{name: "blank To", form: url.Values{"To": {"  "}, "From": {"+15017122661"}, "Body": {"hi"}}, code: 21604},
		{name: "To without +", form: sms("15558675310", "hi"), code: 21211},
		{name: "To too short", form: sms("+1234567", "hi"), code: 21211},
		{name: "To too long", form: sms("+1234567890123456", "hi"), code: 21211},
		{name: "To with letters", form: sms("+1555867531O", "hi"), code: 21211},
		{name: "no From", form: url.Values{"To": {"+15558675310"}, "Body": {"hi"}}, code: 21603},
		{name: "bad From", form: url.Values{"To": {"+15558675310"}, "From": {"not a sender!"}, "Body": {"hi"}}, code: 21212},
		{name: "no Body", form: url.Values{"To": {"+15558675310"}, "From": {"+15017122661"}}, code: 21602},
		{name: "empty Body", form: sms("+15558675310", ""), code: 21602},
		{name: "Body over 1600", form: sms("+15558675310", long), code: 21617},
		{name: "missing To wins over missing Body", form: url.Values{"From": {"+15017122661"}}, code: 21604},
		{name: "bad MessagingServiceSid", form: url.Values{"To": {"+15558675310"}, "MessagingServiceSid": {"MG123"}, "Body": {"hi"}}, code: 21701},
		{name: "MediaUrl not http", form: url.Values{"To": {"+15558675310"}, "From": {"+15017122661"}, "MediaUrl": {"ftp://x/y.png"}}, code: 21620},
		{name: "eleven MediaUrl", form: url.Values{"To": {"+15558675310"}, "From": {"+15017122661"},
			"MediaUrl": slicesRepeat("https://demo.twilio.com/owl.png", 11)}, code: 21623},
		{name: "magic To 0001", form: sms("+15005550001", "hi"), code: 21211},
		{name: "magic From 0001", form: url.Values{"To": {"+15558675310"}, "From": {"+15005550001"}, "Body": {"hi"}}, code: 21212},
		{
			name: "Body of exactly 1600 GSM characters",
			form: sms("+15558675310", strings.Repeat("a", 1600)),
			check: func(t *testing.T, m map[string]any) {
				if m["num_segments"] != "11" {
					t.Errorf("num_segments = %v, want 11", m["num_segments"])
				}
			},
		},
		{
			name: "Body of 1600 emoji is characters, not bytes",
			form: sms("+15558675310", strings.Repeat("é😀", 800)),
		},
		{
			name: "MessagingServiceSid without From",
			form: url.Values{"To": {"+15558675310"}, "MessagingServiceSid": {mg}, "Body": {"hi"}},
			check: func(t *testing.T, m map[string]any) {
				if m["from"] != nil || m["messaging_service_sid"] != mg || m["direction"] != "outbound-api" {
					t.Errorf("from=%v messaging_service_sid=%v direction=%v", m["from"], m["messaging_service_sid"], m["direction"])
				}
			},
		},
		{
			name: "MediaUrl only: MM SID and num_media",
			form: url.Values{"To": {"+15558675310"}, "From": {"+15017122661"},
				"MediaUrl": {"https://demo.twilio.com/owl.png", "https://demo.twilio.com/owl2.png"}},
			check: func(t *testing.T, m map[string]any) {
				if !mmSID.MatchString(m["sid"].(string)) || m["num_media"] != "2" || m["body"] != "" {
					t.Errorf("sid=%v num_media=%v body=%q", m["sid"], m["num_media"], m["body"])
				}
			},
		},
		{
			name: "StatusCallback is accepted and ignored",
			form: url.Values{"To": {"+15558675310"}, "From": {"+15017122661"}, "Body": {"hi"},
				"StatusCallback": {"https://example.com/cb"}},
		},
		{
			name: "WhatsApp channel",
			form: url.Values{"To": {"whatsapp:+15558675310"}, "From": {"whatsapp:+14155238886"}, "Body": {"hi"}},
			check: func(t *testing.T, m map[string]any) {
				if m["to"] != "whatsapp:+15558675310" || m["from"] != "whatsapp:+14155238886" || !smSID.MatchString(m["sid"].(string)) {
					t.Errorf("to=%v from=%v sid=%v, want the whatsapp: addresses kept and an SM SID", m["to"], m["from"], m["sid"])
				}
			},
		},
		{name: "WhatsApp From, SMS To", code: 21910,
			form: url.Values{"To": {"+15558675310"}, "From": {"whatsapp:+14155238886"}, "Body": {"hi"}}},
		{name: "SMS From, WhatsApp To", code: 21910,
			form: url.Values{"To": {"whatsapp:+15558675310"}, "From": {"+15017122661"}, "Body": {"hi"}}},
		{name: "malformed WhatsApp To", code: 21211,
			form: url.Values{"To": {"whatsapp:15558675310"}, "From": {"whatsapp:+14155238886"}, "Body": {"hi"}}},
		{name: "empty WhatsApp To", code: 21211,
			form: url.Values{"To": {"whatsapp:"}, "From": {"whatsapp:+14155238886"}, "Body": {"hi"}}},
		{name: "malformed WhatsApp From", code: 21212,
			form: url.Values{"To": {"whatsapp:+15558675310"}, "From": {"whatsapp:QuestGate"}, "Body": {"hi"}}},
		{name: "magic From on WhatsApp", code: 21212,
			form: url.Values{"To": {"whatsapp:+15558675310"}, "From": {"whatsapp:+15005550001"}, "Body": {"hi"}}},
		{name: "alphanumeric sender", form: url.Values{"To": {"+33612345678"}, "From": {"QuestGate"}, "Body": {"hi"}}},
		{name: "short code sender", form: url.Values{"To": {"+15558675310"}, "From": {"12345"}, "Body": {"hi"}}},
		{
			name: "unicode body segments",
			form: sms("+15558675310", strings.Repeat("é", 10)+"😀"),
			check: func(t *testing.T, m map[string]any) {
				if m["num_segments"] != "1" {
					t.Errorf("num_segments = %v", m["num_segments"])
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json",
				form: tt.form, user: a.SID, pass: a.AuthToken})
			if tt.code != 0 {
				validateError(t, r, http.StatusBadRequest, tt.code)
				return
			}
			if r.status != http.StatusCreated {
				t.Fatalf("status = %d: %s", r.status, r.body)
			}
			validate(t, componentSchema(t, schemaMessage), r.body)
			if tt.check != nil {
				tt.check(t, r.json(t))
			}
		})
	}

	t.Run("unreadable form", func(t *testing.T) {
		r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json",
			body: "To=%zz", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			user: a.SID, pass: a.AuthToken})
		validateError(t, r, http.StatusBadRequest, 20001)
	})
	t.Run("oversized form", func(t *testing.T) {
		r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json",
			body: "Body=" + strings.Repeat("a", maxRequestBody), header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			user: a.SID, pass: a.AuthToken})
		validateError(t, r, http.StatusBadRequest, 20001)
	})
	t.Run("JSON body is not a form", func(t *testing.T) {
		r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json",
			body: `{"To":"+15558675310"}`, header: map[string]string{"Content-Type": "application/json"},
			user: a.SID, pass: a.AuthToken})
		validateError(t, r, http.StatusBadRequest, 21604)
	})
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestMagicNumbers walks the magic numbers that end badly through their
// statuses.
func TestMagicNumbers(t *testing.T) {
	type state struct {
		status    string
		dateSent  bool
		errorCode any
		errorMsg  any
	}
	tests := []struct {
		to     string
		states []state // at 0, 1 and 2 steps
	}{
		{"+15558675310", []state{
			{"queued", false, nil, nil}, {"sent", true, nil, nil}, {"delivered", true, nil, nil}}},
		{"+15005550009", []state{
			{"queued", false, nil, nil}, {"sent", true, nil, nil},
			{"undelivered", true, float64(30003), "Unreachable destination handset"}}},
		{"+15005550004", []state{
			{"queued", false, nil, nil}, {"sending", false, nil, nil},
			{"failed", false, float64(30006), "Landline or unreachable carrier"}}},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			e := newEnv(t)
			a := e.account(t)
			sid := e.send(t, a, sms(tt.to, "magic"))["sid"].(string)
			for i, want := range tt.states {
				if i > 0 {
					e.clock.Advance(time.Second)
				}
				r := e.do(t, req{method: http.MethodGet, path: messagePath(a, sid), user: a.SID, pass: a.AuthToken})
				validate(t, componentSchema(t, schemaMessage), r.body)
				m := r.json(t)
				got := state{m["status"].(string), m["date_sent"] != nil, m["error_code"], m["error_message"]}
				if diff := cmp.Diff(want, got, cmp.AllowUnexported(state{})); diff != "" {
					t.Errorf("step %d (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestFetchMessageNotFound(t *testing.T) {
	e := newEnv(t)
	a, b := e.account(t), e.account(t)
	sidB := e.send(t, b, sms("+15558675310", "b's"))["sid"].(string)
	sidA := e.send(t, a, sms("+15558675310", "a's"))["sid"].(string)
	unknown := "SM0123456789abcdef0123456789abcdef"
	tests := []struct {
		name, path, wantMessage string
	}{
		{"unknown SID", messagePath(a, unknown),
			"The requested resource /2010-04-01/Accounts/" + a.SID + "/Messages/" + unknown + ".json was not found"},
		{"another account's SID", messagePath(a, sidB),
			"The requested resource /2010-04-01/Accounts/" + a.SID + "/Messages/" + sidB + ".json was not found"},
		{"no .json", "/2010-04-01/Accounts/" + a.SID + "/Messages/" + sidA,
			"The requested resource /2010-04-01/Accounts/" + a.SID + "/Messages/" + sidA + " was not found"},
		{"account SID pasted as message SID", messagePath(a, a.SID),
			"The requested resource /2010-04-01/Accounts/" + a.SID + "/Messages/" + a.SID + ".json was not found"},
		{"uppercase SID", messagePath(a, strings.ToUpper(sidA)),
			"The requested resource /2010-04-01/Accounts/" + a.SID + "/Messages/" + strings.ToUpper(sidA) + ".json was not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, req{method: http.MethodGet, path: tt.path, user: a.SID, pass: a.AuthToken})
			validateError(t, r, http.StatusNotFound, 20404)
			if got := r.json(t)["message"]; got != tt.wantMessage {
				t.Errorf("message = %q, want %q", got, tt.wantMessage)
			}
		})
	}
	// The owner still sees it.
	r := e.do(t, req{method: http.MethodGet, path: messagePath(b, sidB), user: b.SID, pass: b.AuthToken})
	if r.status != http.StatusOK {
		t.Errorf("owner fetch: status %d", r.status)
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	a, b := e.account(t), e.account(t)
	key := createKey(t, e, a, "laptop")
	sid := e.send(t, a, sms("+15558675310", "hi"))["sid"].(string)

	accountPath := "/2010-04-01/Accounts/" + a.SID + ".json"
	messages := "/2010-04-01/Accounts/" + a.SID + "/Messages.json"
	keys := "/2010-04-01/Accounts/" + a.SID + "/Keys.json"
	tests := []struct {
		name       string
		method     string
		path       string
		user, pass string
		noAuth     bool
		want       int
	}{
		{"no credentials", http.MethodGet, accountPath, "", "", true, 401},
		{"no credentials on messages", http.MethodPost, messages, "", "", true, 401},
		{"wrong token", http.MethodGet, accountPath, a.SID, b.AuthToken, false, 401},
		{"token with a different case", http.MethodGet, accountPath, a.SID, strings.ToUpper(a.AuthToken), false, 401},
		{"empty token", http.MethodGet, messages, a.SID, "", false, 401},
		{"unknown account", http.MethodGet, "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef.json",
			"AC0123456789abcdef0123456789abcdef", a.AuthToken, false, 401},
		{"username is not a SID", http.MethodGet, messages, "admin", a.AuthToken, false, 401},
		{"another account's good credentials", http.MethodGet, accountPath, b.SID, b.AuthToken, false, 401},
		{"another account's credentials on its messages", http.MethodGet, messagePath(a, sid), b.SID, b.AuthToken, false, 401},
		{"account and token", http.MethodGet, accountPath, a.SID, a.AuthToken, false, 200},
		{"account and token on messages", http.MethodGet, messages, a.SID, a.AuthToken, false, 200},
		{"API key on messages", http.MethodGet, messages, key.sid, key.secret, false, 200},
		{"API key on a message", http.MethodGet, messagePath(a, sid), key.sid, key.secret, false, 200},
		{"API key with the auth token", http.MethodGet, messages, key.sid, a.AuthToken, false, 401},
		{"API key on another account", http.MethodGet, "/2010-04-01/Accounts/" + b.SID + "/Messages.json",
			key.sid, key.secret, false, 401},
		{"Standard API key on the Account resource", http.MethodGet, accountPath, key.sid, key.secret, false, 401},
		{"Standard API key on Keys", http.MethodPost, keys, key.sid, key.secret, false, 401},
		{"unknown API key", http.MethodGet, messages, "SK0123456789abcdef0123456789abcdef", key.secret, false, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, req{method: tt.method, path: tt.path, user: tt.user, pass: tt.pass, noAuth: tt.noAuth,
				form: url.Values{}})
			if tt.want != http.StatusUnauthorized {
				if r.status != tt.want {
					t.Errorf("status = %d, want %d: %s", r.status, tt.want, r.body)
				}
				return
			}
			validateError(t, r, http.StatusUnauthorized, 20003)
			wantBody := `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`
			if string(r.body) != wantBody {
				t.Errorf("body = %s, want %s", r.body, wantBody)
			}
			if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic ") {
				t.Errorf("WWW-Authenticate = %q", got)
			}
		})
	}
}

// TestRoutes checks every route and the ones around them, so that echo's
// matching of "/Accounts/:account" against ".../Messages.json" and the
// like cannot silently send a request to the wrong handler.
func TestRoutes(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)
	sid := e.send(t, a, sms("+15558675310", "hi"))["sid"].(string)
	acct := "/2010-04-01/Accounts/" + a.SID
	tests := []struct {
		method, path string
		status, code int // code 0: success
		schema       string
	}{
		{http.MethodGet, acct + ".json", 200, 0, schemaAccount},
		{http.MethodGet, acct, 404, 20404, ""},
		{http.MethodGet, acct + ".xml", 404, 20404, ""},
		{http.MethodGet, acct + "/", 404, 20404, ""},
		{http.MethodPost, acct + ".json", 405, 20004, ""},
		{http.MethodGet, acct + "/Messages.json", 200, 0, "list"},
		{http.MethodPost, acct + "/Messages.json", 400, 21604, ""}, // empty form reaches the handler
		{http.MethodDelete, acct + "/Messages.json", 405, 20004, ""},
		{http.MethodGet, acct + "/Messages", 404, 20404, ""},
		{http.MethodGet, acct + "/Messages/" + sid + ".json", 200, 0, schemaMessage},
		{http.MethodGet, acct + "/Messages/" + sid + "/Media.json", 200, 0, "media_list"},
		{http.MethodGet, acct + "/Messages/SM0123456789abcdef0123456789abcdef/Media.json", 404, 20404, ""},
		{http.MethodPost, acct + "/Messages/" + sid + "/Media.json", 405, 20004, ""},
		{http.MethodPost, acct + "/Messages/" + sid + ".json", 405, 20004, ""},
		{http.MethodPost, acct + "/Keys.json", 201, 0, schemaNewKey},
		{http.MethodGet, acct + "/Keys.json", 405, 20004, ""},
		{http.MethodGet, acct + "/Calls.json", 200, 0, "call_list"},
		{http.MethodPost, acct + "/Calls.json", 400, 21201, ""}, // empty form reaches the handler
		{http.MethodGet, acct + "/Calls", 404, 20404, ""},
		{http.MethodGet, acct + "/Calls/CA0123456789abcdef0123456789abcdef.json", 404, 20404, ""},
		{http.MethodGet, acct + "/Calls/" + sid + ".json", 404, 20404, ""},
		{http.MethodDelete, acct + "/Calls/CA0123456789abcdef0123456789abcdef.json", 405, 20004, ""},
		{http.MethodGet, "/accounts/" + a.SID + "/inbound", 405, 20004, ""},
		{http.MethodGet, "/2010-04-01/Accounts.json", 404, 20404, ""},
		{http.MethodGet, "/2010-04-01", 404, 20404, ""},
		{http.MethodGet, "/2010-04-01/", 404, 20404, ""},
		{http.MethodPut, "/2010-04-01/Anything/else", 404, 20404, ""},
		{http.MethodGet, "/accounts", 405, 20004, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := e.do(t, req{method: tt.method, path: tt.path, user: a.SID, pass: a.AuthToken, form: url.Values{}})
			if tt.code != 0 {
				validateError(t, r, tt.status, tt.code)
				return
			}
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.status, r.body)
			}
			switch tt.schema {
			case "list":
				validateList(t, r.body)
			case "media_list":
				validate(t, responseSchema(t, mediaListPath, "GET", "200"), r.body)
			case "call_list":
				validate(t, responseSchema(t, callsPath, "GET", "200"), r.body)
			default:
				validate(t, componentSchema(t, tt.schema), r.body)
			}
		})
	}
}

func TestAccountResource(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, req{method: http.MethodPost, path: "/accounts", noAuth: true,
		body: `{"friendly_name":"Workshop 12"}`, header: map[string]string{"Content-Type": "application/json"}})
	if r.status != http.StatusCreated {
		t.Fatalf("POST /accounts: %d %s", r.status, r.body)
	}
	var created struct {
		AccountSID   string `json:"account_sid"`
		AuthToken    string `json:"auth_token"`
		FriendlyName string `json:"friendly_name"`
	}
	if err := json.Unmarshal(r.body, &created); err != nil {
		t.Fatal(err)
	}
	if !acSID.MatchString(created.AccountSID) || !hex32.MatchString(created.AuthToken) || created.FriendlyName != "Workshop 12" {
		t.Fatalf("created = %+v", created)
	}

	e.clock.Advance(time.Hour) // the account's dates must not follow the clock
	got := e.do(t, req{method: http.MethodGet, path: "/2010-04-01/Accounts/" + created.AccountSID + ".json",
		user: created.AccountSID, pass: created.AuthToken})
	validate(t, componentSchema(t, schemaAccount), got.body)
	base := "/2010-04-01/Accounts/" + created.AccountSID
	want := map[string]any{
		"auth_token":        created.AuthToken,
		"date_created":      "Sun, 24 May 2026 17:44:46 +0000",
		"date_updated":      "Sun, 24 May 2026 17:44:46 +0000",
		"friendly_name":     "Workshop 12",
		"owner_account_sid": created.AccountSID,
		"sid":               created.AccountSID,
		"status":            "active",
		"subresource_uris":  map[string]any{"messages": base + "/Messages.json", "calls": base + "/Calls.json", "keys": base + "/Keys.json"},
		"type":              "Full",
		"uri":               base + ".json",
	}
	if diff := cmp.Diff(want, got.json(t)); diff != "" {
		t.Errorf("account (-want +got):\n%s", diff)
	}
}

func TestCreateAccountEndpoint(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name     string
		body     string
		ct       string
		wantName string
		wantCode int
	}{
		{name: "no body", wantName: "Sandbox account created at 2026-05-24 17:44 UTC"},
		{name: "form", body: "friendly_name=Ada", ct: "application/x-www-form-urlencoded", wantName: "Ada"},
		{name: "Twilio's form name", body: "FriendlyName=Ada", ct: "application/x-www-form-urlencoded", wantName: "Ada"},
		{name: "JSON", body: `{"friendly_name":"  Grace  "}`, ct: "application/json", wantName: "Grace"},
		{name: "JSON charset", body: `{"friendly_name":"Grace"}`, ct: "application/json; charset=utf-8", wantName: "Grace"},
		{name: "empty JSON", body: `{}`, ct: "application/json", wantName: "Sandbox account created at 2026-05-24 17:44 UTC"},
		{name: "64 characters", body: `{"friendly_name":"` + strings.Repeat("é", 64) + `"}`, ct: "application/json",
			wantName: strings.Repeat("é", 64)},
		{name: "65 characters", body: `{"friendly_name":"` + strings.Repeat("x", 65) + `"}`, ct: "application/json", wantCode: 20002},
		{name: "bad JSON", body: `{"friendly_name":`, ct: "application/json", wantCode: 20001},
		{name: "bad form", body: "friendly_name=%zz", ct: "application/x-www-form-urlencoded", wantCode: 20001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.ct != "" {
				h["Content-Type"] = tt.ct
			}
			r := e.do(t, req{method: http.MethodPost, path: "/accounts", body: tt.body, header: h, noAuth: true})
			if tt.wantCode != 0 {
				validateError(t, r, http.StatusBadRequest, tt.wantCode)
				return
			}
			if r.status != http.StatusCreated {
				t.Fatalf("status = %d: %s", r.status, r.body)
			}
			m := r.json(t)
			if len(m) != 3 || m["friendly_name"] != tt.wantName {
				t.Errorf("answer = %v, want friendly_name %q and three fields", m, tt.wantName)
			}
			ok, err := e.sb.IsAccount(t.Context(), m["account_sid"].(string))
			if err != nil || !ok {
				t.Errorf("IsAccount = %v, %v", ok, err)
			}
		})
	}
}

type apiKey struct{ sid, secret string }

func createKey(t *testing.T, e *env, a Account, name string) apiKey {
	t.Helper()
	r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Keys.json",
		form: url.Values{"FriendlyName": {name}}, user: a.SID, pass: a.AuthToken})
	if r.status != http.StatusCreated {
		t.Fatalf("create key: %d %s", r.status, r.body)
	}
	validate(t, componentSchema(t, schemaNewKey), r.body)
	m := r.json(t)
	k := apiKey{sid: m["sid"].(string), secret: m["secret"].(string)}
	if !skSID.MatchString(k.sid) || !hex32.MatchString(k.secret) || m["friendly_name"] != name {
		t.Fatalf("key = %v", m)
	}
	return k
}

func TestCreateKey(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)
	k := createKey(t, e, a, "CI")
	// The key sends for its account.
	r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json",
		form: sms("+15558675310", "from a key"), user: k.sid, pass: k.secret})
	if r.status != http.StatusCreated {
		t.Fatalf("send with key: %d %s", r.status, r.body)
	}
	if got := r.json(t)["account_sid"]; got != a.SID {
		t.Errorf("account_sid = %v, want %s", got, a.SID)
	}
	r = e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Keys.json",
		form: url.Values{"FriendlyName": {strings.Repeat("k", 65)}}, user: a.SID, pass: a.AuthToken})
	validateError(t, r, http.StatusBadRequest, 20002)
}

func TestListMessages(t *testing.T) {
	e := newEnv(t)
	a, b := e.account(t), e.account(t)
	e.send(t, b, sms("+15558675310", "not a's"))
	var sids []string // newest first
	for i := range 5 {
		to := "+15558675310"
		if i%2 == 1 {
			to = "+15558675311"
		}
		sids = append([]string{e.send(t, a, sms(to, fmt.Sprint("m", i)))["sid"].(string)}, sids...)
		e.clock.Advance(300 * time.Millisecond)
	}
	base := "/2010-04-01/Accounts/" + a.SID + "/Messages.json"
	ptr := func(s string) *string { return &s }
	tests := []struct {
		name     string
		query    string
		sids     []string
		page     int
		pageSize int
		start    int
		end      int
		first    string
		uri      string
		next     *string
		prev     *string
	}{
		{"default", "", sids, 0, 50, 0, 4,
			base + "?PageSize=50&Page=0", base + "?PageSize=50&Page=0", nil, nil},
		{"first page", "?PageSize=2", sids[:2], 0, 2, 0, 1,
			base + "?PageSize=2&Page=0", base + "?PageSize=2&Page=0", ptr(base + "?PageSize=2&Page=1"), nil},
		{"middle page", "?PageSize=2&Page=1", sids[2:4], 1, 2, 2, 3,
			base + "?PageSize=2&Page=0", base + "?PageSize=2&Page=1", ptr(base + "?PageSize=2&Page=2"), ptr(base + "?PageSize=2&Page=0")},
		{"last page", "?PageSize=2&Page=2", sids[4:], 2, 2, 4, 4,
			base + "?PageSize=2&Page=0", base + "?PageSize=2&Page=2", nil, ptr(base + "?PageSize=2&Page=1")},
		{"exactly full last page", "?PageSize=5", sids, 0, 5, 0, 4,
			base + "?PageSize=5&Page=0", base + "?PageSize=5&Page=0", nil, nil},
		{"past the end", "?PageSize=2&Page=7", nil, 7, 2, 14, 14,
			base + "?PageSize=2&Page=0", base + "?PageSize=2&Page=7", nil, ptr(base + "?PageSize=2&Page=6")},
		{"To filter kept in links", "?To=%2B15558675311&PageSize=1", sids[1:2], 0, 1, 0, 0,
			base + "?To=%2B15558675311&PageSize=1&Page=0", base + "?To=%2B15558675311&PageSize=1&Page=0",
			ptr(base + "?To=%2B15558675311&PageSize=1&Page=1"), nil},
		{"From filter", "?From=%2B15017122661&To=%2B15558675310", []string{sids[0], sids[2], sids[4]}, 0, 50, 0, 2,
			base + "?To=%2B15558675310&From=%2B15017122661&PageSize=50&Page=0",
			base + "?To=%2B15558675310&From=%2B15017122661&PageSize=50&Page=0", nil, nil},
		{"From filter matching nothing", "?From=%2B19999999999", nil, 0, 50, 0, 0,
			base + "?From=%2B19999999999&PageSize=50&Page=0", base + "?From=%2B19999999999&PageSize=50&Page=0", nil, nil},
		{"PageSize capped at 1000", "?PageSize=5000", sids, 0, 1000, 0, 4,
			base + "?PageSize=1000&Page=0", base + "?PageSize=1000&Page=0", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, req{method: http.MethodGet, path: base + tt.query, user: a.SID, pass: a.AuthToken})
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			validateList(t, r.body)
			var got struct {
				Messages []struct {
					SID string `json:"sid"`
				} `json:"messages"`
				Page            int     `json:"page"`
				PageSize        int     `json:"page_size"`
				Start           int     `json:"start"`
				End             int     `json:"end"`
				FirstPageURI    string  `json:"first_page_uri"`
				URI             string  `json:"uri"`
				NextPageURI     *string `json:"next_page_uri"`
				PreviousPageURI *string `json:"previous_page_uri"`
			}
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
			var gotSIDs []string
			for _, m := range got.Messages {
				gotSIDs = append(gotSIDs, m.SID)
			}
			if diff := cmp.Diff(tt.sids, gotSIDs); diff != "" {
				t.Errorf("sids (-want +got):\n%s", diff)
			}
			type envelope struct {
				Page, PageSize, Start, End int
				First, URI                 string
				Next, Prev                 *string
			}
			want := envelope{tt.page, tt.pageSize, tt.start, tt.end, tt.first, tt.uri, tt.next, tt.prev}
			gotEnv := envelope{got.Page, got.PageSize, got.Start, got.End, got.FirstPageURI, got.URI, got.NextPageURI, got.PreviousPageURI}
			if diff := cmp.Diff(want, gotEnv); diff != "" {
				t.Errorf("envelope (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("empty list has messages []", func(t *testing.T) {
		c := e.account(t)
		r := e.do(t, req{method: http.MethodGet, path: "/2010-04-01/Accounts/" + c.SID + "/Messages.json",
			user: c.SID, pass: c.AuthToken})
		validateList(t, r.body)
		if !strings.Contains(string(r.body), `"messages":[]`) || !strings.Contains(string(r.body), `"next_page_uri":null`) {
			t.Errorf("body = %s", r.body)
		}
	})
	for _, q := range []string{"?PageSize=0", "?PageSize=-3", "?PageSize=ten", "?Page=-1", "?Page=x", "?Page=99999999999"} {
		t.Run("invalid "+q, func(t *testing.T) {
			r := e.do(t, req{method: http.MethodGet, path: base + q, user: a.SID, pass: a.AuthToken})
			validateError(t, r, http.StatusBadRequest, 20001)
		})
	}
	t.Run("statuses follow each message's age", func(t *testing.T) {
		r := e.do(t, req{method: http.MethodGet, path: base, user: a.SID, pass: a.AuthToken})
		var got struct {
			Messages []struct {
				Status string `json:"status"`
			} `json:"messages"`
		}
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		var statuses []string
		for _, m := range got.Messages {
			statuses = append(statuses, m.Status)
		}
		// Sent 0, 0.3, 0.6, 0.9 and 1.2 s after start; now is start + 1.5 s,
		// so, newest first, they are 0.3, 0.6, 0.9, 1.2 and 1.5 s old.
		want := []string{"queued", "queued", "queued", "sent", "sent"}
		if diff := cmp.Diff(want, statuses); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestIsAccount(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)
	tests := []struct {
		sid  string
		want bool
	}{
		{a.SID, true},
		{"AC0123456789abcdef0123456789abcdef", false},
		{"", false},
		{"ACnotasid", false},
		{strings.ToUpper(a.SID), false},
		{" " + a.SID, false},
	}
	for _, tt := range tests {
		got, err := e.sb.IsAccount(t.Context(), tt.sid)
		if err != nil || got != tt.want {
			t.Errorf("IsAccount(%q) = %v, %v; want %v", tt.sid, got, err, tt.want)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := e.sb.IsAccount(ctx, a.SID); err == nil {
		t.Error("IsAccount with a cancelled context: want an error")
	}
}

func TestCreateAccount(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)
	if !acSID.MatchString(a.SID) || !hex32.MatchString(a.AuthToken) || !a.CreatedAt.Equal(start) {
		t.Errorf("account = %+v", a)
	}
	b := e.account(t)
	if a.SID == b.SID || a.AuthToken == b.AuthToken {
		t.Error("two accounts share a SID or token")
	}
	if _, err := e.sb.CreateAccount(t.Context(), strings.Repeat("x", 65)); err == nil {
		t.Error("65-character name: want ErrInvalidFriendlyName")
	}
}

// failingStore makes every call fail, to check that store errors become
// Twilio's 500 body without leaking their text.
type failingStore struct{ Store }

var errBoom = fmt.Errorf("disk on fire")

func (failingStore) SandboxAccount(context.Context, string) (store.SandboxAccount, error) {
	return store.SandboxAccount{}, errBoom
}

func (failingStore) CreateSandboxAccount(context.Context, store.SandboxAccount) (store.SandboxAccount, error) {
	return store.SandboxAccount{}, errBoom
}

func TestStoreErrors(t *testing.T) {
	sb := New(failingStore{}, Options{})
	e := &env{sb: sb}
	srv := newTestServer(t, sb)
	e.srv, e.base = srv, srv.URL+"/sandbox"
	for _, r := range []req{
		{method: http.MethodPost, path: "/accounts", noAuth: true},
		{method: http.MethodGet, path: "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef.json",
			user: "AC0123456789abcdef0123456789abcdef", pass: "x"},
	} {
		got := e.do(t, r)
		validateError(t, got, http.StatusInternalServerError, 20500)
		if strings.Contains(string(got.body), "fire") {
			t.Errorf("internal error leaked: %s", got.body)
		}
	}
	if _, err := sb.IsAccount(t.Context(), "AC0123456789abcdef0123456789abcdef"); err == nil {
		t.Error("IsAccount: want the store's error")
	}
}
