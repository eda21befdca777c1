package quest

import (
	"errors"
	"time"
)

// Outcome groups reasons the way instructors think of them.
type Outcome string

// The outcomes instructors filter on.
const (
	OutcomeSuccess  Outcome = "success"  // awarded or already awarded
	OutcomeRejected Outcome = "rejected" // the player has something to fix
	OutcomeUpstream Outcome = "upstream" // Twilio could not answer
)

// SubmissionFilter selects submissions for instructors. Zero fields do not
// filter; set fields combine with AND.
type SubmissionFilter struct {
	PlayerID    string
	ObjectiveID string
	Reason      Reason
	Outcome     Outcome
	// Since and Until bound the submission time (Until excluded).
	Since, Until time.Time
	// SID matches the start of the normalised or the pasted SID.
	SID string
	// CohortID selects the submissions of the players who are in that
	// cohort now (players.cohort_id): a player who moves to another
	// cohort takes their past submissions along.
	CohortID int64
	// APIKeyID keeps only the players of that API key (see APIPlayer).
	APIKeyID string
}

// SubmissionRow is a submission with the name and cohort of its player.
type SubmissionRow struct {
	Submission
	PlayerName string
	// CohortID and CohortName are the player's cohort; 0 and "" when
	// they joined none.
	CohortID   int64
	CohortName string
}

// ReasonCount is how often a reason occurred.
type ReasonCount struct {
	Reason Reason
	Count  int
}

// ObjectiveStats sums up one objective over a set of players.
type ObjectiveStats struct {
	// Done hold it; Failing tried and do not hold it (Stuck of them are
	// stuck on it); NotStarted neither.
	Done, Failing, NotStarted, Stuck int
	// TopFailures are the most common reasons of the latest failure of
	// those who do not hold it yet, most common first.
	TopFailures []ReasonCount
}

// AuditEntry is one manual change to a player's awards.
type AuditEntry struct {
	ID              int64
	PlayerID        string
	ObjectiveID     string
	Action          string // "award" or "revoke"
	Reason          string
	InstructorEmail string // empty when the instructor was removed
	CreatedAt       time.Time
}

// Audit actions.
const (
	ActionAward  = "award"
	ActionRevoke = "revoke"
)

// hasPrefixFold is strings.HasPrefix ignoring ASCII case, as LIKE does.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		a, b := s[i], prefix[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// OutcomeOf groups a reason into its outcome, as the filters do.
func OutcomeOf(r Reason) Outcome {
	switch {
	case r.Success():
		return OutcomeSuccess
	case r.Upstream():
		return OutcomeUpstream
	default:
		return OutcomeRejected
	}
}

// Instructor is someone who runs workshops: they see every player's
// submissions and may regrade them.
type Instructor struct {
	ID           int64
	Email        string
	PasswordHash string
	CreatedAt    time.Time
}

// ErrExists is returned when a unique value (such as an email) is taken.
var ErrExists = errors.New("already exists")

// Matches reports whether r is one f selects, by the same rules as
// ListSubmissions, so that a live view can decide on a new submission
// without a query. It takes a SubmissionRow, as AnySubmission returns it,
// since the cohort filter needs the player's cohort. SQLite's LIKE
// ignores ASCII case (the store uses ILIKE on PostgreSQL), and so does
// the SID prefix here.
func (f SubmissionFilter) Matches(r SubmissionRow) bool {
	sub := r.Submission
	switch {
	case f.CohortID != 0 && r.CohortID != f.CohortID,
		f.PlayerID != "" && sub.PlayerID != f.PlayerID,
		f.ObjectiveID != "" && sub.ObjectiveID != f.ObjectiveID,
		f.Reason != "" && sub.Reason != f.Reason,
		!f.Since.IsZero() && sub.CreatedAt.Before(f.Since),
		!f.Until.IsZero() && !sub.CreatedAt.Before(f.Until):
		return false
	}
	switch f.Outcome {
	case OutcomeSuccess, OutcomeUpstream, OutcomeRejected:
		if OutcomeOf(sub.Reason) != f.Outcome {
			return false
		}
	}
	if f.SID != "" && !hasPrefixFold(sub.SID, f.SID) && !hasPrefixFold(sub.RawSID, f.SID) {
		return false
	}
	return true
}
