package verifier_test

import (
	"strings"
	"testing"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/verifier"
)

// details lists every Detail the verifier gives, by reason.
var details = map[verifier.Reason][]string{
	verifier.InvalidSID: {verifier.DetailEmpty, verifier.DetailLength, verifier.DetailCharacters, verifier.DetailFormat,
		verifier.DetailSecret, verifier.DetailLooksLikeToken,
		"call_empty", "call_length", "call_characters", "call_format"},
	verifier.WrongResource: {verifier.DetailAccount, verifier.DetailAPIKey, verifier.DetailCall, verifier.DetailMMS,
		verifier.DetailSMS, verifier.DetailOtherResource, "call_account", "call_api_key", "call_message", "call_other_resource"},
	verifier.NotFound:            {verifier.DetailCall},
	verifier.NumberNotRegistered: {verifier.DetailNoNumbers, verifier.DetailTo, verifier.DetailFrom, verifier.DetailEither},
	verifier.BodyMismatch:        {verifier.DetailContains, verifier.DetailMatches},
	verifier.AttemptsExhausted:   {verifier.DetailPermanent, verifier.DetailWindow},
	verifier.BadCredentials:      {verifier.DetailFormat, verifier.DetailRejected, verifier.DetailForbidden},
	verifier.WrongDirection:      {verifier.DetailInbound, verifier.DetailOutbound},
	verifier.FailedStatus:        {"failed", "undelivered", "canceled"},
	verifier.UpstreamUnavailable: {verifier.DetailTimeout},
}

// credentialsErrors lists every CredentialsError the package returns.
var credentialsErrors = map[string][]string{
	verifier.FieldAccountSID: {verifier.ProblemRequired, verifier.ProblemFormat, verifier.ProblemAccountSIDIsKey, verifier.ProblemNotFound},
	verifier.FieldAPIKeySID:  {verifier.ProblemFormat, verifier.ProblemKeyIsAccount},
	verifier.FieldSecret: {verifier.ProblemRequired, verifier.ProblemFormat, verifier.ProblemTokenLooksLikeSID,
		verifier.ProblemRejected, verifier.ProblemForbidden},
}

// TestEveryOutcomeHasMessages renders every message the verifier's
// outcomes need, in every language, with the documented template data.
func TestEveryOutcomeHasMessages(t *testing.T) {
	b, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	var ids, channels []string
	// WrongChannel's details are the channels the kinds table names.
	for _, s := range catalog.Specs() {
		if s.Channel != "" {
			channels = append(channels, s.Channel)
		}
	}
	if len(channels) == 0 {
		t.Error("no kind has a channel: WrongChannel's details are untested")
	}
	for _, r := range verifier.Reasons {
		title, help, _ := verifier.MessageIDs(r, "")
		ids = append(ids, title, help)
		ds := details[r]
		if r == verifier.WrongChannel {
			ds = channels
		}
		for _, d := range ds {
			_, _, detail := verifier.MessageIDs(r, d)
			ids = append(ids, detail)
		}
	}
	for field, problems := range credentialsErrors {
		for _, p := range problems {
			ids = append(ids, (&verifier.CredentialsError{Field: field, Problem: p}).MessageID())
		}
	}
	for _, lang := range locale.Supported {
		l := b.Localizer(lang)
		for _, id := range ids {
			for _, retry := range []int{0, 1, 42} {
				data := map[string]any{"SID": "SM0123456789abcdef0123456789abcdef", "Status": "failed", "RetryAfter": retry, "Prefix": "SM"}
				got := l.T(id, data)
				if got == id || strings.TrimSpace(got) == "" || strings.Contains(got, "<no value>") || strings.Contains(got, "{{") {
					t.Errorf("%s %s (RetryAfter %d): %q", lang, id, retry, got)
				}
			}
		}
		// RetryAfter may be absent: Twilio did not say.
		for _, r := range []verifier.Reason{verifier.UpstreamRateLimited, verifier.UpstreamUnavailable} {
			_, help, _ := verifier.MessageIDs(r, "")
			if got := l.T(help, map[string]any{}); got == help || strings.Contains(got, "<no value>") {
				t.Errorf("%s %s without RetryAfter: %q", lang, help, got)
			}
		}
	}
	en, fr := b.Localizer("en"), b.Localizer("fr")
	_, help, _ := verifier.MessageIDs(verifier.UpstreamRateLimited, "")
	if got := en.T(help, map[string]any{"RetryAfter": 1}); !strings.Contains(got, "1 second.") {
		t.Errorf("en, 1 second: %q", got)
	}
	if got := fr.T(help, map[string]any{"RetryAfter": 30}); !strings.Contains(got, "30 secondes") {
		t.Errorf("fr, 30 seconds: %q", got)
	}
}
