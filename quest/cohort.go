package quest

import (
	"errors"
	"time"
)

// ErrConflict is returned when a row would break a uniqueness rule, such
// as a cohort's join code already in use.
var ErrConflict = errors.New("already exists")

// ErrArchived is returned when joining a cohort that is archived.
var ErrArchived = errors.New("archived")

// Cohort is a group of players, usually one workshop. Players join it
// with a link carrying JoinCode.
type Cohort struct {
	ID       int64
	Name     string
	JoinCode string
	// Archived cohorts take no new players.
	Archived  bool
	CreatedAt time.Time
}

// CohortSummary is a cohort as the instructors' list shows it.
type CohortSummary struct {
	Cohort
	// Players is how many players are in the cohort now.
	Players int
}
