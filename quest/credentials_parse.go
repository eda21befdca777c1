package quest

import "fmt"

// CredentialsError says which credentials field is wrong and how, so a form
// can show a precise, localised message next to that field (message id
// "credentials.error.<Field>.<Problem>", see MessageID). It never holds the
// values themselves: the secret must not leak through an error.
type CredentialsError struct {
	// Field is FieldAccountSID, FieldAPIKeySID or FieldSecret.
	Field string
	// Problem is one of the Problem… constants.
	Problem string
}

// Fields of a CredentialsError, named like the form's inputs.
const (
	FieldAccountSID = "account_sid"
	FieldAPIKeySID  = "api_key_sid"
	FieldSecret     = "secret"
)

// Problems of a CredentialsError.
const (
	// ProblemRequired: the field is empty.
	ProblemRequired = "required"
	// ProblemFormat: not a SID of the right kind, or a secret with
	// characters Twilio never uses.
	ProblemFormat = "format"
	// ProblemAccountSIDIsKey: an API key SID (SK…) in the Account SID field.
	ProblemAccountSIDIsKey = "account_sid_is_key"
	// ProblemKeyIsAccount: the Account SID (AC…) in the API key field.
	ProblemKeyIsAccount = "key_is_account"
	// ProblemTokenLooksLikeSID: a SID (34 characters, two letters first)
	// in the secret field, usually the Account SID pasted twice.
	ProblemTokenLooksLikeSID = "token_looks_like_sid"
	// ProblemRejected: Twilio refused the SID and secret pair (HTTP 401).
	ProblemRejected = "rejected"
	// ProblemForbidden: Twilio authenticated the credentials but refused
	// the check (HTTP 403): an API key not allowed to read messages, or a
	// suspended account.
	ProblemForbidden = "forbidden"
	// ProblemNotFound: Twilio accepted the credentials but has no such
	// account for them (an API key of another account).
	ProblemNotFound = "not_found"
)

func (e *CredentialsError) Error() string {
	return fmt.Sprintf("twilio credentials: %s: %s", e.Field, e.Problem)
}

// MessageID is the id of the localised message explaining the problem.
func (e *CredentialsError) MessageID() string {
	return "credentials.error." + e.Field + "." + e.Problem
}

// ParseCredentials cleans what a player pasted into the credentials form
// (white space, quotes, invisible characters, a trailing period; SIDs are put
// in Twilio's case, the secret's case is kept) and checks each field's shape,
// so mistakes are reported per field before Twilio is asked (see
// Verifier.CheckCredentials for that). apiKeySID is optional: without it
// secret is the account's Auth Token, with it the key's secret.
//
// On failure it returns zero Credentials and a *CredentialsError for the
// first wrong field in form order (account SID, API key SID, secret).
func ParseCredentials(accountSID, apiKeySID, secret string) (Credentials, error) {
	c := Credentials{AccountSID: Normalize(accountSID), APIKeySID: Normalize(apiKeySID), Secret: clean(secret)}
	if err := c.Check(); err != nil {
		return Credentials{}, err
	}
	return c, nil
}

// Normalized cleans credentials the way ParseCredentials does, for
// credentials that did not come through it (configuration, old records).
func (c Credentials) Normalized() Credentials {
	c.AccountSID, c.APIKeySID, c.Secret = Normalize(c.AccountSID), Normalize(c.APIKeySID), clean(c.Secret)
	return c
}

// Check reports the first field whose shape is wrong. It runs no request,
// and it refuses what twilio-go would refuse locally (error 21222/21224).
func (c Credentials) Check() *CredentialsError {
	switch {
	case c.AccountSID == "":
		return &CredentialsError{FieldAccountSID, ProblemRequired}
	case apiKeyPattern.MatchString(c.AccountSID):
		return &CredentialsError{FieldAccountSID, ProblemAccountSIDIsKey}
	case !accountPattern.MatchString(c.AccountSID):
		return &CredentialsError{FieldAccountSID, ProblemFormat}
	case c.APIKeySID == "":
	case accountPattern.MatchString(c.APIKeySID):
		return &CredentialsError{FieldAPIKeySID, ProblemKeyIsAccount}
	case !apiKeyPattern.MatchString(c.APIKeySID):
		return &CredentialsError{FieldAPIKeySID, ProblemFormat}
	}
	switch {
	case c.Secret == "":
		return &CredentialsError{FieldSecret, ProblemRequired}
	case sidPattern.MatchString(foldSID(c.Secret)):
		return &CredentialsError{FieldSecret, ProblemTokenLooksLikeSID}
	case !alphanumeric(c.Secret):
		return &CredentialsError{FieldSecret, ProblemFormat}
	}
	return nil
}
