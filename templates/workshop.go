package templates

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
)

// The workshop day's views: what players see of their workshop (the
// event window, announcements, hints) and the instructors' wall, stuck
// players, event and announcement forms.

// PlayerWorkshop is what a player's pages show of their workshop. Its
// parts are read lazily, once, when a page shows them: a HACK answered
// with a panel alone reads nothing.
type PlayerWorkshop struct {
	// Banner is the event window and the announcements.
	Banner func() BannerView
	// Hints are an objective's hints as this player has revealed them.
	Hints func(o catalog.Objective) HintsView
}

// BannerView is the event window and the announcements a player's pages
// show.
type BannerView struct {
	Event quest.Event
	Now   time.Time
	// Announcements are the player's cohort's and everyone's, newest
	// first.
	Announcements []quest.Announcement
	// LiveURL is the stream of new announcements; "" for no stream.
	LiveURL string
}

// HintsView is an objective's hints for one player.
type HintsView struct {
	Objective catalog.Objective
	// Revealed is how many hints the player revealed, in order.
	Revealed int
	// Action is where the form that reveals the next one posts.
	Action string
}

type workshopKey struct{}

// WithPlayerWorkshop returns ctx carrying what the player's pages show of
// their workshop.
func WithPlayerWorkshop(ctx context.Context, w PlayerWorkshop) context.Context {
	return context.WithValue(ctx, workshopKey{}, w)
}

// playerWorkshop returns the workshop ctx carries, and false when none.
func playerWorkshop(ctx context.Context) (PlayerWorkshop, bool) {
	w, ok := ctx.Value(workshopKey{}).(PlayerWorkshop)
	return w, ok && w.Banner != nil
}

// banner returns the banner view of ctx's player, or false.
func banner(ctx context.Context) (BannerView, bool) {
	w, ok := playerWorkshop(ctx)
	if !ok {
		return BannerView{}, false
	}
	return w.Banner(), true
}

// hintsOf returns o's hints for ctx's player, or false when o has none.
func hintsOf(ctx context.Context, o catalog.Objective) (HintsView, bool) {
	w, ok := ctx.Value(workshopKey{}).(PlayerWorkshop)
	if !ok || w.Hints == nil || len(o.Hints) == 0 {
		return HintsView{}, false
	}
	return w.Hints(o), true
}

// Recent is how long an announcement stays on top of every page.
const Recent = 2 * time.Hour

// latest is the newest announcement, when it is recent.
func (b BannerView) latest() (quest.Announcement, bool) {
	if len(b.Announcements) == 0 || b.Now.Sub(b.Announcements[0].CreatedAt) > Recent {
		return quest.Announcement{}, false
	}
	return b.Announcements[0], true
}

// eventState is the message id of the event's state for players, ""
// inside the window.
func (b BannerView) eventState() string {
	switch b.Event.Refusal(b.Now) {
	case quest.EventNotStarted:
		return "workshop.event.not_started"
	case quest.EventEnded:
		return "workshop.event.ended"
	}
	return ""
}

// inZone formats t as a time of day in the event's zone, with the zone.
func inZone(e quest.Event, t time.Time) string {
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04") + " (" + e.TimeZone + ")"
}

// humanDuration says d in hours and minutes, in words ("1 hour 5
// minutes"), rounded up to the minute.
func humanDuration(ctx context.Context, d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	h, m := m/60, m%60
	switch {
	case h == 0:
		return tr(ctx, "workshop.duration.minutes", map[string]any{"M": m})
	case m == 0:
		return tr(ctx, "workshop.duration.hours", map[string]any{"H": h})
	}
	return tr(ctx, "workshop.duration.hours_minutes", map[string]any{"H": h, "M": m})
}

// Names are how the wall shows players.
const (
	NamesFull     = "names"
	NamesInitials = "initials"
	NamesHidden   = "hidden"
)

// ParseNames reads the wall's names setting; anything else is initials,
// the careful default.
func ParseNames(s string) string {
	switch s {
	case NamesFull, NamesHidden:
		return s
	}
	return NamesInitials
}

