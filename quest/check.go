package quest

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/questgate/questgate/catalog"
)

// CheckRequest is one question to Twilio (or the sandbox): does this SID,
// fetched with these credentials, prove the objective?
type CheckRequest struct {
	// Objective is read, never changed. It is a pointer because a HACK
	// waits for Twilio below the request, and an objective by value put
	// half a kilobyte on each waiting HACK's stack, twice (the request
	// and its copy as Verify's argument).
	Objective *catalog.Objective
	// SID is the paste normalised (Normalize), once per attempt by
	// whoever parsed it: the verifier does not normalise it again.
	SID         string
	Credentials Credentials
	// Player holds what checks about the player compare with. Nil when
	// there is no player (questgate verify): those checks are then
	// skipped and listed in Verdict.Skipped.
	Player *PlayerFacts
}

// PlayerFacts is what the checks about a player compare with (the
// verifier knows nothing else of the player an attempt is for).
type PlayerFacts struct {
	// OpenedAt is when the player first opened the objective
	// (checks.created_after_opened).
	OpenedAt time.Time
	// Numbers are the phone numbers the player registered
	// (checks.registered_number).
	Numbers []string
}

// Message is what Twilio told us about the message (or the call: a call
// has no body nor media, but a duration), kept with the submission so
// players and instructors see what was verified.
type Message struct {
	SID         string
	AccountSID  string
	Status      string
	Direction   string
	To          string
	From        string
	Body        string
	NumMedia    int
	DateCreated time.Time
	// Duration is how long a call lasted, as Twilio counts it (whole
	// seconds); nil for a message, or a call Twilio gave none for yet
	// (one still ringing or in progress).
	Duration *time.Duration
	// Media are the first MaxMedia of an MMS's media files, as Twilio
	// listed them when the objective was won (nil otherwise): enough to
	// show the picture again, fetched on demand with the player's own
	// credentials, never stored.
	Media []Media
}

// MaxMedia bounds the media files kept with a submission: the success
// block shows a few pictures, not the ten an MMS may carry.
const MaxMedia = 3

// Media names one media file of a message: its SID (ME…) and the content
// type Twilio reported.
type Media struct {
	SID         string
	ContentType string
}

// mediaSID is a media file's SID: ME and 32 hexadecimal digits.
var mediaSID = regexp.MustCompile(`^ME[0-9a-fA-F]{32}$`)

// mediaType is a content type as Twilio reports it: type/subtype, no
// parameters, bounded.
var mediaType = regexp.MustCompile(`^[a-z]+/[a-z0-9.+-]{1,60}$`)

// Valid reports whether m may be kept and used to ask Twilio again: a
// media SID and a plain content type. Anything else that came back from
// an upstream (or a database) is dropped, never stored nor put in a URL.
func (m Media) Valid() bool {
	return mediaSID.MatchString(m.SID) && mediaType.MatchString(m.ContentType)
}

// IsImage reports whether m is a picture questgate shows (ImageTypes).
func (m Media) IsImage() bool { return slices.Contains(ImageTypes, m.ContentType) }

// ImageTypes are the content types whose media questgate serves back to
// a browser: pictures every browser renders safely. Anything else
// (video, vCard, SVG, which may script) is only counted.
var ImageTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}

// KeepMedia returns the valid media of list, at most MaxMedia of them.
func KeepMedia(list []Media) []Media {
	var out []Media
	for _, m := range list {
		if len(out) == MaxMedia {
			break
		}
		m.ContentType = strings.ToLower(strings.TrimSpace(m.ContentType))
		if m.Valid() {
			out = append(out, m)
		}
	}
	return out
}

// Verdict is the verifier's decision on a request.
type Verdict struct {
	// Passed is true when every check of the objective holds.
	Passed bool
	// Reason explains a rejection; empty when Passed.
	Reason Reason
	// Detail refines Reason for a more specific message (one of the
	// Detail… constants, or the message status for FailedStatus); empty
	// when there is nothing more specific to say.
	Detail string
	// SID is the normalised SID (empty when nothing usable was pasted).
	SID string
	// Message is what Twilio returned, when it returned a message.
	Message *Message
	// Upstream is how long the verification waited for Twilio: its tries,
	// the pauses between them and its turn among the account's requests
	// (zero when Twilio was not asked, the breaker being open).
	Upstream time.Duration
	// Attempts is how many HTTP tries the fetch took; 0 when none was
	// made. Callers coalesced into one fetch share its count.
	Attempts int
	// Skipped lists the checks (their catalog names, such as
	// "created_after_opened") that could not run for want of a Player.
	Skipped []string
}

// UpstreamError means the verifier could not decide because Twilio (or the
// network to it) failed. It is not the player's fault, and retrying later
// may succeed.
type UpstreamError struct {
	Reason Reason // UpstreamUnavailable or UpstreamRateLimited
	// RetryAfter is when trying again makes sense: Twilio's Retry-After,
	// or the time left before an open breaker lets a request through;
	// zero when nobody said.
	RetryAfter time.Duration
	// TwilioRetryAfter is the wait Twilio itself asked for in a
	// Retry-After header, zero when it sent none: only then may a player
	// read that Twilio suggests waiting (a local timeout or an open
	// breaker is not Twilio speaking).
	TwilioRetryAfter time.Duration
	Status           int // HTTP status, zero for network errors and an open breaker
	// Detail refines Reason as Verdict.Detail does: DetailTimeout,
	// DetailCircuitOpen, or empty.
	Detail string
	Err    error
}

func (e *UpstreamError) Error() string {
	return fmt.Sprintf("twilio %s (http %d): %v", e.Reason, e.Status, e.Err)
}

func (e *UpstreamError) Unwrap() error { return e.Err }

// ReasonOf returns the reason code carried by err, or UpstreamUnavailable
// for any other error, so every failure maps to a message a player can act on.
func ReasonOf(err error) Reason {
	var ue *UpstreamError
	if errors.As(err, &ue) {
		return ue.Reason
	}
	return UpstreamUnavailable
}

// Reject returns the verdict refused for reason and detail.
func (v Verdict) Reject(reason Reason, detail string) Verdict {
	v.Passed, v.Reason, v.Detail = false, reason, detail
	return v
}

// PhoneText is a text a sandbox "delivered" to a player's registered
// number (a Verify code): no real phone receives it, so the player reads
// it on their sandbox phone page.
type PhoneText struct {
	To, From, Body string
	At             time.Time
}
