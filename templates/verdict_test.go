package templates

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
)

// rendered reports what is wrong with a localised text, or "".
func rendered(id, got string) string {
	switch {
	case got == id:
		return "no message"
	case strings.TrimSpace(got) == "":
		return "empty"
	case strings.Contains(got, "<no value>"), strings.Contains(got, "{{"):
		return "template data missing"
	}
	return ""
}

// TestEveryReasonIsPresented: every reason code has one row saying its
// HTTP status and next step, and a title, a help and a next step in every
// language, whatever the wait.
func TestEveryReasonIsPresented(t *testing.T) {
	statuses := []int{http.StatusOK, http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusServiceUnavailable}
	o := sendSMS(t)
	for _, r := range quest.Reasons {
		p, ok := presentations[r]
		if !ok {
			t.Errorf("%s: no presentation", r)
			continue
		}
		if !slices.Contains(statuses, p.status) {
			t.Errorf("%s: status %d", r, p.status)
		}
		if r.Success() && p.status != http.StatusOK {
			t.Errorf("%s: a success answers %d", r, p.status)
		}
		kinds := []NextKind{p.next}
		for _, k := range p.detailNext {
			kinds = append(kinds, k)
		}
		for _, k := range kinds {
			if !slices.Contains(NextKinds, k) {
				t.Errorf("%s: next step %q is not one of NextKinds", r, k)
			}
		}
		for _, lang := range locale.Supported {
			ctx := contextIn(t, lang)
			for _, retry := range []time.Duration{0, time.Second, 42 * time.Second} {
				v := NewVerdict(ctx, VerdictFacts{Reason: r, Objective: o, SID: "SM0123456789abcdef0123456789abcdef",
					Status: "failed", RetryAfter: retry, Missing: []catalog.Objective{o}})
				if v.Status != p.status || v.Outcome != r.Outcome() || v.Next.Kind != p.next {
					t.Errorf("%s %s: status %d, outcome %q, next %q", lang, r, v.Status, v.Outcome, v.Next.Kind)
				}
				title, help, _ := ReasonMessageIDs(r, "")
				for id, got := range map[string]string{title: v.Title, help: v.Help, "next." + string(v.Next.Kind): v.Next.Text} {
					if problem := rendered(id, got); problem != "" && !(r == quest.Awarded && id == help) {
						t.Errorf("%s %s (RetryAfter %v): %s: %s %q", lang, r, retry, id, problem, got)
					}
				}
			}
		}
	}
	for _, lang := range locale.Supported {
		for _, k := range NextKinds {
			got := NewVerdict(contextIn(t, lang), VerdictFacts{Reason: reasonWithNext(k)}).Next.Text
			if problem := rendered("next."+string(k), got); problem != "" {
				t.Errorf("%s next.%s: %s %q", lang, k, problem, got)
			}
		}
	}
}

// reasonWithNext is a reason whose next step is k (or whose detail's is).
func reasonWithNext(k NextKind) quest.Reason {
	for r, p := range presentations {
		if p.next == k {
			return r
		}
	}
	return quest.InvalidSID // rotate_secret is a detail's
}

// TestEveryVerdictStatusIsSwapped: htmx swaps the hack panel of every
// status a verdict answers with, so the player always reads the result in
// place (app.js would show a generic failure instead).
func TestEveryVerdictStatusIsSwapped(t *testing.T) {
	var cfg struct {
		ResponseHandling []struct {
			Code  string `json:"code"`
			Swap  bool   `json:"swap"`
			Error bool   `json:"error"`
		} `json:"responseHandling"`
	}
	if err := json.Unmarshal([]byte(htmxConfig), &cfg); err != nil {
		t.Fatal(err)
	}
	for r, p := range presentations {
		code := http.StatusText(p.status)
		for _, h := range cfg.ResponseHandling {
			if regexp.MustCompile("^" + h.Code + "$").MatchString(strconv.Itoa(p.status)) {
				if !h.Swap || h.Error {
					t.Errorf("%s answers %d (%s), which htmx does not swap as a result: %+v", r, p.status, code, h)
				}
				break
			}
		}
	}
}