// Initials are the first letter of each of a name's first three words,
// capitalised: "Ada Lovelace" is "A. L.".
func Initials(name string) string {
	var parts []string
	for _, w := range strings.Fields(name) {
		r, _ := utf8.DecodeRuneInString(w)
		if r == utf8.RuneError || !unicode.In(r, unicode.L, unicode.N) {
			continue
		}
		parts = append(parts, string(unicode.ToUpper(r))+".")
		if len(parts) == 3 {
			break
		}
	}
	return strings.Join(parts, " ")
}

// WallProps are the wall's data.
type WallProps struct {
	Cohort quest.Cohort
	// Names is NamesFull, NamesInitials or NamesHidden.
	Names   string
	Players int
	Bars    []WallBar
	// Ticker are the latest completions, newest first.
	Ticker []WallCompletion
	// Firsts are the first to finish each objective, in catalog order.
	Firsts []WallCompletion
	Event  quest.Event
	Now    time.Time
	// Stuck is how many players are stuck: shown with NamesHidden only.
	Stuck   int
	LiveURL string
}

// WallBar is one objective's completions.
type WallBar struct {
	Objective catalog.Objective
	Done      int
	// Percent of the cohort's players.
	Percent int
}

// WallCompletion is a player who completed an objective.
type WallCompletion struct {
	PlayerName string
	Objective  catalog.Objective
	At         time.Time
}

// who is how the wall names a player.
func (p WallProps) who(ctx context.Context, name string) string {
	switch {
	case p.Names == NamesHidden:
		return tr(ctx, "workshop.wall.someone")
	case name == "":
		return tr(ctx, "workshop.wall.anonymous")
	case p.Names == NamesInitials:
		if in := Initials(name); in != "" {
			return in
		}
		return tr(ctx, "workshop.wall.anonymous")
	}
	return name
}

// WallURL is the wall of a cohort with a names setting.
func WallURL(cohortID int64, names string) string {
	return "/instructor/wall?" + url.Values{"cohort": {strconv.FormatInt(cohortID, 10)}, "names": {names}}.Encode()
}

// StuckView is who is stuck, for the progress view.
type StuckView struct {
	// Shown is false when the view cannot tell (no cohort chosen).
	Shown bool
	Rule  quest.StuckRule
	// Rows are the most recent of them; Total counts them all.
	Rows  []StuckRow
	Total int
}

// StuckRow is one stuck player.
type StuckRow struct {
	quest.Stuck
	Objective catalog.Objective
	// AttemptsURL lists their attempts at the objective.
	AttemptsURL string
	PlayerURL   string
}

// CohortWorkshop is the workshop part of a cohort's page.
type CohortWorkshop struct {
	Event quest.Event
	// Start, End and TimeZone are the event form's values; Failures and
	// Minutes the stuck rule's.
	Start, End, TimeZone string
	Failures, Minutes    string
	// Error is the message id of what is wrong with the event form,
	// AnnounceError with the announcement, RosterError (and RosterData)
	// with the roster.
	Error, AnnounceError, RosterError string
	RosterData                        map[string]any
	Announcement, Roster              string
	Now                               time.Time
	// Walls are the wall's addresses by names setting.
	Walls map[string]string
}

// AnnouncementsProps are the announcements page's data.
type AnnouncementsProps struct {
	Announcements []quest.Announcement
	Cohorts       []quest.CohortSummary
	// Cohort, Body and Error are the form's.
	Cohort, Body, Error string
	Notice              string
}

// HintRevealRow is a hint a player took, for the instructors.
type HintRevealRow struct {
	quest.HintReveal
	Objective catalog.Objective
	PlayerURL string
}

// minutes is m minutes.
func minutes(m int) time.Duration { return time.Duration(m) * time.Minute }

// nonNil makes the announcement form offer the cohort choice even when
// there is no cohort yet (everyone only).
func nonNil(c []quest.CohortSummary) []quest.CohortSummary {
	if c == nil {
		return []quest.CohortSummary{}
	}
	return c
}
