package sandbox

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
)

// The Twilio OpenAPI description (testdata/twilio_api_v2010.json, MIT,
// see testdata/LICENSE) is the reference every answer is checked against.
var (
	specOnce sync.Once
	specDoc  *openapi3.T
	specErr  error
)

func spec(t *testing.T) *openapi3.T {
	t.Helper()
	specOnce.Do(func() {
		specDoc, specErr = openapi3.NewLoader().LoadFromFile("testdata/twilio_api_v2010.json")
	})
	if specErr != nil {
		t.Fatalf("load spec: %v", specErr)
	}
	return specDoc
}

// Schema names in the spec.
const (
	schemaMessage = "api.v2010.account.message"
	schemaAccount = "api.v2010.account"
	schemaNewKey  = "api.v2010.account.new_key"
)

func componentSchema(t *testing.T, name string) *openapi3.Schema {
	t.Helper()
	ref := spec(t).Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		t.Fatalf("spec has no schema %q", name)
	}
	return ref.Value
}

// responseSchema returns the JSON schema of a path's response.
func responseSchema(t *testing.T, path, method, status string) *openapi3.Schema {
	t.Helper()
	item := spec(t).Paths.Value(path)
	if item == nil {
		t.Fatalf("spec has no path %s", path)
	}
	op := item.GetOperation(method)
	if op == nil {
		t.Fatalf("spec has no %s %s", method, path)
	}
	r := op.Responses.Value(status)
	if r == nil || r.Value == nil {
		t.Fatalf("spec has no %s response for %s %s", status, method, path)
	}
	mt := r.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		t.Fatalf("spec has no JSON schema for %s %s %s", method, path, status)
	}
	return mt.Schema.Value
}

const listMessagesPath = "/2010-04-01/Accounts/{AccountSid}/Messages.json"

func listSchema(t *testing.T) *openapi3.Schema {
	return responseSchema(t, listMessagesPath, "GET", "200")
}

// errorSchema is Twilio's error body. The spec does not describe errors,
// so this follows what Twilio answers and twilio-go decodes.
var errorSchema = func() *openapi3.Schema {
	s := openapi3.NewObjectSchema().WithProperties(map[string]*openapi3.Schema{
		"code":      openapi3.NewIntegerSchema().WithMin(20000).WithMax(99999),
		"message":   openapi3.NewStringSchema().WithMinLength(1),
		"more_info": openapi3.NewStringSchema().WithPattern(`^https://www\.twilio\.com/docs/errors/[0-9]+$`),
		"status":    openapi3.NewIntegerSchema().WithMin(400).WithMax(599),
	})
	s.Required = []string{"code", "message", "more_info", "status"}
	return s.WithoutAdditionalProperties()
}()

// Format checks for the formats the spec uses. kin-openapi ignores
// formats it does not know; these make the schemas check them. They are
// enabled only because they accept every example in Twilio's own
// description (TestFormatsAcceptTwilioExamples).
var (
	// The spec's "from" is a phone number, a channel address, a short
	// code or an alphanumeric sender ID, all under format phone-number.
	senderPattern   = regexp.MustCompile(`^((whatsapp:)?\+[1-9][0-9]{1,14}|[0-9]{3,8}|[A-Za-z0-9 ]*[A-Za-z][A-Za-z0-9 ]*)$`)
	currencyPattern = regexp.MustCompile(`^[A-Za-z]{3}$`)
	formatOptions   = []openapi3.SchemaValidationOption{
		openapi3.MultiErrors(),
		openapi3.VisitAsResponse(),
		openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
			"date-time-rfc-2822": openapi3.NewCallbackValidator(func(v string) error {
				d, err := time.Parse(time.RFC1123Z, v)
				if err != nil {
					return err
				}
				if d.UTC().Format(time.RFC1123Z) != v {
					return fmt.Errorf("%q is not in Twilio's form (GMT, +0000)", v)
				}
				return nil
			}),
			"phone-number": openapi3.NewCallbackValidator(func(v string) error {
				if !senderPattern.MatchString(v) || len(v) > len("whatsapp:+123456789012345") {
					return fmt.Errorf("%q is not a phone number, short code or sender ID", v)
				}
				return nil
			}),
			"currency": openapi3.NewCallbackValidator(func(v string) error {
				if !currencyPattern.MatchString(v) {
					return fmt.Errorf("%q is not an ISO 4217 code", v)
				}
				return nil
			}),
			// Twilio's URIs are relative to https://api.twilio.com.
			"uri": openapi3.NewCallbackValidator(func(v string) error {
				u, err := url.Parse(v)
				if err != nil {
					return err
				}
				if !strings.HasPrefix(u.Path, "/2010-04-01/") {
					return fmt.Errorf("%q is not a 2010-04-01 API URI", v)
				}
				return nil
			}),
		}),
	}
)

