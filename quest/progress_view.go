package quest

import "time"

// ProgressState is where a player stands on the progress page, one of
// the states below: each player is in exactly one, tested in the order
// they are listed.
type ProgressState string

// The progress states, in the order they are decided.
const (
	// StateDone: the player holds every objective of the catalog.
	StateDone ProgressState = "done"
	// StateStuck: on some objective they do not hold, their latest
	// attempts that judged the SID were all failures, at least the stuck
	// rule's Failures of them in a row (see StuckAfter).
	StateStuck ProgressState = "stuck"
	// StateNotStarted: no attempt and no award yet.
	StateNotStarted ProgressState = "not_started"
	// StateInProgress: anyone else.
	StateInProgress ProgressState = "in_progress"
)

// ProgressStates lists the states in the order the page offers them.
var ProgressStates = []ProgressState{StateStuck, StateInProgress, StateNotStarted, StateDone}

// ParseProgressState reads a state from a query; "" and anything unknown
// are ok=false.
func ParseProgressState(s string) (ProgressState, bool) {
	for _, st := range ProgressStates {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// MaxProgressSearch bounds the name a progress search looks for, in bytes.
const MaxProgressSearch = 100

// ProgressQuery selects one page of the progress list. The list is in a
// stable order: stuck players first, then by name, then by id.
type ProgressQuery struct {
	// CohortID keeps the players now in that cohort (0: everyone).
	CohortID int64
	// Name keeps the players whose name contains it, whatever the case
	// of ASCII letters ("" keeps everyone).
	Name string
	// State keeps the players in that state ("" keeps everyone).
	State ProgressState
	// Objectives is how many objectives the catalog has: holding that
	// many is StateDone.
	Objectives int
	// Offset and Limit pick the page.
	Offset, Limit int
}

// ProgressRow is one player on the progress list: their state and, per
// objective they tried or hold, where they are.
type ProgressRow struct {
	Player Player
	State  ProgressState
	// Objectives by objective id; absent ones are not started.
	Objectives map[string]ObjectiveProgress
	// XP sums their awards.
	XP int
}

// ObjectiveProgress is one player on one objective.
type ObjectiveProgress struct {
	// Attempts counts every recorded attempt; Failures the failures in a
	// row since their last success; LastReason is their latest failure's.
	Attempts, Failures int
	LastReason         Reason
	// Stuck says Failures reached the rule and the objective is not held.
	Stuck bool
	// Award is theirs when they hold the objective (CreatedAt non-zero).
	Award Award
}

// ProgressSummary counts the players of a cohort (or everyone) per
// objective and per state.
type ProgressSummary struct {
	// Players counts everyone in scope.
	Players int
	// Stats by objective id.
	Stats map[string]ObjectiveStats
	// States counts players per state.
	States map[ProgressState]int
	// At is when these numbers were read.
	At time.Time
}
