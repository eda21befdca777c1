package quest

// The instructor's workshop day: a cohort's event window, its rule for
// who is stuck, announcements, hints and the roster. The rules live here;
// the store keeps the rows and the handlers show them.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/questgate/questgate/catalog"
)

// Refusals of the event window, decided before anything is checked. An
// attempt refused for either is not recorded: it is no failure of the
// player's, and the instructor's failure counts never see it.
const (
	// EventNotStarted: the player's cohort has an event whose start is
	// still to come.
	EventNotStarted Reason = "event_not_started"
	// EventEnded: the player's cohort's event is over.
	EventEnded Reason = "event_ended"
)

// Defaults of the rule for who is stuck.
const (
	DefaultStuckFailures = 3
	DefaultStuckMinutes  = 10
)

// Event is a cohort's event window and its rule for who is stuck. A zero
// Start or End is no bound; both are in UTC.
type Event struct {
	CohortID   int64
	Start, End time.Time
	// TimeZone is the IANA zone the instructor typed the times in, so
	// that they are shown back the same way.
	TimeZone string
	Stuck    StuckRule
}

// StuckRule says who is stuck: Failures failed attempts in a row on one
// objective, or no success for Minutes minutes while trying.
type StuckRule struct {
	Failures int
	Minutes  int
}

// DefaultEvent is the event of a cohort that set nothing: no window, the
// default rule.
func DefaultEvent(cohortID int64) Event {
	return Event{CohortID: cohortID, TimeZone: "UTC", Stuck: StuckRule{Failures: DefaultStuckFailures, Minutes: DefaultStuckMinutes}}
}

// Refusal returns the reason an attempt at now is refused, or "" inside
// the window.
func (e Event) Refusal(now time.Time) Reason {
	switch {
	case !e.Start.IsZero() && now.Before(e.Start):
		return EventNotStarted
	case !e.End.IsZero() && !now.Before(e.End):
		return EventEnded
	}
	return ""
}

// Left is how long the event has still to run at now; zero when it has
// no end or is over.
func (e Event) Left(now time.Time) time.Duration {
	if e.End.IsZero() || !now.Before(e.End) {
		return 0
	}
	return e.End.Sub(now)
}

// Problems of an event form (EventError.Problem).
const (
	EventBadTime     = "bad_time"
	EventBadZone     = "bad_zone"
	EventEndsFirst   = "ends_first"
	EventBadStuck    = "bad_stuck"
	EventBadExtend   = "bad_extend"
	maxStuckFailures = 100
	maxStuckMinutes  = 24 * 60
)

// EventError says what is wrong with an event form; its message id is
// "workshop.event.error.<Problem>".
type EventError struct{ Problem string }

func (e *EventError) Error() string { return "event: " + e.Problem }

// EventForm is what an instructor typed: local times ("2006-01-02T15:04",
// as a datetime-local field sends them, "" for no bound) in TimeZone.
type EventForm struct {
	Start, End, TimeZone    string
	StuckFailures, StuckMin int
}

// ParseEvent checks an event form and returns the event in UTC, or an
// *EventError.
func ParseEvent(cohortID int64, f EventForm) (Event, error) {
	zone := strings.TrimSpace(f.TimeZone)
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || len(zone) > 64 {
		return Event{}, &EventError{Problem: EventBadZone}
	}
	e := Event{CohortID: cohortID, TimeZone: zone, Stuck: StuckRule{Failures: f.StuckFailures, Minutes: f.StuckMin}}
	for _, p := range []struct {
		in  string
		out *time.Time
	}{{f.Start, &e.Start}, {f.End, &e.End}} {
		s := strings.TrimSpace(p.in)
		if s == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02T15:04", s, loc)
		if err != nil {
			return Event{}, &EventError{Problem: EventBadTime}
		}
		*p.out = t.UTC()
	}
	if !e.Start.IsZero() && !e.End.IsZero() && !e.End.After(e.Start) {
		return Event{}, &EventError{Problem: EventEndsFirst}
	}
	if e.Stuck.Failures < 1 || e.Stuck.Failures > maxStuckFailures || e.Stuck.Minutes < 1 || e.Stuck.Minutes > maxStuckMinutes {
		return Event{}, &EventError{Problem: EventBadStuck}
	}
	return e, nil
}