// TestVerdictNextSteps: the next step follows the detail and the facts.
func TestVerdictNextSteps(t *testing.T) {
	o := sendSMS(t)
	c, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	reply, ok := c.Get("reply-sms")
	if !ok {
		t.Fatal("no reply-sms objective")
	}
	tests := []struct {
		name     string
		facts    VerdictFacts
		kind     NextKind
		url      string
		en, fr   string
		wantHelp string
	}{
		{"awarded", VerdictFacts{Reason: quest.Awarded, Objective: o}, NextObjectives, "/",
			"Choose your next objective", "Choisissez votre prochain objectif", "Twilio confirmed your message"},
		{"no credentials", VerdictFacts{Reason: quest.NoCredentials}, NextCredentials, "/credentials",
			"Give your Twilio credentials, then try again", "Indiquez vos identifiants Twilio, puis réessayez", ""},
		{"a pasted token", VerdictFacts{Reason: quest.InvalidSID, Detail: quest.DetailLooksLikeToken}, NextRotateSecret,
			"/credentials", "Rotate this secret", "Changez ce secret", "rotate it"},
		{"Twilio down, wait known", VerdictFacts{Reason: quest.UpstreamUnavailable, RetryAfter: 1500 * time.Millisecond},
			NextWait, "", "Wait 2 seconds, then try again", "Attendez 2 secondes, puis réessayez", ""},
		{"Twilio down, wait unknown", VerdictFacts{Reason: quest.UpstreamUnavailable}, NextWait, "",
			"Wait a moment, then try again", "Attendez un instant, puis réessayez", ""},
		{"locked", VerdictFacts{Reason: quest.Locked, Missing: []catalog.Objective{reply}}, NextPrerequisite,
			"/objectives/" + reply.ID, "Complete “" + reply.Title.In("en") + "” first", "Réussissez d'abord «\u202f" + reply.Title.In("fr") + "\u202f»", ""},
		{"attempts exhausted for good", VerdictFacts{Reason: quest.AttemptsExhausted, Detail: quest.DetailPermanent},
			NextInstructor, "", "Ask your instructor", "Adressez-vous à votre formateur", ""},
		{"attempts exhausted for now", VerdictFacts{Reason: quest.AttemptsExhausted, Detail: quest.DetailWindow, RetryAfter: time.Second},
			NextWait, "", "Wait 1 second, then try again", "Attendez 1 seconde, puis réessayez", ""},
		{"not one of your numbers", VerdictFacts{Reason: quest.NumberNotRegistered, Detail: quest.DetailNoNumbers}, NextNumbers,
			"/credentials#numbers-heading", "Register your phone number", "Enregistrez votre numéro", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for lang, want := range map[string]string{"en": tt.en, "fr": tt.fr} {
				v := NewVerdict(contextIn(t, lang), tt.facts)
				if v.Next.Kind != tt.kind || v.Next.URL != tt.url || !strings.Contains(v.Next.Text, want) {
					t.Errorf("%s: next %+v, want %s %q %q", lang, v.Next, tt.kind, tt.url, want)
				}
				if lang == "en" && !strings.Contains(v.Help, tt.wantHelp) {
					t.Errorf("help %q does not say %q", v.Help, tt.wantHelp)
				}
			}
		})
	}
}

// TestVerdictOfAResult: a result's verdict quotes what the player pasted
// when no SID was found, and a call's success speaks of a call.
func TestVerdictOfAResult(t *testing.T) {
	c, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	call, ok := c.Get("make-call")
	if !ok {
		t.Fatal("no make-call objective")
	}
	ctx := contextIn(t, "en")
	v := NewVerdict(ctx, ResultFacts(&quest.Result{Objective: call, Submission: quest.Submission{Reason: quest.Awarded}}))
	if !strings.Contains(v.Help, "call") || strings.Contains(v.Help, "message") {
		t.Errorf("a call's success: %q", v.Help)
	}
	res := &quest.Result{Objective: sendSMS(t), Submission: quest.Submission{Reason: quest.NotFound, RawSID: "SMnotquite"}}
	if v := NewVerdict(ctx, ResultFacts(res)); !strings.Contains(v.Help, "SMnotquite") {
		t.Errorf("not_found does not quote the paste: %q", v.Help)
	}
}

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
	quest.NoCredentials:       {quest.DetailGame},
}

