package quest

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParseCredentials pastes anything into the three credentials fields.
// ParseCredentials must never panic, and either return credentials of the
// right shapes (stable when parsed again) or zero credentials and a
// *CredentialsError naming a known field and problem, whose text is built
// from those names only, so nothing the player typed (the secret above
// all) can reach a log or a page through it.
func FuzzParseCredentials(f *testing.F) {
	upper := strings.ToUpper(hex32)
	for _, seed := range [][3]string{
		{testAccount, "", testSecret},
		{testAccount, testKey, testSecret},
		{" \"ac" + upper + "\" ", "\u200bsk" + upper + ".", "  " + testSecret + "\n"},
		{testKey, "", testSecret},
		{testAccount, testAccount, testSecret},
		{testAccount, "", testAccount},
		{testAccount, "", "sk" + upper},
		{"", "", ""},
		{testAccount, "", "token with spaces"},
		{testAccount, "", "tok\u00e9n"},
		{"AC123", "SK", "x"},
		{"\xff\xfe", "\x00", "'; DROP TABLE credentials; --"},
		{"«AC" + hex32 + "»", "", "«" + testSecret + "»"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	fields := []string{FieldAccountSID, FieldAPIKeySID, FieldSecret}
	// The problems a shape check can find; the others come from Twilio.
	problems := []string{ProblemRequired, ProblemFormat, ProblemAccountSIDIsKey, ProblemKeyIsAccount, ProblemTokenLooksLikeSID}
	f.Fuzz(func(t *testing.T, account, key, secret string) {
		c, err := ParseCredentials(account, key, secret)
		if err != nil {
			var ce *CredentialsError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v, want *CredentialsError", err, err)
			}
			if !slices.Contains(fields, ce.Field) || !slices.Contains(problems, ce.Problem) {
				t.Fatalf("unknown field or problem: %+v", ce)
			}
			if want := "twilio credentials: " + ce.Field + ": " + ce.Problem; err.Error() != want {
				t.Fatalf("error text %q, want %q", err.Error(), want)
			}
			if c != (Credentials{}) {
				t.Fatalf("credentials %+v returned with an error", c)
			}
			return
		}
		if !accountPattern.MatchString(c.AccountSID) {
			t.Errorf("account SID %q", c.AccountSID)
		}
		if c.APIKeySID != "" && !apiKeyPattern.MatchString(c.APIKeySID) {
			t.Errorf("API key SID %q", c.APIKeySID)
		}
		if c.Secret == "" || !alphanumeric(c.Secret) {
			t.Errorf("secret %q", c.Secret)
		}
		again, err := ParseCredentials(c.AccountSID, c.APIKeySID, c.Secret)
		if err != nil || again != c {
			t.Errorf("parsing the result again gives %+v, %v", again, err)
		}
	})
}
