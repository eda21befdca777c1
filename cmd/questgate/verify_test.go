package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/sandbox"
	"github.com/questgate/questgate/store"
	"github.com/questgate/questgate/templates"
)

// fakeTwilio is the sandbox on its own server, as `questgate sandbox`
// serves it, standing in for Twilio.
type fakeTwilio struct {
	api     string // the API base, for --twilio-api-url
	account sandbox.Account
	sb      *sandbox.Sandbox
}

func newFakeTwilio(t *testing.T) *fakeTwilio {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sandbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sb := sandbox.New(st, sandbox.Options{})
	srv := httptest.NewServer(sandbox.Server(sb))
	t.Cleanup(srv.Close)
	acc, err := sb.CreateAccount(context.Background(), "verify test")
	if err != nil {
		t.Fatal(err)
	}
	return &fakeTwilio{api: srv.URL + sandbox.Prefix, account: acc, sb: sb}
}

// another returns the same Twilio with another account of its own.
func (f *fakeTwilio) another(t *testing.T) *fakeTwilio {
	t.Helper()
	acc, err := f.sb.CreateAccount(context.Background(), "another")
	if err != nil {
		t.Fatal(err)
	}
	return &fakeTwilio{api: f.api, account: acc, sb: f.sb}
}

// create posts form to an account resource and returns the answer's field.
func (f *fakeTwilio) create(t *testing.T, resource string, form url.Values, field string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.api+"/2010-04-01/Accounts/"+f.account.SID+"/"+resource, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(f.account.SID, f.account.AuthToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create %s: %s %v", resource, resp.Status, err)
	}
	return out[field].(string)
}

// runCLI runs questgate with args and stdin, and returns its exit status
// and output.
func runVerifyCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	err := run(context.Background(), append([]string{"questgate"}, args...), func(string) string { return "" },
		strings.NewReader(stdin), &stdout, &stderr)
	code := 0
	if err != nil {
		code = exitCode(err)
		stderr.WriteString(err.Error())
	}
	return code, stdout.String(), stderr.String()
}

