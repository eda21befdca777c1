package quest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	testAccount = "AC" + hex32
	testKey     = "SK" + "fedcba9876543210fedcba9876543210"
	// testSecret is distinctive so a leak is easy to find in any text.
	testSecret = "Zq9SECRETdoNotLeak4u7Xw2Lp0Hj5Vb"
)

func TestParseCredentials(t *testing.T) {
	upperAccount := "ac" + strings.ToUpper(hex32)
	tests := []struct {
		name                   string
		account, key, secret   string
		want                   Credentials
		wantField, wantProblem string
	}{
		{name: "auth token", account: testAccount, secret: testSecret,
			want: Credentials{AccountSID: testAccount, Secret: testSecret}},
		{name: "api key", account: testAccount, key: testKey, secret: testSecret,
			want: Credentials{AccountSID: testAccount, APIKeySID: testKey, Secret: testSecret}},
		{name: "pasted with spaces, quotes, invisible characters and a period",
			account: " \u00a0“" + upperAccount + "”\u200b", key: "'" + testKey + "'.", secret: "\ufeff\"" + testSecret + "\" ",
			want: Credentials{AccountSID: testAccount, APIKeySID: testKey, Secret: testSecret}},
		{name: "secret keeps its case", account: testAccount, secret: "abcDEF123",
			want: Credentials{AccountSID: testAccount, Secret: "abcDEF123"}},

		{name: "no account", account: " ", secret: testSecret, wantField: FieldAccountSID, wantProblem: ProblemRequired},
		{name: "key as account", account: testKey, secret: testSecret, wantField: FieldAccountSID, wantProblem: ProblemAccountSIDIsKey},
		{name: "short account", account: "AC1234", secret: testSecret, wantField: FieldAccountSID, wantProblem: ProblemFormat},
		{name: "message SID as account", account: "SM" + hex32, secret: testSecret, wantField: FieldAccountSID, wantProblem: ProblemFormat},
		{name: "account with a space", account: "AC01234 56789abcdef0123456789abcdef", secret: testSecret, wantField: FieldAccountSID, wantProblem: ProblemFormat},
		{name: "account as key", account: testAccount, key: testAccount, secret: testSecret, wantField: FieldAPIKeySID, wantProblem: ProblemKeyIsAccount},
		{name: "short key", account: testAccount, key: "SK12", secret: testSecret, wantField: FieldAPIKeySID, wantProblem: ProblemFormat},
		{name: "other SID as key", account: testAccount, key: "PN" + hex32, secret: testSecret, wantField: FieldAPIKeySID, wantProblem: ProblemFormat},
		{name: "no secret", account: testAccount, secret: " \u200b", wantField: FieldSecret, wantProblem: ProblemRequired},
		{name: "account SID as secret", account: testAccount, secret: testAccount, wantField: FieldSecret, wantProblem: ProblemTokenLooksLikeSID},
		{name: "key SID as secret", account: testAccount, key: testKey, secret: "sk" + hex32, wantField: FieldSecret, wantProblem: ProblemTokenLooksLikeSID},
		{name: "secret with a dash", account: testAccount, secret: "abc-" + testSecret, wantField: FieldSecret, wantProblem: ProblemFormat},
		{name: "secret with a space", account: testAccount, secret: "abc " + testSecret, wantField: FieldSecret, wantProblem: ProblemFormat},
		{name: "secret with an accent", account: testAccount, secret: "é" + testSecret, wantField: FieldSecret, wantProblem: ProblemFormat},
		{name: "first problem in form order", account: "", key: "nope", secret: "", wantField: FieldAccountSID, wantProblem: ProblemRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCredentials(tt.account, tt.key, tt.secret)
			if tt.wantProblem == "" {
				if err != nil {
					t.Fatalf("ParseCredentials: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("ParseCredentials (-want +got):\n%s", diff)
				}
				return
			}
			var ce *CredentialsError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseCredentials error = %v, want a *CredentialsError", err)
			}
			if diff := cmp.Diff(&CredentialsError{Field: tt.wantField, Problem: tt.wantProblem}, ce); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if got != (Credentials{}) {
				t.Errorf("credentials = %v on error, want zero", got)
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(fmt.Sprintf("%#v", err), testSecret) {
				t.Errorf("error text shows the secret: %v", err)
			}
		})
	}
}

func TestCredentialsErrorMessageID(t *testing.T) {
	e := &CredentialsError{Field: FieldSecret, Problem: ProblemRejected}
	if got, want := e.MessageID(), "credentials.error.secret.rejected"; got != want {
		t.Errorf("MessageID = %q, want %q", got, want)
	}
}

func TestCredentialsNeverPrintTheSecret(t *testing.T) {
	c := Credentials{AccountSID: testAccount, APIKeySID: testKey, Secret: testSecret}
	req := CheckRequest{SID: "SM" + hex32, Credentials: c}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{c, &c, req, &req} {
			if s := fmt.Sprintf(format, v); strings.Contains(s, testSecret) {
				t.Errorf("Sprintf(%q, %T) = %s: shows the secret", format, v, s)
			}
		}
	}
}