// LocalInput formats t for a datetime-local field in the event's zone;
// "" for the zero time.
func (e Event) LocalInput(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02T15:04")
}

// MaxExtend bounds how far one extension moves an event's end.
const MaxExtend = 24 * time.Hour

// Extend moves the event's end by d (1 minute to MaxExtend), from now
// when it has passed already, so that extending an ended event reopens
// it; an event without an end gets one d from now.
func (e Event) Extend(d time.Duration, now time.Time) (Event, error) {
	if d < time.Minute || d > MaxExtend {
		return e, &EventError{Problem: EventBadExtend}
	}
	base := e.End
	if base.IsZero() || base.Before(now) {
		base = now
	}
	e.End = base.Add(d).UTC().Truncate(time.Second)
	return e, nil
}

// EventStore reads the event of a player's cohort: DefaultEvent (with
// CohortID 0 for a player in no cohort) when there is none.
type EventStore interface {
	PlayerEvent(ctx context.Context, playerID string) (Event, error)
}

// refusedByEvent returns the result of an attempt the player's event
// window refuses, and false inside the window (or without events). The
// attempt is logged, not recorded.
func (s *Service) refusedByEvent(ctx context.Context, a *Attempt, res *Result) (bool, error) {
	if s.cfg.Events == nil {
		return false, nil
	}
	ev, err := s.cfg.Events.PlayerEvent(ctx, a.PlayerID)
	if err != nil {
		return false, fmt.Errorf("read the event window: %w", err)
	}
	now := s.now()
	r := ev.Refusal(now)
	if r == "" {
		return false, nil
	}
	res.Submission = Submission{PlayerID: a.PlayerID, ObjectiveID: res.Objective.ID, Reason: r, CreatedAt: now}
	if r == EventNotStarted {
		res.RetryAfter = ev.Start.Sub(now)
	}
	paste, _ := MaskSecrets(a.SID, "")
	res.Paste = ClipPaste(paste)
	s.logAttempt(ctx, res, "event")
	return true, nil
}

// now is the service's clock.
func (s *Service) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// MaxAnnouncement bounds an announcement, in characters.
const MaxAnnouncement = 500

// Announcement is a short message from an instructor to a cohort (CohortID)
// or to everyone (CohortID 0).
type Announcement struct {
	ID       int64
	CohortID int64
	// CohortName is "" for everyone.
	CohortName string
	// InstructorID is who sent it; InstructorEmail is "" once they were
	// removed.
	InstructorID    int64
	InstructorEmail string
	Body            string
	CreatedAt       time.Time
}

// Problems of an announcement.
const (
	AnnouncementRequired = "required"
	AnnouncementTooLong  = "too_long"
)

// ParseAnnouncement returns the trimmed message, or a *NameError-like
// *AnnouncementError: 1 to MaxAnnouncement characters, line breaks
// allowed, no other control character.
func ParseAnnouncement(s string) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	switch {
	case s == "" || !utf8.ValidString(s):
		return "", &AnnouncementError{Problem: AnnouncementRequired}
	case utf8.RuneCountInString(s) > MaxAnnouncement:
		return "", &AnnouncementError{Problem: AnnouncementTooLong}
	}
	s = strings.Map(func(r rune) rune {
		if r != '\n' && forbidden(r) {
			return -1
		}
		return r
	}, s)
	return s, nil
}

// AnnouncementError says what is wrong with an announcement; its message
// id is "workshop.announce.error.<Problem>".
type AnnouncementError struct{ Problem string }

func (e *AnnouncementError) Error() string { return "announcement: " + e.Problem }

// HintReveal is a hint a player revealed.
type HintReveal struct {
	PlayerID    string
	PlayerName  string
	ObjectiveID string
	// Stage is the hint's place, from 1.
	Stage     int
	Cost      int
	CreatedAt time.Time
}

