package verifier_test

import (
	"strings"
	"testing"

	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
)

// details lists every Detail the verifier gives, by reason.
var details = map[quest.Reason][]string{
	quest.InvalidSID: {quest.DetailEmpty, quest.DetailLength, quest.DetailCharacters, quest.DetailFormat,
		quest.DetailSecret, quest.DetailLooksLikeToken,
		"call_empty", "call_length", "call_characters", "call_format"},
	quest.WrongResource: {quest.DetailAccount, quest.DetailAPIKey, quest.DetailCall, quest.DetailMMS,
		quest.DetailSMS, quest.DetailOtherResource, "call_account", "call_api_key", "call_message", "call_other_resource"},
	quest.NotFound:            {quest.DetailCall},
	quest.NumberNotRegistered: {quest.DetailNoNumbers, quest.DetailTo, quest.DetailFrom, quest.DetailEither},
	quest.BodyMismatch:        {quest.DetailContains, quest.DetailMatches},
	quest.AttemptsExhausted:   {quest.DetailPermanent, quest.DetailWindow},
	quest.BadCredentials:      {quest.DetailFormat, quest.DetailRejected, quest.DetailForbidden},
	quest.WrongDirection:      {quest.DetailInbound, quest.DetailOutbound},
	quest.FailedStatus:        {"failed", "undelivered", "canceled"},
	quest.UpstreamUnavailable: {quest.DetailTimeout},
}

// credentialsErrors lists every CredentialsError the package returns.
var credentialsErrors = map[string][]string{
	quest.FieldAccountSID: {quest.ProblemRequired, quest.ProblemFormat, quest.ProblemAccountSIDIsKey, quest.ProblemNotFound},
	quest.FieldAPIKeySID:  {quest.ProblemFormat, quest.ProblemKeyIsAccount},
	quest.FieldSecret: {quest.ProblemRequired, quest.ProblemFormat, quest.ProblemTokenLooksLikeSID,
		quest.ProblemRejected, quest.ProblemForbidden},
}

// TestEveryOutcomeHasMessages renders every message the verifier's
// outcomes need, in every language, with the documented template data.
func TestEveryOutcomeHasMessages(t *testing.T) {
	b, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range quest.Reasons {
		title, help, _ := quest.MessageIDs(r, "")
		ids = append(ids, title, help)
		for _, d := range details[r] {
			_, _, detail := quest.MessageIDs(r, d)
			ids = append(ids, detail)
		}
	}
	for field, problems := range credentialsErrors {
		for _, p := range problems {
			ids = append(ids, (&quest.CredentialsError{Field: field, Problem: p}).MessageID())
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
		for _, r := range []quest.Reason{quest.UpstreamRateLimited, quest.UpstreamUnavailable} {
			_, help, _ := quest.MessageIDs(r, "")
			if got := l.T(help, map[string]any{}); got == help || strings.Contains(got, "<no value>") {
				t.Errorf("%s %s without RetryAfter: %q", lang, help, got)
			}
		}
	}
	en, fr := b.Localizer("en"), b.Localizer("fr")
	_, help, _ := quest.MessageIDs(quest.UpstreamRateLimited, "")
	if got := en.T(help, map[string]any{"RetryAfter": 1}); !strings.Contains(got, "1 second.") {
		t.Errorf("en, 1 second: %q", got)
	}
	if got := fr.T(help, map[string]any{"RetryAfter": 30}); !strings.Contains(got, "30 secondes") {
		t.Errorf("fr, 30 seconds: %q", got)
	}
}
