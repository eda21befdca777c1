package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/quest"
)

// storedCredentials returns the test player's stored credentials, or nil.
func (e *env) storedCredentials() *quest.Credentials {
	e.t.Helper()
	c, err := e.store.Credentials(context.Background(), e.playerID())
	if errors.Is(err, quest.ErrNotFound) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return &c
}

func TestSaveCredentials(t *testing.T) {
	e := newEnv(t, options{})
	var checked quest.Credentials
	e.twilio.check = func(_ context.Context, c quest.Credentials) error {
		checked = c
		return nil
	}
	p := e.post("/credentials", url.Values{"account_sid": {testAccountSID}, "api_key_sid": {""}, "secret": {testSecret}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/credentials?saved=1" {
		t.Fatalf("save: %d to %q", p.status, p.header.Get("Location"))
	}
	if checked.AccountSID != testAccountSID || checked.Secret != testSecret {
		t.Errorf("checked %v", checked)
	}
	if c := e.storedCredentials(); c == nil || c.Secret != testSecret {
		t.Fatalf("stored %v", c)
	}

	p = e.get("/credentials?saved=1", accept("fr")...)
	if got, want := p.text("notice"), e.msg("fr", "credentials.saved"); got != want {
		t.Errorf("notice %q, want %q", got, want)
	}
	if strings.Contains(p.body, testSecret) {
		t.Error("the page shows the real secret")
	}
	last4 := testSecret[len(testSecret)-4:]
	if got, want := p.text("saved-secret"), e.msg("fr", "credentials.secret_masked", map[string]any{"Last4": last4}); got != want {
		t.Errorf("masked secret %q, want %q", got, want)
	}
	if got := p.text("saved-account-sid"); got != testAccountSID {
		t.Errorf("account SID %q", got)
	}
	if got := p.attr("saved-kind", "data-sandbox"); got != "false" {
		t.Errorf("kind %q", got)
	}
	if p.find("delete").Length() != 1 {
		t.Error("no delete button")
	}
	if p.find("sandbox").Length() != 0 {
		t.Error("sandbox offered while it is off")
	}
	secret := p.doc.Find(`input[name="secret"]`)
	if typ, _ := secret.Attr("type"); typ != "password" {
		t.Errorf("secret input type %q", typ)
	}
	if ac, _ := secret.Attr("autocomplete"); ac != "off" {
		t.Errorf("secret input autocomplete %q", ac)
	}
}

func TestCredentialFieldErrors(t *testing.T) {
	keySID := "SK" + strings.Repeat("d4", 16)
	tests := []struct {
		name    string
		form    url.Values
		check   error // what Twilio says, when asked
		field   string
		problem string
	}{
		{"account SID missing", url.Values{"account_sid": {""}, "api_key_sid": {""}, "secret": {testSecret}},
			nil, quest.FieldAccountSID, quest.ProblemRequired},
		{"API key in the account field", url.Values{"account_sid": {keySID}, "api_key_sid": {""}, "secret": {testSecret}},
			nil, quest.FieldAccountSID, quest.ProblemAccountSIDIsKey},
		{"account SID as the secret", url.Values{"account_sid": {testAccountSID}, "api_key_sid": {""}, "secret": {testAccountSID}},
			nil, quest.FieldSecret, quest.ProblemTokenLooksLikeSID},
		{"Twilio rejects the pair", url.Values{"account_sid": {testAccountSID}, "api_key_sid": {keySID}, "secret": {testSecret}},
			&quest.CredentialsError{Field: quest.FieldSecret, Problem: quest.ProblemRejected},
			quest.FieldSecret, quest.ProblemRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, options{})
			e.twilio.check = func(context.Context, quest.Credentials) error {
				if tt.check == nil {
					t.Error("Twilio was asked about credentials that are malformed")
				}
				return tt.check
			}
			p := e.post("/credentials", tt.form, accept("fr")...)
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", p.status)
			}
			want := e.msg("fr", "credentials.error."+tt.field+"."+tt.problem)
			if got := p.text("error-" + tt.field); got != want {
				t.Errorf("field error %q, want %q", got, want)
			}
			input := p.doc.Find("#" + tt.field)
			if d, _ := input.Attr("aria-describedby"); !strings.Contains(d, tt.field+"-error") {
				t.Errorf("aria-describedby %q", d)
			}
			if inv, _ := input.Attr("aria-invalid"); inv != "true" {
				t.Errorf("aria-invalid %q", inv)
			}
			if got, _ := p.doc.Find("#account_sid").Attr("value"); got != tt.form.Get("account_sid") {
				t.Errorf("the typed Account SID was not kept: %q", got)
			}
			if got, _ := p.doc.Find("#secret").Attr("value"); got != "" {
				t.Errorf("the secret was echoed: %q", got)
			}
			if strings.Contains(p.body, testSecret) {
				t.Error("the page contains the typed secret")
			}
			if c := e.storedCredentials(); c != nil {
				t.Errorf("stored %v", c)
			}
		})
	}
}