func TestVerifyExitCodes(t *testing.T) {
	f := newFakeTwilio(t)
	sms := func(body string) string {
		return f.create(t, "Messages.json", url.Values{"From": {"+15017122661"}, "To": {"+15558675310"}, "Body": {body}}, "sid")
	}
	own, sample := sms("My very own words"), sms("Ahoy from the Twilio API!")
	keySID := ""
	keySecret := ""
	{
		req, _ := http.NewRequest(http.MethodPost, f.api+"/2010-04-01/Accounts/"+f.account.SID+"/Keys.json", strings.NewReader("FriendlyName=cli"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(f.account.SID, f.account.AuthToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var k struct{ Sid, Secret string }
		_ = json.NewDecoder(resp.Body).Decode(&k)
		resp.Body.Close()
		keySID, keySecret = k.Sid, k.Secret
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + ln.Addr().String()
	ln.Close()

	base := func(sid string) []string {
		return []string{"verify", "--objective", "send-sms", "--sid", sid, "--account-sid", f.account.SID, "--twilio-api-url", f.api}
	}
	token := f.account.AuthToken + "\n"
	tests := []struct {
		name       string
		stdin      string
		args       []string
		code       int
		wantOutput string
	}{
		{"passed", token, append(base(own), "--auth-token-stdin"), 0, "PASSED"},
		{"sample body", token, append(base(sample), "--auth-token-stdin"), 1, "REJECTED (sample_body)"},
		{"english help", token, append(base(sample), "--auth-token-stdin"), 1, "Write your own message"},
		{"not found", token, append(base("SM0123456789abcdef0123456789abcdef"), "--auth-token-stdin"), 1, "REJECTED (not_found)"},
		{"account SID pasted", token, append(base(f.account.SID), "--auth-token-stdin"), 1, "wrong_resource"},
		{"API key", keySecret, append(base(own), "--api-key", keySID, "--api-secret-stdin"), 0, "PASSED"},
		{"wrong token", strings.Repeat("0", 32), append(base(own), "--auth-token-stdin"), 2, "UNDECIDED (bad_credentials, rejected)"},
		{"Twilio unavailable", token, []string{"verify", "--objective", "send-sms", "--sid", own, "--account-sid", f.account.SID,
			"--auth-token-stdin", "--twilio-api-url", down}, 2, "UNDECIDED (upstream_unavailable"},
		{"malformed secret", "not a token!", append(base(own), "--auth-token-stdin"), 2, ""},
		{"no secret on stdin", "", append(base(own), "--auth-token-stdin"), 2, ""},
		{"no way to read the secret", token, base(own), 2, ""},
		{"both ways", token, append(base(own), "--auth-token-stdin", "--api-secret-stdin", "--api-key", keySID), 2, ""},
		{"secret flag does not exist", token, append(base(own), "--auth-token", f.account.AuthToken), 2, ""},
		{"unknown objective", token, []string{"verify", "--objective", "send-fax", "--sid", own, "--account-sid", f.account.SID, "--auth-token-stdin"}, 2, ""},
		{"no SID", token, []string{"verify", "--objective", "send-sms", "--account-sid", f.account.SID, "--auth-token-stdin"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runVerifyCLI(t, tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.wantOutput) {
				t.Errorf("exit %d, want %d; output %q should contain %q\nstderr: %s", code, tt.code, out, tt.wantOutput, errOut)
			}
			if strings.Contains(out+errOut, f.account.AuthToken) || (keySecret != "" && strings.Contains(out+errOut, keySecret)) {
				t.Errorf("the secret was printed:\n%s\n%s", out, errOut)
			}
		})
	}
}

func TestVerifyJSONAndPlayerChecks(t *testing.T) {
	f := newFakeTwilio(t)
	call := f.create(t, "Calls.json", url.Values{"From": {"+15017122661"}, "To": {"+15558675310"}, "Url": {"http://demo.twilio.com/docs/voice.xml"}}, "sid")
	args := []string{"verify", "--objective", "make-call", "--sid", call, "--account-sid", f.account.SID,
		"--auth-token-stdin", "--twilio-api-url", f.api, "--json"}
	code, out, errOut := runVerifyCLI(t, f.account.AuthToken, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	var v struct {
		Verdict  string   `json:"verdict"`
		SID      string   `json:"sid"`
		Skipped  []string `json:"not_checked"`
		Resource struct {
			Direction string `json:"direction"`
		} `json:"resource"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if v.Verdict != "passed" || v.SID != call || v.Resource.Direction != "outbound-api" || len(v.Skipped) != 1 || v.Skipped[0] != "created_after_opened" {
		t.Errorf("verdict = %+v", v)
	}
	// With --opened-at after the call, created_after_opened refuses it.
	code, out, _ = runVerifyCLI(t, f.account.AuthToken, append(args, "--opened-at", "2999-01-01T00:00:00Z")...)
	if code != 1 || !strings.Contains(out, `"reason": "created_before_opened"`) {
		t.Errorf("opened later: exit %d\n%s", code, out)
	}
	if code, _, _ := runVerifyCLI(t, f.account.AuthToken, append(args, "--opened-at", "yesterday")...); code != 2 {
		t.Errorf("bad --opened-at: exit %d", code)
	}
}

func TestObjectivesCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	write := func(path, content string) {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(good, `objectives:
  - id: bonus
    kind: call
    prerequisites: [make-call]
    title: {en: Bonus, fr: Bonus}
    summary: {en: a, fr: b}
    instructions: {en: a, fr: b}
`)
	write(bad, `objectives:
  - id: bonus
    kind: call
    prerequisites: [make-fax]
    title: {en: Bonus, fr: Bonus}
    summary: {en: a, fr: b}
    instructions: {en: a, fr: b}
    checks:
      status_in: [delivered]
    hints:
      - cost: -5
        text: {en: "Call **yourself**"}
`)
	code, out, _ := runVerifyCLI(t, "", "objectives", "check", good)
	if code != 0 || !strings.Contains(out, "9 objectives") || !strings.Contains(out, "bonus") {
		t.Errorf("good file: exit %d\n%s", code, out)
	}
	code, out, _ = runVerifyCLI(t, "", "objectives", "check", bad)
	if code != 1 || !strings.Contains(out, bad+":4:") || !strings.Contains(out, `"make-fax" is not an objective`) ||
		!strings.Contains(out, bad+":9:") || !strings.Contains(out, `"delivered" is not a call status`) ||
		!strings.Contains(out, "hints[0].cost: -5") || !strings.Contains(out, `hints[0].text: missing the "fr" text`) {
		t.Errorf("bad file: exit %d\n%s", code, out)
	}
	if code, _, _ := runVerifyCLI(t, "", "objectives", "check"); code != 2 {
		t.Errorf("no file: exit %d", code)
	}
	if code, _, errOut := runVerifyCLI(t, "", "objectives", "check", filepath.Join(dir, "missing.yaml")); code != 1 || !strings.Contains(errOut, "missing.yaml") {
		t.Errorf("missing file: exit %d %s", code, errOut)
	}

	// serve refuses to start with it, saying where the problem is.
	code, _, errOut := runVerifyCLI(t, "", "serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--objectives", bad)
	if code == 0 || !strings.Contains(errOut, bad+":4:") {
		t.Errorf("serve with a bad file: exit %d\n%s", code, errOut)
	}
}

// TestVerifySaysWhatThePagesSay: verify's title, help and next step are
// the ones the objective page, the widget and the API give for the same
// verdict (templates.NewVerdict), and its verdict is the verdict's
// outcome.
func TestVerifySaysWhatThePagesSay(t *testing.T) {
	f := newFakeTwilio(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	missing := "SM0123456789abcdef0123456789abcdef"
	tests := []struct {
		name, api, secret string
		reason            quest.Reason
		detail            string
		verdict, next     string
	}{
		{"not found", f.api, f.account.AuthToken, quest.NotFound, "", "rejected", "retry"},
		{"wrong token", f.api, strings.Repeat("0", 32), quest.BadCredentials, quest.DetailRejected, "undecided", "credentials"},
		{"Twilio unavailable", down, f.account.AuthToken, quest.UpstreamUnavailable, "", "undecided", "wait"},
	}
	b, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx := locale.With(context.Background(), b.Localizer("en"))
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := cat.Get("send-sms")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, out, errOut := runVerifyCLI(t, tt.secret+"\n", "verify", "--objective", "send-sms", "--sid", missing,
				"--account-sid", f.account.SID, "--auth-token-stdin", "--twilio-api-url", tt.api, "--json")
			var got struct {
				Verdict, Reason, Detail, Title, Help string
				Next                                 struct{ Kind, Text string } `json:"next_step"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("not JSON: %v\n%s\n%s", err, out, errOut)
			}
			if got.Reason != string(tt.reason) || got.Detail != tt.detail {
				t.Fatalf("reason %s/%s, want %s/%s", got.Reason, got.Detail, tt.reason, tt.detail)
			}
			want := templates.NewVerdict(ctx, templates.VerdictFacts{Reason: tt.reason, Detail: tt.detail, Objective: obj, SID: missing})
			outcome := map[string]string{"failed": "rejected"}[want.Outcome]
			if outcome == "" {
				outcome = want.Outcome
			}
			if got.Title != want.Title || got.Help != want.Help || got.Next.Kind != tt.next || got.Next.Text != want.Next.Text ||
				got.Verdict != tt.verdict || outcome != tt.verdict {
				t.Errorf("verify says %+v\nthe pages say %+v (outcome %s)", got, want, outcome)
			}
			_, text, _ := runVerifyCLI(t, tt.secret+"\n", "verify", "--objective", "send-sms", "--sid", missing,
				"--account-sid", f.account.SID, "--auth-token-stdin", "--twilio-api-url", tt.api)
			if !strings.Contains(text, "next:      "+want.Next.Text) {
				t.Errorf("the text output does not say the next step:\n%s", text)
			}
		})
	}
}

// TestVerifyJSONUsageErrors: with --json, a command line verify cannot
// run still prints one JSON object, saying why, and exits 2.
func TestVerifyJSONUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no objective", []string{"verify", "--json"}, "--objective is required"},
		{"an unknown objective", []string{"verify", "--json", "--objective", "nope"}, `no objective "nope"`},
		{"an unknown flag before --json", []string{"verify", "--bogus", "--json"}, "flag provided but not defined"},
		{"no secret on stdin", []string{"verify", "--json", "--objective", "send-sms", "--sid", "SM1", "--account-sid", "AC1", "--auth-token-stdin"}, "standard input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, _ := runVerifyCLI(t, "", tc.args...)
			var out struct {
				Verdict string `json:"verdict"`
				Error   struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("stdout is not JSON (%v): %q", err, stdout)
			}
			if code != exitUndecided || out.Verdict != "undecided" || out.Error.Code != "usage" || !strings.Contains(out.Error.Message, tc.want) {
				t.Errorf("exit %d, %+v; want exit 2, a usage error saying %q", code, out, tc.want)
			}
		})
	}
	if _, stdout, _ := runVerifyCLI(t, "", "verify"); stdout != "" {
		t.Errorf("without --json a usage error prints %q on stdout", stdout)
	}
}
