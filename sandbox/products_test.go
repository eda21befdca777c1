package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/twilio/twilio-go"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	messagingv1 "github.com/twilio/twilio-go/rest/messaging/v1"
	verifyv2 "github.com/twilio/twilio-go/rest/verify/v2"
)

// productRewrite sends twilio-go's requests to the sandbox under test:
// api.twilio.com to its base, messaging.twilio.com and verify.twilio.com
// to the base under /messaging and /verify, as questgate's verifier does.
type productRewrite struct {
	base *url.URL
	next http.RoundTripper
}

func (rw productRewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	prefix, ok := map[string]string{"api.twilio.com": "", "messaging.twilio.com": MessagingPrefix, "verify.twilio.com": VerifyPrefix}[r.URL.Host]
	if !ok {
		return nil, errors.New("unexpected host " + r.URL.Host)
	}
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = rw.base.Scheme, rw.base.Host
	r.URL.Path = rw.base.Path + prefix + r.URL.Path
	r.URL.RawPath = ""
	r.Host = rw.base.Host
	return rw.next.RoundTrip(r)
}

func (e *env) productClient(t *testing.T, user, pass, accountSID string) *twilio.RestClient {
	t.Helper()
	base, err := url.Parse(e.base)
	if err != nil {
		t.Fatal(err)
	}
	return twilioClient(productRewrite{base: base, next: e.srv.Client().Transport}, user, pass, accountSID)
}