func TestCredentialsUpstreamTrouble(t *testing.T) {
	e := newEnv(t, options{})
	e.twilio.check = func(context.Context, quest.Credentials) error {
		return &quest.UpstreamError{Reason: quest.UpstreamUnavailable, Status: 502, Err: errors.New("bad gateway")}
	}
	p := e.post("/credentials", url.Values{"account_sid": {testAccountSID}, "secret": {testSecret}}, accept("fr")...)
	if p.status != http.StatusServiceUnavailable {
		t.Fatalf("status %d", p.status)
	}
	if p.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if got, want := p.text("form-error"), e.msg("fr", "credentials.upstream", map[string]any{"RetryAfter": 0}); got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if strings.Contains(p.body, testSecret) {
		t.Error("the page contains the typed secret")
	}
	if c := e.storedCredentials(); c != nil {
		t.Errorf("stored %v", c)
	}
}

func TestCredentialsUnreadableForm(t *testing.T) {
	e := newEnv(t, options{})
	p := e.postRaw("/credentials", "account_sid="+testAccountSID) // no secret field at all
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", p.status)
	}
	if got, want := p.text("form-error"), e.msg("en", "form.missing"); got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if c := e.storedCredentials(); c != nil {
		t.Errorf("stored %v", c)
	}
}

func TestSandboxAccount(t *testing.T) {
	e := newEnv(t, options{sandbox: true})
	p := e.get("/credentials")
	if p.find("use-sandbox").Length() != 1 {
		t.Fatal("no sandbox button")
	}
	p = e.post("/credentials/sandbox", nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/credentials?sandbox=1" {
		t.Fatalf("sandbox: %d to %q", p.status, p.header.Get("Location"))
	}
	c := e.storedCredentials()
	if c == nil || !c.Sandbox {
		t.Fatalf("stored %v", c)
	}
	p = e.get(p.header.Get("Location"))
	if got, want := p.text("notice"), e.msg("en", "credentials.sandbox_created"); got != want {
		t.Errorf("notice %q, want %q", got, want)
	}
	// The token is the player's alone: masked until they ask to see it,
	// and the page it is on is never cached.
	if got, want := p.text("saved-secret-masked"), e.msg("en", "credentials.secret_masked", map[string]any{"Last4": c.Secret[len(c.Secret)-4:]}); got != want {
		t.Errorf("masked token %q, want %q", got, want)
	}
	if reveal := p.find("reveal-secret"); reveal.Is("details[open]") || !reveal.Is("details") {
		t.Error("the token is not behind a closed reveal control")
	}
	if got := p.text("saved-secret-value"); got != c.Secret {
		t.Errorf("revealed token %q, want %q", got, c.Secret)
	}
	if p.attr("copy-secret", "data-copy") != "sandbox-secret" || p.doc.Find("#sandbox-secret").Length() != 1 {
		t.Error("no copy control for the token")
	}
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on a page showing the token", cc)
	}
	if got := p.attr("saved-kind", "data-sandbox"); got != "true" {
		t.Errorf("kind %q", got)
	}
	code := e.get("/objectives/send-sms").find("example-curl").Text()
	if !strings.Contains(code, c.AccountSID+":"+c.Secret) || !strings.Contains(code, publicURL+"/sandbox/") {
		t.Errorf("curl example is not ready to paste:\n%s", code)
	}

	// Sandbox accounts are verified by the sandbox, and say so.
	e.sandbox.verify = passing("sandboxed")
	p = e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}, htmx...)
	if got := p.attr("hack-state", "data-state"); got != "success" {
		t.Errorf("sandbox hack: state %q", got)
	}
}

func TestSandboxOffWhenDisabled(t *testing.T) {
	e := newEnv(t, options{})
	p := e.post("/credentials/sandbox", nil)
	if p.status != http.StatusNotFound {
		t.Errorf("status %d, want 404", p.status)
	}
	if c := e.storedCredentials(); c != nil {
		t.Errorf("stored %v", c)
	}
}

func TestDeleteCredentials(t *testing.T) {
	e := newEnv(t, options{})
	e.saveCredentials(quest.Credentials{AccountSID: testAccountSID, Secret: testSecret, UpdatedAt: time.Now()})
	p := e.post("/credentials/delete", nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/credentials?deleted=1" {
		t.Fatalf("delete: %d to %q", p.status, p.header.Get("Location"))
	}
	if c := e.storedCredentials(); c != nil {
		t.Errorf("still stored: %v", c)
	}
	p = e.get("/credentials?deleted=1")
	if p.find("saved-none").Length() != 1 || p.find("notice").Length() != 1 {
		t.Error("the page does not say the credentials are gone")
	}
}

// TestNewSandboxAccountRenewsTheSession: taking a sandbox account is a
// change of privilege like saving credentials, so a session token that
// someone planted in the browser does not get to hold the account.
func TestNewSandboxAccountRenewsTheSession(t *testing.T) {
	e := newEnv(t, options{sandbox: true})
	mallory := e.browser()
	mallory.playerID()
	e.plant(e.sessions.CookieName(), mallory.sessionToken(), "/")
	if p := e.post("/credentials/sandbox", nil); p.status != http.StatusSeeOther {
		t.Fatalf("use a sandbox account: %d\n%.300s", p.status, p.body)
	}
	if e.sessionToken() == mallory.sessionToken() {
		t.Error("taking a sandbox account kept the planted session token")
	}
}