// HintStore tells what a player's revealed hints of an objective cost.
type HintStore interface {
	HintCost(ctx context.Context, playerID, objectiveID string) (int, error)
}

// hintedXP is what winning obj grants a player: its XP less what the
// hints they revealed cost, never below zero.
func (s *Service) hintedXP(ctx context.Context, playerID string, obj *catalog.Objective) (int, error) {
	if s.cfg.Hints == nil || len(obj.Hints) == 0 {
		return obj.XP, nil
	}
	cost, err := s.cfg.Hints.HintCost(ctx, playerID, obj.ID)
	if err != nil {
		return 0, fmt.Errorf("read hint costs: %w", err)
	}
	return max(obj.XP-cost, 0), nil
}

// ErrHintOrder is returned when a player asks for a hint before the ones
// in front of it, or one the objective does not have.
var ErrHintOrder = errors.New("hints are revealed one at a time, in order")

// Stuck is a player the rule says is stuck on an objective.
type Stuck struct {
	PlayerID    string
	PlayerName  string
	ObjectiveID string
	// Failures is how many failed attempts in a row they made.
	Failures int
	// Since is when the run of failures began.
	Since time.Time
	// LastReason is the reason of their last attempt.
	LastReason Reason
	LastAt     time.Time
}

// failure reports an attempt that says the player got it wrong: one that
// counts against them and is decided (not a reservation in flight).
func failure(r Reason) bool { return r.Counts() && r != Pending }

// FindStuck returns who is stuck at now under rule, from the cohort's
// attempts (any order): per player and objective not yet passed, a run
// of rule.Failures failures in a row, or failures for rule.Minutes
// minutes with the last one within those minutes (still trying). Most
// recent first. It is the rule's statement: the store answers the same
// question from the progress tables its triggers keep (store.StuckIn),
// and its tests hold the two together.
func FindStuck(rows []SubmissionRow, rule StuckRule, now time.Time) []Stuck {
	type key struct{ player, objective string }
	sorted := slices.Clone(rows)
	slices.SortFunc(sorted, func(a, b SubmissionRow) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	runs := map[key]*Stuck{}
	var order []key
	for _, r := range sorted {
		k := key{r.PlayerID, r.ObjectiveID}
		st := runs[k]
		switch {
		case r.Reason.Success():
			delete(runs, k)
		case failure(r.Reason):
			if st == nil {
				st = &Stuck{PlayerID: r.PlayerID, PlayerName: r.PlayerName, ObjectiveID: r.ObjectiveID, Since: r.CreatedAt}
				runs[k] = st
				order = append(order, k)
			}
			st.Failures++
			st.LastReason, st.LastAt = r.Reason, r.CreatedAt
		}
	}
	window := time.Duration(rule.Minutes) * time.Minute
	var out []Stuck
	seen := map[key]bool{}
	for _, k := range order {
		st := runs[k]
		if st == nil || seen[k] {
			continue
		}
		seen[k] = true
		trying := now.Sub(st.LastAt) <= window
		if (rule.Failures > 0 && st.Failures >= rule.Failures) || (rule.Minutes > 0 && trying && now.Sub(st.Since) >= window) {
			out = append(out, *st)
		}
	}
	slices.SortStableFunc(out, func(a, b Stuck) int { return b.LastAt.Compare(a.LastAt) })
	return out
}

// RosterLine is one line of a cohort's roster: a name (and e-mail) with
// its personal join link's token.
type RosterLine struct {
	CohortID int64
	Name     string
	Email    string
	Token    string
	// PlayerID is set once the link was used.
	PlayerID string
}

// MaxRosterLines bounds one roster import.
const MaxRosterLines = 1000

// MaxEmail bounds a roster e-mail.
const MaxEmail = 254

// NewRosterToken returns a fresh, unguessable personal join token.
func NewRosterToken() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// RosterPath is where a personal join link points.
func RosterPath(token string) string { return "/join/me/" + token }
