package templates

import (
	"context"
	"math"
	"net/http"
	"time"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
)

// This file is the one place that says how a verdict is presented: for
// each reason code, the HTTP status every surface answers with and the
// step the player should take next; and, for any reason, the ids of its
// localised title and help. The objective page, the widget, the JSON API
// (answers and problems), `questgate verify` and the instructor views all
// read it, so that they say the same thing about the same verdict. Adding
// a reason means adding a row to presentations (a test fails until it has
// one) and its messages.

// NextKind is what a player should do after a verdict. The kinds are part
// of the API's answers (next_step.kind), so never rename one; each has a
// localised text, "next.<kind>".
type NextKind string

// The next steps.
const (
	// NextObjectives: the objective is done; pick the next one.
	NextObjectives NextKind = "objectives"
	// NextRetry: fix what was pasted (a typo, the wrong SID) and try again.
	NextRetry NextKind = "retry"
	// NextNewResource: do the objective again in Twilio (a new message or
	// call) and paste the new SID; this one can never pass.
	NextNewResource NextKind = "new_resource"
	// NextCredentials: give Twilio credentials that open the account.
	NextCredentials NextKind = "credentials"
	// NextRotateSecret: a secret was pasted where a SID goes: rotate it in
	// Twilio, then save the new one.
	NextRotateSecret NextKind = "rotate_secret"
	// NextNumbers: register the phone number the objective involves.
	NextNumbers NextKind = "numbers"
	// NextWait: nothing to fix; wait (RetryAfter when known) and try again.
	NextWait NextKind = "wait"
	// NextPrerequisite: complete the objective this one needs first.
	NextPrerequisite NextKind = "prerequisite"
	// NextInstructor: only an instructor can help now.
	NextInstructor NextKind = "instructor"
)

// NextKinds lists every next step, so tests can prove each has its words.
var NextKinds = []NextKind{NextObjectives, NextRetry, NextNewResource, NextCredentials, NextRotateSecret, NextNumbers,
	NextWait, NextPrerequisite, NextInstructor}

// presentation is how one reason is presented.
type presentation struct {
	// status is the HTTP status of an answer carrying this verdict: 200
	// for every verdict on the SID itself (the player's answer is a
	// normal outcome), an error status when nothing could be decided and
	// a client must act (422: credentials; 429: the player's own
	// failure budget; 503: Twilio's trouble, with Retry-After).
	status int
	// next is the step to take next.
	next NextKind
	// detailNext overrides next for the details that need another step.
	detailNext map[string]NextKind
}

// presentations holds a row for every reason code (a test checks it). The
// statuses are the JSON API's documented contract (handlers/openapi.yaml), now
// also the pages' and the widget's.
var presentations = map[quest.Reason]presentation{
	quest.Awarded:                    {status: http.StatusOK, next: NextObjectives},
	quest.AlreadyAwarded:             {status: http.StatusOK, next: NextObjectives},
	quest.SIDAlreadyUsed:             {status: http.StatusOK, next: NextNewResource},
	quest.SIDUsedForAnotherObjective: {status: http.StatusOK, next: NextNewResource},
	quest.InvalidSID: {status: http.StatusOK, next: NextRetry, detailNext: map[string]NextKind{
		quest.DetailSecret: NextRotateSecret, quest.DetailLooksLikeToken: NextRotateSecret}},
	quest.WrongResource:  {status: http.StatusOK, next: NextRetry},
	quest.NotFound:       {status: http.StatusOK, next: NextRetry},
	quest.BadCredentials: {status: http.StatusUnprocessableEntity, next: NextCredentials},
	quest.NoCredentials: {status: http.StatusUnprocessableEntity, next: NextCredentials,
		detailNext: map[string]NextKind{quest.DetailGame: NextInstructor}},
	quest.WrongDirection:      {status: http.StatusOK, next: NextNewResource},
	quest.WrongChannel:        {status: http.StatusOK, next: NextNewResource},
	quest.FailedStatus:        {status: http.StatusOK, next: NextNewResource},
	quest.SampleBody:          {status: http.StatusOK, next: NextNewResource},
	quest.UpstreamRateLimited: {status: http.StatusServiceUnavailable, next: NextWait},
	quest.UpstreamUnavailable: {status: http.StatusServiceUnavailable, next: NextWait},
	quest.WrongStatus:         {status: http.StatusOK, next: NextWait},
	quest.CreatedBeforeOpened: {status: http.StatusOK, next: NextNewResource},
	quest.NumberNotRegistered: {status: http.StatusOK, next: NextNumbers},
	quest.NoMedia:             {status: http.StatusOK, next: NextNewResource},
	quest.BodyMismatch:        {status: http.StatusOK, next: NextNewResource},
	quest.WebhookNotSet:       {status: http.StatusOK, next: NextRetry},
	quest.WebhookInvalid:      {status: http.StatusOK, next: NextRetry},
	quest.WebhookFailed:       {status: http.StatusOK, next: NextRetry},
	quest.NoSender:            {status: http.StatusOK, next: NextRetry},
	quest.NoInboundURL:        {status: http.StatusOK, next: NextRetry},
	quest.Locked:              {status: http.StatusOK, next: NextPrerequisite},
	quest.AttemptsExhausted: {status: http.StatusOK, next: NextInstructor, detailNext: map[string]NextKind{
		quest.DetailWindow: NextWait}},
	quest.Pending:     {status: http.StatusOK, next: NextWait},
	quest.RateLimited: {status: http.StatusTooManyRequests, next: NextWait},
	// The event window: refused before anything is checked, not recorded.
	quest.EventNotStarted: {status: http.StatusOK, next: NextWait},
	quest.EventEnded:      {status: http.StatusOK, next: NextInstructor},
}

