package quest

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Submission is one attempt at an objective, kept whatever its outcome.
type Submission struct {
	ID          int64
	PlayerID    string
	ObjectiveID string
	RawSID      string
	SID         string
	Reason      Reason
	// Message is what Twilio returned, nil when nothing was fetched.
	Message  *Message
	Upstream time.Duration
	// IP is where the attempt came from, for instructors' eyes only.
	IP        string
	CreatedAt time.Time
	// Detail refines Reason (a Detail… value), "" when none.
	Detail string
	// RequestID is the id of the request that made the attempt, found in
	// its log lines.
	RequestID string
	// AccountSID is the Twilio account the attempt was checked in, and
	// AccountKind whose it is: "real", "sandbox", "demo", or "none".
	AccountSID  string
	AccountKind string
}

// Award is an objective a player holds.
type Award struct {
	PlayerID    string
	ObjectiveID string
	// SID and SubmissionID are empty for an award given by hand.
	SID string
	XP  int
	// Items are the ids of the item rewards granted with the award.
	Items        []string
	SubmissionID int64
	// Manual is true when an instructor gave the award.
	Manual    bool
	CreatedAt time.Time
	// SharesProofWith, when granting, lists the objectives whose award
	// with the same SID does not stop this one (the catalog's
	// reuses_proof_of, both ways). Any other objective the player won
	// with this SID does: one message, one objective.
	SharesProofWith []string
}

// MaxPasteLen bounds, in bytes, what a submission keeps of a player's
// paste (RawSID) and of its normalised form (SID). A SID is 34 bytes, and
// the room left is for the quotes and spaces copy-paste brings; anything
// longer is no SID, and keeping it whole would let one player grow the
// database by whatever the request body limit allows, per attempt.
const MaxPasteLen = 64

// ClipPaste keeps at most MaxPasteLen bytes of s: a longer s is cut on a
// character boundary and ends with "…", so readers see it was cut.
func ClipPaste(s string) string {
	if len(s) <= MaxPasteLen {
		return s
	}
	const ellipsis = "…"
	s = strings.ToValidUTF8(s[:MaxPasteLen-len(ellipsis)+1], "")
	for len(s) > MaxPasteLen-len(ellipsis) {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s + ellipsis
}

// AttemptLimit caps the attempts at an objective that count against a
// player (Reason.Counts): at most Max, ever, or within any
// Window when it is set.
type AttemptLimit struct {
	Max    int
	Window time.Duration
}