// validate checks body against schema, formats included, and that it has
// exactly the schema's properties: the spec leaves additionalProperties
// open, and a missing or extra field is as much a bug as a wrong type.
func validate(t *testing.T, schema *openapi3.Schema, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	if err := schema.VisitJSON(v, formatOptions...); err != nil {
		t.Errorf("answer does not match the spec: %v\n%s", err, body)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("answer is not an object: %s", body)
	}
	var want, got []string
	for k := range schema.Properties {
		want = append(want, k)
	}
	for k := range obj {
		got = append(got, k)
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields differ from the spec's (-spec +answer):\n%s", diff)
	}
}

// validateList also checks every message of a list page.
func validateList(t *testing.T, body []byte) {
	t.Helper()
	validate(t, listSchema(t), body)
	var page struct {
		Messages []json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	for _, m := range page.Messages {
		validate(t, componentSchema(t, schemaMessage), m)
	}
}

// validateError checks a Twilio error answer: JSON content type, the
// four fields, status and code as expected.
func validateError(t *testing.T, r resp, status, code int) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	validate(t, errorSchema, r.body)
	var e apiError
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatal(err)
	}
	if e.Code != code || e.Status != status {
		t.Errorf("error = %+v, want code %d status %d", e, code, status)
	}
}

// TestFormatsAcceptTwilioExamples justifies the format checks: every
// example answer in Twilio's description of the resources the sandbox
// serves passes them, and so the sandbox's answers are held to the same.
func TestFormatsAcceptTwilioExamples(t *testing.T) {
	cases := []struct {
		path, method, status string
	}{
		{"/2010-04-01/Accounts/{Sid}.json", "GET", "200"},
		{listMessagesPath, "POST", "201"},
		{listMessagesPath, "GET", "200"},
		{"/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json", "GET", "200"},
		{"/2010-04-01/Accounts/{AccountSid}/Keys.json", "POST", "201"},
	}
	checked := 0
	for _, c := range cases {
		mt := spec(t).Paths.Value(c.path).GetOperation(c.method).Responses.Value(c.status).Value.Content.Get("application/json")
		schema := mt.Schema.Value
		for name, ex := range mt.Examples {
			t.Run(c.method+" "+c.path+" "+name, func(t *testing.T) {
				if err := schema.VisitJSON(ex.Value.Value, formatOptions...); err != nil {
					t.Errorf("Twilio's own example fails the checks: %v", err)
				}
			})
			checked++
		}
	}
	if checked < 5 {
		t.Fatalf("only %d examples found; the spec layout changed?", checked)
	}

	// And the checks do bite.
	bad := []struct {
		name  string
		value map[string]any
	}{
		{"RFC 3339 date", map[string]any{"date_created": "2019-05-24T17:44:46Z"}},
		{"local offset", map[string]any{"date_created": "Fri, 24 May 2019 19:44:46 +0200"}},
		{"from neither E.164 nor short code", map[string]any{"from": "5017122661"}},
		{"from with punctuation", map[string]any{"from": "+1 (501) 712"}},
		{"num_media as number", map[string]any{"num_media": 0}},
		{"error_code as string", map[string]any{"error_code": "30003"}},
		{"unknown status", map[string]any{"status": "lost"}},
		{"SID of another kind", map[string]any{"sid": "AC0123456789abcdef0123456789abcdef"}},
	}
	msg := componentSchema(t, schemaMessage)
	for _, b := range bad {
		t.Run("rejects "+b.name, func(t *testing.T) {
			if err := msg.VisitJSON(b.value, formatOptions...); err == nil {
				t.Errorf("%v passed the message schema", b.value)
			}
		})
	}
}