// Stage is a step of a HACK, as the hack interface shows them while it
// runs and after: reading the pasted SID, asking Twilio, checking the
// objective's rules.
type Stage string

// The stages, in the order questgate takes them.
const (
	StageSID    Stage = "sid"
	StageTwilio Stage = "twilio"
	StageRules  Stage = "rules"
)

// Stages lists the stages in order.
var Stages = []Stage{StageSID, StageTwilio, StageRules}

// stageOf is the stage that decided each verdict decided before the
// rules; a reason not listed was decided by the rules (a win included).
// Attempts refused before anything was checked (locked, over a limit,
// without credentials) have no stage: every step was skipped.
var stageOf = map[quest.Reason]Stage{
	quest.InvalidSID:          StageSID,
	quest.WrongResource:       StageSID,
	quest.AlreadyAwarded:      StageSID,
	quest.NotFound:            StageTwilio,
	quest.BadCredentials:      StageTwilio,
	quest.UpstreamRateLimited: StageTwilio,
	quest.UpstreamUnavailable: StageTwilio,
	quest.Locked:              "",
	quest.RateLimited:         "",
	quest.AttemptsExhausted:   "",
	quest.NoCredentials:       "",
}

// StageOf is the stage at which reason was decided: the steps before it
// passed, the ones after were not needed. A repeat (AlreadyAwarded) is
// answered from the database once its SID is read: Twilio is not asked
// again. "" when nothing was checked.
func StageOf(reason quest.Reason) Stage {
	if st, ok := stageOf[reason]; ok {
		return st
	}
	return StageRules
}

// IsReason reports whether code is one of the verifier's reason codes (as
// opposed to the API's own problem codes).
func IsReason(code string) bool {
	_, ok := presentations[quest.Reason(code)]
	return ok
}

// ReasonMessageIDs returns the ids of the localised messages for a reason
// and detail: its title, its generic help, and the detail's specific help
// (empty when detail is). Show the detail help when the bundle has it,
// else the help; the detail messages are written to stand alone.
func ReasonMessageIDs(reason quest.Reason, detail string) (title, help, detailHelp string) {
	base := "reason." + string(reason)
	if detail != "" {
		detailHelp = base + ".detail." + detail
	}
	return base + ".title", base + ".help", detailHelp
}

// ReasonTitle is the short, localised name of a reason, as the attempt
// lists, the instructor views and the CSV exports show it.
func ReasonTitle(ctx context.Context, reason quest.Reason) string {
	title, _, _ := ReasonMessageIDs(reason, "")
	return locale.T(ctx, title)
}

// Verdict is a verdict as every surface presents it, in the context's
// language.
type Verdict struct {
	Reason quest.Reason
	Detail string
	// Status is the HTTP status of the answer.
	Status int
	// Outcome is "passed", "failed" or "undecided" (see Reason.Outcome).
	Outcome string
	// Title names the outcome; Help says what it means and what to do.
	Title, Help string
	Next        NextStep
}