// TestTwilioGoDrivesTheProducts creates, updates, lists and fetches each
// new resource with twilio-go's own calls, unmodified: a phone number
// wired to a webhook, a Messaging Service with it in its sender pool, a
// Verify service and a verification approved with the code the sandbox
// phone shows.
func TestTwilioGoDrivesTheProducts(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)
	tc := e.productClient(t, a.SID, a.AuthToken, a.SID)

	pn, err := tc.Api.CreateIncomingPhoneNumber((&openapi.CreateIncomingPhoneNumberParams{}).
		SetPhoneNumber("+15555550142").SetSmsUrl("https://example.com/sms"))
	if err != nil {
		t.Fatalf("create number: %v", err)
	}
	if !strings.HasPrefix(*pn.Sid, "PN") || *pn.PhoneNumber != "+15555550142" || *pn.SmsUrl != "https://example.com/sms" {
		t.Fatalf("number = %+v", pn)
	}
	if _, err := tc.Api.CreateIncomingPhoneNumber((&openapi.CreateIncomingPhoneNumberParams{}).SetPhoneNumber("+15555550142")); restError(t, err).Code != 21422 {
		t.Errorf("buying a number twice: %v, want 21422", err)
	}
	if _, err := tc.Api.CreateIncomingPhoneNumber((&openapi.CreateIncomingPhoneNumberParams{}).SetPhoneNumber("+14155550100")); restError(t, err).Code != 21422 {
		t.Errorf("buying a number outside the pool: %v, want 21422", err)
	}
	up, err := tc.Api.UpdateIncomingPhoneNumber(*pn.Sid, (&openapi.UpdateIncomingPhoneNumberParams{}).
		SetVoiceUrl("https://example.com/voice").SetSmsMethod("GET"))
	if err != nil || *up.VoiceUrl != "https://example.com/voice" || *up.SmsMethod != "GET" || *up.SmsUrl != "https://example.com/sms" {
		t.Fatalf("update number: %+v, %v", up, err)
	}
	other, err := tc.Api.CreateIncomingPhoneNumber((&openapi.CreateIncomingPhoneNumberParams{}).SetAreaCode("555"))
	if err != nil || *other.PhoneNumber != "+15555550100" {
		t.Fatalf("create by area code: %+v, %v", other, err)
	}
	list, err := tc.Api.ListIncomingPhoneNumber((&openapi.ListIncomingPhoneNumberParams{}).SetPhoneNumber("+15555550142"))
	if err != nil || len(list) != 1 || *list[0].Sid != *pn.Sid {
		t.Fatalf("list by number: %d numbers, %v", len(list), err)
	}
	all, err := tc.Api.ListIncomingPhoneNumber(&openapi.ListIncomingPhoneNumberParams{})
	if err != nil || len(all) != 2 {
		t.Fatalf("list all: %d numbers, %v", len(all), err)
	}
	if err := tc.Api.DeleteIncomingPhoneNumber(*other.Sid, nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := tc.Api.FetchIncomingPhoneNumber(*other.Sid, nil); restError(t, err).Code != 20404 {
		t.Errorf("fetch deleted number: %v, want 20404", err)
	}

	svc, err := tc.MessagingV1.CreateService((&messagingv1.CreateServiceParams{}).SetFriendlyName("Quest").
		SetInboundRequestUrl("https://example.com/inbound"))
	if err != nil || !strings.HasPrefix(*svc.Sid, "MG") || *svc.InboundRequestUrl != "https://example.com/inbound" {
		t.Fatalf("create service: %+v, %v", svc, err)
	}
	if _, err := tc.MessagingV1.CreatePhoneNumber(*svc.Sid, (&messagingv1.CreatePhoneNumberParams{}).SetPhoneNumberSid(*pn.Sid)); err != nil {
		t.Fatalf("add to pool: %v", err)
	}
	pool, err := tc.MessagingV1.ListPhoneNumber(*svc.Sid, nil)
	if err != nil || len(pool) != 1 || *pool[0].Sid != *pn.Sid || *pool[0].PhoneNumber != "+15555550142" {
		t.Fatalf("pool = %+v, %v", pool, err)
	}
	if got, err := tc.MessagingV1.FetchService(*svc.Sid); err != nil || *got.FriendlyName != "Quest" {
		t.Fatalf("fetch service: %+v, %v", got, err)
	}
	if services, err := tc.MessagingV1.ListService(nil); err != nil || len(services) != 1 {
		t.Fatalf("list services: %d, %v", len(services), err)
	}

	va, err := tc.VerifyV2.CreateService((&verifyv2.CreateServiceParams{}).SetFriendlyName("Quest"))
	if err != nil || !strings.HasPrefix(*va.Sid, "VA") {
		t.Fatalf("create verify service: %+v, %v", va, err)
	}
	ve, err := tc.VerifyV2.CreateVerification(*va.Sid, (&verifyv2.CreateVerificationParams{}).SetTo("+15558675310").SetChannel("sms"))
	if err != nil || !strings.HasPrefix(*ve.Sid, "VE") || *ve.Status != "pending" {
		t.Fatalf("start verification: %+v, %v", ve, err)
	}
	inbox, err := e.sb.Inbox(t.Context(), a.SID, []string{"+15558675310"})
	if err != nil || len(inbox) != 1 {
		t.Fatalf("inbox = %+v, %v", inbox, err)
	}
	code := inbox[0].Body[strings.LastIndex(inbox[0].Body, " ")+1:]
	wrong, err := tc.VerifyV2.CreateVerificationCheck(*va.Sid, (&verifyv2.CreateVerificationCheckParams{}).SetTo("+15558675310").SetCode("0000000"))
	if err != nil || *wrong.Status != "pending" || *wrong.Valid {
		t.Fatalf("wrong code: %+v, %v", wrong, err)
	}
	ok, err := tc.VerifyV2.CreateVerificationCheck(*va.Sid, (&verifyv2.CreateVerificationCheckParams{}).SetTo("+15558675310").SetCode(code))
	if err != nil || *ok.Status != "approved" || !*ok.Valid {
		t.Fatalf("right code: %+v, %v", ok, err)
	}
	got, err := tc.VerifyV2.FetchVerification(*va.Sid, *ve.Sid)
	if err != nil || *got.Status != "approved" || *got.To != "+15558675310" || *got.Channel != "sms" {
		t.Fatalf("fetch verification: %+v, %v", got, err)
	}
	if inbox, _ := e.sb.Inbox(t.Context(), a.SID, []string{"+15558675310"}); len(inbox) != 0 {
		t.Errorf("an approved code is still in the inbox: %+v", inbox)
	}
	e.clock.Advance(11 * time.Minute)
	if _, err := tc.VerifyV2.FetchVerification(*va.Sid, *ve.Sid); restError(t, err).Code != 20404 {
		t.Errorf("fetch after 11 minutes: %v, want 20404", err)
	}
	// Another account sees none of it.
	b := e.account(t)
	tb := e.productClient(t, b.SID, b.AuthToken, b.SID)
	if _, err := tb.MessagingV1.FetchService(*svc.Sid); restError(t, err).Code != 20404 {
		t.Errorf("another account fetching the service: %v, want 20404", err)
	}
	if _, err := tb.Api.FetchIncomingPhoneNumber(*pn.Sid, nil); restError(t, err).Code != 20404 {
		t.Errorf("another account fetching the number: %v, want 20404", err)
	}
}

