package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// rewrite sends what twilio-go addresses to https://api.twilio.com to
// the sandbox under test instead: twilio-go has no base-URL setting, and
// a transport is the supported way in.
type rewrite struct {
	base *url.URL // the sandbox's API base, e.g. http://127.0.0.1:1234/sandbox
	next http.RoundTripper
}

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != "api.twilio.com" {
		return nil, errors.New("unexpected host " + r.URL.Host)
	}
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = rw.base.Scheme, rw.base.Host
	r.URL.Path = rw.base.Path + r.URL.Path
	r.URL.RawPath = ""
	r.Host = rw.base.Host
	return rw.next.RoundTrip(r)
}

// twilioClient returns the official client, authenticated as user:pass
// for accountSID, talking through rt.
func twilioClient(rt http.RoundTripper, user, pass, accountSID string) *twilio.RestClient {
	c := &client.Client{
		Credentials: client.NewCredentials(user, pass),
		HTTPClient:  &http.Client{Transport: rt, Timeout: 10 * time.Second},
	}
	c.SetAccountSid(accountSID)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Username: user, Password: pass, AccountSid: accountSID, Client: c})
}

func (e *env) twilioClient(t *testing.T, user, pass, accountSID string) *twilio.RestClient {
	t.Helper()
	base, err := url.Parse(e.base)
	if err != nil {
		t.Fatal(err)
	}
	return twilioClient(rewrite{base: base, next: e.srv.Client().Transport}, user, pass, accountSID)
}

func restError(t *testing.T, err error) *client.TwilioRestError {
	t.Helper()
	var re *client.TwilioRestError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v (%T), want *client.TwilioRestError", err, err)
	}
	return re
}

// TestTwilioGo drives the sandbox with twilio-go, as a player's Go
// program and questgate's verifier do, through both transports.
func TestTwilioGo(t *testing.T) {
	transports := map[string]func(e *env, user, pass, ac string) *twilio.RestClient{
		"over HTTP": func(e *env, user, pass, ac string) *twilio.RestClient {
			return e.twilioClient(t, user, pass, ac)
		},
		"in process": func(e *env, user, pass, ac string) *twilio.RestClient {
			return twilioClient(InProcess(e.sb), user, pass, ac)
		},
	}
	for name, newClient := range transports {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			a, other := e.account(t), e.account(t)
			rc := newClient(e, a.SID, a.AuthToken, a.SID)

			// Fetch the account, as the game does to check credentials.
			acct, err := rc.Api.FetchAccount(a.SID)
			if err != nil {
				t.Fatalf("FetchAccount: %v", err)
			}
			if *acct.Sid != a.SID || *acct.Status != "active" || *acct.AuthToken != a.AuthToken {
				t.Errorf("account = %+v", acct)
			}

			// Create, fetch, list.
			params := &openapi.CreateMessageParams{}
			params.SetTo("+15558675310").SetFrom("+15017122661").SetBody("Hello from twilio-go")
			created, err := rc.Api.CreateMessage(params)
			if err != nil {
				t.Fatalf("CreateMessage: %v", err)
			}
			if !smSID.MatchString(*created.Sid) || *created.Status != "queued" || *created.NumMedia != "0" {
				t.Errorf("created = sid %s status %s num_media %s", *created.Sid, *created.Status, *created.NumMedia)
			}
			e.clock.Advance(2 * time.Second)
			fetched, err := rc.Api.FetchMessage(*created.Sid, &openapi.FetchMessageParams{PathAccountSid: &a.SID})
			if err != nil {
				t.Fatalf("FetchMessage: %v", err)
			}
			if *fetched.Status != "delivered" || *fetched.Body != "Hello from twilio-go" || fetched.ErrorCode != nil {
				t.Errorf("fetched = status %s body %q", *fetched.Status, *fetched.Body)
			}
			// Dates parse as the anchors say twilio-go users parse them.
			if _, err := time.Parse(time.RFC1123Z, *fetched.DateSent); err != nil {
				t.Errorf("date_sent %q: %v", *fetched.DateSent, err)
			}

			// Enough messages for twilio-go to follow next_page_uri.
			for range 4 {
				if _, err := rc.Api.CreateMessage(params); err != nil {
					t.Fatal(err)
				}
			}
			pageSize := 2
			list, err := rc.Api.ListMessage(&openapi.ListMessageParams{PageSize: &pageSize})
			if err != nil {
				t.Fatalf("ListMessage: %v", err)
			}
			if len(list) != 5 || *list[4].Sid != *created.Sid {
				t.Errorf("listed %d messages, oldest %v; want 5 ending with %s", len(list), list[len(list)-1].Sid, *created.Sid)
			}
			to := "+19999999999"
			none, err := rc.Api.ListMessage(&openapi.ListMessageParams{To: &to})
			if err != nil || len(none) != 0 {
				t.Errorf("filtered list = %d messages, %v", len(none), err)
			}

			// An API key created through the sandbox, used as twilio-go
			// users do: Username = SK…, AccountSid = AC….
			key, err := rc.Api.CreateNewKey(&openapi.CreateNewKeyParams{FriendlyName: ptr("twilio-go")})
			if err != nil {
				t.Fatalf("CreateNewKey: %v", err)
			}
			kc := newClient(e, *key.Sid, *key.Secret, a.SID)
			mms := &openapi.CreateMessageParams{}
			mms.SetTo("+15558675310").SetFrom("+15017122661").SetMediaUrl([]string{"https://demo.twilio.com/owl.png"})
			byKey, err := kc.Api.CreateMessage(mms)
			if err != nil {
				t.Fatalf("CreateMessage with API key: %v", err)
			}
			if !mmSID.MatchString(*byKey.Sid) || *byKey.NumMedia != "1" || *byKey.AccountSid != a.SID {
				t.Errorf("by key = sid %s num_media %s account %s", *byKey.Sid, *byKey.NumMedia, *byKey.AccountSid)
			}
			if _, err := kc.Api.FetchMessage(*created.Sid, nil); err != nil {
				t.Errorf("FetchMessage with API key: %v", err)
			}
			// Standard keys cannot read the Account resource, on Twilio as here.
			_, err = kc.Api.FetchAccount(a.SID)
			if re := restError(t, err); re.Code != 20003 || re.Status != 401 {
				t.Errorf("FetchAccount with API key: %+v", re)
			}

			// Errors come back as *client.TwilioRestError.
			otherSID := e.send(t, other, sms("+15558675310", "not yours"))["sid"].(string)
			_, err = rc.Api.FetchMessage(otherSID, nil)
			re := restError(t, err)
			want := &client.TwilioRestError{
				Code:     20404,
				Message:  "The requested resource /2010-04-01/Accounts/" + a.SID + "/Messages/" + otherSID + ".json was not found",
				MoreInfo: "https://www.twilio.com/docs/errors/20404",
				Status:   404,
			}
			if diff := cmp.Diff(want, re); diff != "" {
				t.Errorf("another account's SID (-want +got):\n%s", diff)
			}

			bad := newClient(e, a.SID, other.AuthToken, a.SID)
			_, err = bad.Api.FetchMessage(*created.Sid, nil)
			if re := restError(t, err); re.Code != 20003 || re.Status != 401 || re.Message != "Authenticate" {
				t.Errorf("bad token: %+v", re)
			}
			_, err = bad.Api.FetchAccount(a.SID)
			if re := restError(t, err); re.Code != 20003 {
				t.Errorf("bad token on account: %+v", re)
			}

			invalid := &openapi.CreateMessageParams{}
			invalid.SetTo("+15005550001").SetFrom("+15017122661").SetBody("magic")
			_, err = rc.Api.CreateMessage(invalid)
			if re := restError(t, err); re.Code != 21211 || re.Status != 400 {
				t.Errorf("magic To: %+v", re)
			}
		})
	}
}

