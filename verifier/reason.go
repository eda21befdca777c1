package verifier

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
	// RateLimited: the player failed this objective too often in a short
	// time, so the attempt was refused without being checked. Decided by
	// quest, not by the verifier.
	RateLimited Reason = "rate_limited"
)

// Reasons lists every code, so tests can prove each one has a message in
// every language.
var Reasons = []Reason{
	Awarded, AlreadyAwarded, SIDAlreadyUsed, InvalidSID, WrongResource, NotFound,
	BadCredentials, NoCredentials, WrongDirection, FailedStatus, SampleBody,
	UpstreamRateLimited, UpstreamUnavailable, RateLimited,
}

// Success reports whether the reason means the player holds the objective.
func (r Reason) Success() bool { return r == Awarded || r == AlreadyAwarded }

// Upstream reports whether the reason is Twilio's trouble rather than the
// player's: such attempts must not count against the player.
func (r Reason) Upstream() bool { return r == UpstreamRateLimited || r == UpstreamUnavailable }