// credentialsErrors lists every CredentialsError the verifier returns.
var credentialsErrors = map[string][]string{
	quest.FieldAccountSID: {quest.ProblemRequired, quest.ProblemFormat, quest.ProblemAccountSIDIsKey, quest.ProblemNotFound},
	quest.FieldAPIKeySID:  {quest.ProblemFormat, quest.ProblemKeyIsAccount},
	quest.FieldSecret: {quest.ProblemRequired, quest.ProblemFormat, quest.ProblemTokenLooksLikeSID,
		quest.ProblemRejected, quest.ProblemForbidden},
}

// TestEveryOutcomeHasMessages renders every message the verifier's
// outcomes need, in every language, with the documented template data.
// (Moved from package verifier with the message ids' rule.)
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
	for _, r := range quest.Reasons {
		title, help, _ := ReasonMessageIDs(r, "")
		ids = append(ids, title, help)
		ds := details[r]
		if r == quest.WrongChannel {
			ds = channels
		}
		for _, d := range ds {
			_, _, detail := ReasonMessageIDs(r, d)
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
				data := map[string]any{"SID": "SM0123456789abcdef0123456789abcdef", "Status": "failed", "RetryAfter": retry, "Prefix": "SM",
					"Wait": "wait", "TwilioWait": "twilio wait"}
				if problem := rendered(id, l.T(id, data)); problem != "" {
					t.Errorf("%s %s (RetryAfter %d): %s", lang, id, retry, problem)
				}
			}
		}
		// RetryAfter may be absent: Twilio did not say.
		for _, r := range []quest.Reason{quest.UpstreamRateLimited, quest.UpstreamUnavailable} {
			_, help, _ := ReasonMessageIDs(r, "")
			if got := l.T(help, map[string]any{}); got == help || strings.Contains(got, "<no value>") {
				t.Errorf("%s %s without RetryAfter: %q", lang, help, got)
			}
		}
	}
	// The wait is written for people, in the verdict's language.
	for _, tt := range []struct {
		lang string
		d    time.Duration
		want string
	}{{"en", time.Second, "1 second."}, {"fr", 30 * time.Second, "30 secondes"}, {"en", 9 * time.Minute, "9 minutes."}} {
		v := NewVerdict(contextIn(t, tt.lang), VerdictFacts{Reason: quest.UpstreamRateLimited, RetryAfter: tt.d})
		if !strings.Contains(v.Help, tt.want) {
			t.Errorf("%s, %v: %q, want %q in it", tt.lang, tt.d, v.Help, tt.want)
		}
	}
}

// TestLooksLikeTokenSaysRotate: a player who pasted a secret is told, in
// every language, to rotate it. (Moved from package verifier.)
func TestLooksLikeTokenSaysRotate(t *testing.T) {
	b, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	_, _, id := ReasonMessageIDs(quest.InvalidSID, quest.DetailLooksLikeToken)
	for lang, want := range map[string]string{"en": "rotate it", "fr": "changez-le"} {
		if got := b.Localizer(lang).T(id, map[string]any{"Prefix": "SM"}); !strings.Contains(got, want) {
			t.Errorf("%s: %q does not say %q", lang, got, want)
		}
	}
}

func TestReasonMessageIDs(t *testing.T) {
	title, help, detail := ReasonMessageIDs(quest.WrongResource, quest.DetailAccount)
	got := []string{title, help, detail}
	want := []string{"reason.wrong_resource.title", "reason.wrong_resource.help", "reason.wrong_resource.detail.account"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReasonMessageIDs (-want +got):\n%s", diff)
	}
	if _, _, detail := ReasonMessageIDs(quest.NotFound, ""); detail != "" {
		t.Errorf("detail id without a detail = %q", detail)
	}
}