// TestTwilioGoWhatsApp sends a WhatsApp message with twilio-go, as the
// send-whatsapp objective's Go example does: the message keeps the
// whatsapp: channel in its to and from, as Twilio's does, and a
// malformed WhatsApp address gets Twilio's error code.
func TestTwilioGoWhatsApp(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)
	rc := twilioClient(InProcess(e.sb), a.SID, a.AuthToken, a.SID)

	params := &openapi.CreateMessageParams{}
	params.SetTo("whatsapp:+15558675310").SetFrom("whatsapp:+14155238886").SetBody("Ahoy from my own WhatsApp code")
	created, err := rc.Api.CreateMessage(params)
	if err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	if !smSID.MatchString(*created.Sid) || *created.To != "whatsapp:+15558675310" || *created.From != "whatsapp:+14155238886" {
		t.Errorf("created = sid %s to %s from %s", *created.Sid, *created.To, *created.From)
	}
	e.clock.Advance(2 * time.Second)
	fetched, err := rc.Api.FetchMessage(*created.Sid, nil)
	if err != nil {
		t.Fatalf("FetchMessage: %v", err)
	}
	if *fetched.To != "whatsapp:+15558675310" || *fetched.From != "whatsapp:+14155238886" || *fetched.Status != "delivered" {
		t.Errorf("fetched = to %s from %s status %s", *fetched.To, *fetched.From, *fetched.Status)
	}
	to := "whatsapp:+15558675310"
	listed, err := rc.Api.ListMessage(&openapi.ListMessageParams{To: &to})
	if err != nil || len(listed) != 1 || *listed[0].Sid != *created.Sid {
		t.Errorf("list To=%s = %d messages, %v", to, len(listed), err)
	}

	for _, tt := range []struct {
		name, to, from string
		code           int
	}{
		{"malformed To", "whatsapp:555", "whatsapp:+14155238886", 21211},
		{"malformed From", "whatsapp:+15558675310", "whatsapp:+1415", 21212},
		{"SMS sender to a WhatsApp address", "whatsapp:+15558675310", "+15017122661", 21910},
	} {
		p := &openapi.CreateMessageParams{}
		p.SetTo(tt.to).SetFrom(tt.from).SetBody("hi")
		_, err := rc.Api.CreateMessage(p)
		if re := restError(t, err); re.Code != tt.code || re.Status != http.StatusBadRequest {
			t.Errorf("%s: %+v, want %d", tt.name, re, tt.code)
		}
	}
}

func ptr[T any](v T) *T { return &v }