// productSpec loads one of Twilio's OpenAPI documents from
// ../shared/twilio-oai/ beside the repository, skipping when absent.
func productSpec(t *testing.T, name string) *openapi3.T {
	t.Helper()
	for _, dir := range []string{os.Getenv("QUESTGATE_TWILIO_OAI"), "../../shared/twilio-oai", "../../../shared/twilio-oai"} {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		doc, err := openapi3.NewLoader().LoadFromFile(p)
		if err != nil {
			t.Fatalf("load %s: %v", p, err)
		}
		return doc
	}
	t.Skipf("%s not found beside the repository (../shared/twilio-oai/)", name)
	return nil
}

// productFormats check what the v1 and v2 documents use: absolute URLs,
// ISO 8601 dates, E.164 numbers.
var productFormats = []openapi3.SchemaValidationOption{
	openapi3.MultiErrors(),
	openapi3.VisitAsResponse(),
	openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
		"uri": openapi3.NewCallbackValidator(func(v string) error {
			if u, err := url.Parse(v); err != nil || !u.IsAbs() && !strings.HasPrefix(u.Path, "/2010-04-01/") {
				return errors.New("not an absolute URL nor a 2010-04-01 API URI")
			}
			return nil
		}),
		"date-time-rfc-2822": openapi3.NewCallbackValidator(func(v string) error {
			_, err := time.Parse(time.RFC1123Z, v)
			return err
		}),
		"date-time": openapi3.NewCallbackValidator(func(v string) error {
			_, err := time.Parse(time.RFC3339, v)
			return err
		}),
		"phone-number": openapi3.NewCallbackValidator(func(v string) error {
			if !senderPattern.MatchString(v) {
				return errors.New("not a phone number")
			}
			return nil
		}),
		"http-method": openapi3.NewCallbackValidator(func(v string) error {
			if v != "GET" && v != "POST" {
				return errors.New("not GET or POST")
			}
			return nil
		}),
	}),
}