// NextStep is what the player should do now.
type NextStep struct {
	Kind NextKind
	// Text says it, in the context's language.
	Text string
	// URL is the questgate page where it is done, or "" when it is done
	// elsewhere (in Twilio, by waiting). It is a path of the player pages,
	// meaningful to a browser with a player's session only.
	URL string
}

// VerdictFacts are the facts of one verdict that its words may quote.
type VerdictFacts struct {
	Reason quest.Reason
	Detail string
	// Objective is the objective tried; the zero value for a verdict
	// reached before one was known (credentials refused up front).
	Objective catalog.Objective
	// SID is the SID the words quote: the normalised one, else the paste.
	SID string
	// Status and Direction are what Twilio said of the resource.
	Status, Direction string
	// XP is what the attempt granted.
	XP int
	// RetryAfter is when to try again, zero when unknown; the words then
	// stay vague ("in a moment"). TwilioRetryAfter is the part of it
	// Twilio asked for.
	RetryAfter, TwilioRetryAfter time.Duration
	// Missing are the prerequisites still to complete.
	Missing []catalog.Objective
}

// ResultFacts are the facts of an attempt's result.
func ResultFacts(r *quest.Result) VerdictFacts {
	f := VerdictFacts{Reason: r.Submission.Reason, Detail: r.Detail, Objective: r.Objective, SID: shownSID(r.Submission),
		XP: r.XP, RetryAfter: r.RetryAfter, TwilioRetryAfter: r.TwilioRetryAfter, Missing: r.Missing}
	if m := r.Submission.Message; m != nil {
		f.Status, f.Direction = m.Status, m.Direction
	}
	return f
}

// StatusOf is the HTTP status of an answer carrying reason; 200 for a
// code that is no reason.
func StatusOf(reason quest.Reason) int {
	if p, ok := presentations[reason]; ok {
		return p.status
	}
	return http.StatusOK
}

// AsksToWait reports whether an answer with a verdict's status asks the
// client to come back later (the failure budget, Twilio's trouble), and
// so says when in a Retry-After header.
func AsksToWait(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// NewVerdict presents the verdict f in ctx's language.
func NewVerdict(ctx context.Context, f VerdictFacts) Verdict {
	p, ok := presentations[f.Reason]
	if !ok {
		p = presentation{status: http.StatusOK, next: NextRetry}
	}
	data := f.data(ctx)
	title, help, detail := ReasonMessageIDs(f.Reason, f.Detail)
	if l := locale.From(ctx); detail != "" && l != nil && l.Has(detail) {
		help = detail
	}
	if f.Reason == quest.Awarded {
		// The kind's own success line names what Twilio confirmed (a
		// message, a call).
		help = f.Objective.Spec().Texts.Success
	}
	next := NextStep{Kind: p.next}
	if k, ok := p.detailNext[f.Detail]; ok {
		next.Kind = k
	}
	switch next.Kind {
	case NextObjectives:
		next.URL = "/"
	case NextCredentials, NextRotateSecret:
		next.URL = "/credentials"
	case NextNumbers:
		next.URL = "/credentials#numbers-heading"
	case NextPrerequisite:
		if len(f.Missing) > 0 {
			next.URL = objectiveURL(&f.Missing[0])
			data["Objective"] = text(ctx, f.Missing[0].Title)
		}
	}
	next.Text = locale.T(ctx, "next."+string(next.Kind), data)
	return Verdict{Reason: f.Reason, Detail: f.Detail, Status: p.status, Outcome: f.Reason.Outcome(),
		Title: locale.T(ctx, title, data), Help: locale.T(ctx, help, data), Next: next}
}

// data is the template data every reason and next-step message may use.
func (f VerdictFacts) data(ctx context.Context) map[string]any {
	return map[string]any{
		"SID":              f.SID,
		"Status":           f.Status,
		"Direction":        f.Direction,
		"RetryAfter":       wholeSeconds(f.RetryAfter),
		"TwilioRetryAfter": wholeSeconds(f.TwilioRetryAfter),
		"Wait":             HumanDuration(ctx, f.RetryAfter),
		"TwilioWait":       HumanDuration(ctx, f.TwilioRetryAfter),
		"XP":               f.XP,
		"Prefix":           sidPrefix(&f.Objective),
		"Objective":        "",
	}
}

// wholeSeconds rounds d up to whole seconds, the unit the messages
// speak in: waiting 1.2 s is waiting 2 s.
func wholeSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}
