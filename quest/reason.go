package quest

// Reason is the stable code of a verification outcome. Codes are part of the
// product's contract: they key the localised messages players read
// ("reason.<code>.title" and "reason.<code>.help"), are stored with every
// submission, and are what instructors filter on. Never rename one.
type Reason string

// The outcomes of an attempt. Awarded and AlreadyAwarded are decided when
// the award is recorded; the rest are decided by the verifier.
const (
	Awarded             Reason = "awarded"
	AlreadyAwarded      Reason = "already_awarded"
	SIDAlreadyUsed      Reason = "sid_already_used"
	InvalidSID          Reason = "invalid_sid"
	WrongResource       Reason = "wrong_resource"
	NotFound            Reason = "not_found"
	BadCredentials      Reason = "bad_credentials"
	NoCredentials       Reason = "no_credentials"
	WrongDirection      Reason = "wrong_direction"
	FailedStatus        Reason = "failed_status"
	SampleBody          Reason = "sample_body"
	UpstreamRateLimited Reason = "upstream_rate_limited"
	UpstreamUnavailable Reason = "upstream_unavailable"

	// Checks an objective may combine (see catalog.Checks).
	WrongStatus         Reason = "wrong_status"          // status not in status_in
	CreatedBeforeOpened Reason = "created_before_opened" // made before the player opened the objective
	NumberNotRegistered Reason = "number_not_registered" // to/from is none of the player's numbers
	NoMedia             Reason = "no_media"              // fewer media than min_media
	BodyMismatch        Reason = "body_mismatch"         // body_contains or body_matches failed
	// WrongChannel: the kind asks for a channel (catalog.KindSpec.Channel,
	// such as WhatsApp) and the resource's From or To is not on it; the
	// detail is the channel, so its help can say how to send on it.
	WrongChannel Reason = "wrong_channel"
	// Checks of the kinds beyond messages and calls: a phone number's
	// webhook (empty, not the player's code, or not answering TwiML to a
	// signed test request), a Messaging Service's sender pool (empty)
	// and inbound request URL (unset).
	WebhookNotSet  Reason = "webhook_not_set"
	WebhookInvalid Reason = "webhook_invalid"
	WebhookFailed  Reason = "webhook_failed"
	NoSender       Reason = "no_sender"
	NoInboundURL   Reason = "no_inbound_url"

	// Refusals decided before anything is fetched, by package
	Locked            Reason = "locked"             // prerequisites not done yet
	AttemptsExhausted Reason = "attempts_exhausted" // max_attempts reached
	// Pending marks an attempt reserved against an attempt limit while
	// Twilio is asked; it is replaced by the outcome when the answer comes.
	Pending Reason = "pending"
	// RateLimited: the player failed this objective too often in a short
	// time, so the attempt was refused without being checked. Decided by
	// quest, not by the verifier.
	RateLimited Reason = "rate_limited"
)

// SIDUsedForAnotherObjective: the SID already won this player another
// objective, and the catalog does not let the two share a proof (see
// catalog.Objective.ReusesProofOf): one message, one objective. Decided
// when the award is recorded; the submission's Detail names the other
// objective.
const SIDUsedForAnotherObjective Reason = "sid_used_for_another_objective"

// Reasons lists every code, so tests can prove each one has a message in
// every language.
var Reasons = []Reason{
	Awarded, AlreadyAwarded, SIDAlreadyUsed, SIDUsedForAnotherObjective, InvalidSID, WrongResource, NotFound,
	BadCredentials, NoCredentials, WrongDirection, FailedStatus, SampleBody,
	UpstreamRateLimited, UpstreamUnavailable,
	WrongStatus, CreatedBeforeOpened, NumberNotRegistered, NoMedia, BodyMismatch, WrongChannel,
	WebhookNotSet, WebhookInvalid, WebhookFailed, NoSender, NoInboundURL,
	Locked, AttemptsExhausted, Pending, RateLimited,
	EventNotStarted, EventEnded,
}

// Success reports whether the reason means the player holds the objective.
func (r Reason) Success() bool { return r == Awarded || r == AlreadyAwarded }

// Upstream reports whether the reason is Twilio's trouble rather than the
// player's: such attempts must not count against the player.
func (r Reason) Upstream() bool { return r == UpstreamRateLimited || r == UpstreamUnavailable }

// Counts reports whether an attempt with this outcome counts against an
// objective's max_attempts: only answers that were the player's own
// mistake do. Successes, Twilio's trouble, credentials problems (set-up,
// not an answer) and refusals made without looking at the SID (locked,
// attempts_exhausted) never count. Pending counts, so that an attempt in
// flight holds its place.
func (r Reason) Counts() bool {
	switch r {
	case InvalidSID, WrongResource, NotFound, SIDAlreadyUsed, SIDUsedForAnotherObjective, WrongDirection, FailedStatus, SampleBody,
		WrongStatus, CreatedBeforeOpened, NumberNotRegistered, NoMedia, BodyMismatch, WrongChannel, Pending,
		WebhookNotSet, WebhookInvalid, WebhookFailed, NoSender, NoInboundURL:
		return true
	}
	return false
}

// Undecided reports whether the verifier could not decide: the attempt
// says nothing about the SID (Twilio's trouble, or credentials that do not
// open the account).
func (r Reason) Undecided() bool {
	return r.Upstream() || r == BadCredentials || r == NoCredentials
}

// Outcome groups the reason for logs and metrics: "passed" (the player
// holds the objective), "undecided" (Twilio or the credentials kept the
// SID from being checked: nothing was learnt about it) or "failed"
// (everything else, refusals included).
func (r Reason) Outcome() string {
	switch {
	case r.Success():
		return "passed"
	case r.Undecided():
		return "undecided"
	}
	return "failed"
}