// TestProductAnswersMatchTheSpecs checks every answer of the new
// endpoints against the response schema Twilio's documents give it,
// field for field.
func TestProductAnswersMatchTheSpecs(t *testing.T) {
	api, msg, ver := productSpec(t, "twilio_api_v2010.json"), productSpec(t, "twilio_messaging_v1.json"), productSpec(t, "twilio_verify_v2.json")
	e := newEnv(t)
	a := e.account(t)
	do := func(method, path string, form url.Values) resp {
		return e.do(t, req{method: method, path: path, form: form, user: a.SID, pass: a.AuthToken})
	}
	check := func(doc *openapi3.T, specPath, method, status string, r resp, opts []openapi3.SchemaValidationOption) map[string]any {
		t.Helper()
		code, _ := json.Number(status).Int64()
		if r.status != int(code) {
			t.Fatalf("%s %s: status %d, want %s: %s", method, specPath, r.status, status, r.body)
		}
		op := doc.Paths.Value(specPath).GetOperation(strings.ToUpper(method))
		schema := op.Responses.Value(status).Value.Content.Get("application/json").Schema.Value
		var v any
		if err := json.Unmarshal([]byte(r.body), &v); err != nil {
			t.Fatal(err)
		}
		if err := schema.VisitJSON(v, opts...); err != nil {
			t.Errorf("%s %s: answer does not match the spec: %v\n%s", method, specPath, err, r.body)
		}
		obj := v.(map[string]any)
		for k := range schema.Properties {
			if _, ok := obj[k]; !ok {
				t.Errorf("%s %s: no field %s", method, specPath, k)
			}
		}
		for k := range obj {
			if _, ok := schema.Properties[k]; !ok {
				t.Errorf("%s %s: field %s is not in the spec", method, specPath, k)
			}
		}
		return obj
	}
	acct := "/2010-04-01/Accounts/" + a.SID
	pn := check(api, "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json", "post", "201",
		do(http.MethodPost, acct+"/IncomingPhoneNumbers.json", url.Values{"PhoneNumber": {"+15555550101"}, "SmsUrl": {"https://example.com/sms"}}), productFormats)["sid"].(string)
	check(api, "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json", "get", "200",
		do(http.MethodGet, acct+"/IncomingPhoneNumbers/"+pn+".json", nil), productFormats)
	check(api, "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json", "post", "200",
		do(http.MethodPost, acct+"/IncomingPhoneNumbers/"+pn+".json", url.Values{"VoiceUrl": {"https://example.com/voice"}, "VoiceMethod": {"GET"}}), productFormats)
	check(api, "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json", "get", "200",
		do(http.MethodGet, acct+"/IncomingPhoneNumbers.json?PhoneNumber=%2B15555550101", nil), productFormats)
	mg := check(msg, "/v1/Services", "post", "201", do(http.MethodPost, "/messaging/v1/Services", url.Values{"FriendlyName": {"Quest"}}), productFormats)["sid"].(string)
	check(msg, "/v1/Services/{Sid}", "get", "200", do(http.MethodGet, "/messaging/v1/Services/"+mg, nil), productFormats)
	check(msg, "/v1/Services", "get", "200", do(http.MethodGet, "/messaging/v1/Services", nil), productFormats)
	check(msg, "/v1/Services/{ServiceSid}/PhoneNumbers", "post", "201",
		do(http.MethodPost, "/messaging/v1/Services/"+mg+"/PhoneNumbers", url.Values{"PhoneNumberSid": {pn}}), productFormats)
	check(msg, "/v1/Services/{ServiceSid}/PhoneNumbers/{Sid}", "get", "200", do(http.MethodGet, "/messaging/v1/Services/"+mg+"/PhoneNumbers/"+pn, nil), productFormats)
	check(msg, "/v1/Services/{Sid}", "post", "200", do(http.MethodPost, "/messaging/v1/Services/"+mg, url.Values{"InboundRequestUrl": {"https://example.com/in"}}), productFormats)
	check(msg, "/v1/Services/{ServiceSid}/PhoneNumbers", "get", "200", do(http.MethodGet, "/messaging/v1/Services/"+mg+"/PhoneNumbers", nil), productFormats)
	va := check(ver, "/v2/Services", "post", "201", do(http.MethodPost, "/verify/v2/Services", url.Values{"FriendlyName": {"Quest"}}), productFormats)["sid"].(string)
	check(ver, "/v2/Services/{Sid}", "get", "200", do(http.MethodGet, "/verify/v2/Services/"+va, nil), productFormats)
	check(ver, "/v2/Services", "get", "200", do(http.MethodGet, "/verify/v2/Services", nil), productFormats)
	ve := check(ver, "/v2/Services/{ServiceSid}/Verifications", "post", "201",
		do(http.MethodPost, "/verify/v2/Services/"+va+"/Verifications", url.Values{"To": {"+15558675310"}, "Channel": {"sms"}}), productFormats)["sid"].(string)
	check(ver, "/v2/Services/{ServiceSid}/Verifications/{Sid}", "get", "200", do(http.MethodGet, "/verify/v2/Services/"+va+"/Verifications/"+ve, nil), productFormats)
	check(ver, "/v2/Services/{ServiceSid}/VerificationCheck", "post", "200",
		do(http.MethodPost, "/verify/v2/Services/"+va+"/VerificationCheck", url.Values{"To": {"+15558675310"}, "Code": {"123"}}), productFormats)
	// Errors are Twilio's.
	validateError(t, do(http.MethodGet, "/verify/v2/Services/"+va+"/Verifications/VE"+strings.Repeat("0", 32), nil), 404, 20404)
	validateError(t, do(http.MethodGet, acct+"/IncomingPhoneNumbers.json?Color=red", nil), 400, 20001)
	validateError(t, do(http.MethodGet, "/messaging/v1/Nope", nil), 404, 20404)
}
