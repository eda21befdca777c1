package templates

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
)

// AreaInstructor marks the pages of the instructors' dashboard, which get
// their own navigation (PageProps.Area).
const AreaInstructor = "instructor"

// The dashboard's navigation entries.
const (
	NavSubmissions = "submissions"
	NavProgress    = "progress"
	NavCohorts     = "cohorts"
	NavWebhooks    = "webhooks"
)

// LoginProps are the instructors' sign-in page's data.
type LoginProps struct {
	// Email is what was typed; the password is never shown again.
	Email string
	// Next is the dashboard page to go to once signed in.
	Next string
	// Error is the message id of what went wrong; RetryAfter the seconds
	// to wait, for too many attempts.
	Error      string
	RetryAfter int
	// Notice is the message id of a notice ("signed out").
	Notice string
}

// SubmissionFilterForm is the submissions filter as typed: the URL's
// query parameters, shown again in the form. Cohort is a cohort's id.
type SubmissionFilterForm struct {
	Player, Objective, Outcome, Reason, Since, Until, SID, Cohort string
}

// SubmissionView is a submission as the dashboard shows it.
type SubmissionView struct {
	quest.SubmissionRow
	// Objective is the objective's title.
	Objective catalog.Text
	// Kind is the objective's kind, which says how to label what Twilio
	// returned; "" (a message's labels) for an objective no longer in
	// the catalog.
	Kind catalog.Kind
}

// kind is the spec of the submission's objective's kind.
func (v SubmissionView) kind() catalog.KindSpec { return (&catalog.Objective{Kind: v.Kind}).Spec() }

// SubmissionsProps are the submissions view's data.
type SubmissionsProps struct {
	Filter SubmissionFilterForm
	// Errors maps a query parameter to the message id of its problem;
	// with any, Rows is empty.
	Errors     map[string]string
	Objectives []catalog.Objective
	// Cohorts are offered by the cohort filter.
	Cohorts []quest.CohortSummary
	Rows    []SubmissionView
	// FirstURL, NewerURL and OlderURL page through the filtered view;
	// empty when there is no such page.
	FirstURL, NewerURL, OlderURL string
	// ExportURL downloads every filtered submission as CSV.
	ExportURL string
	// LiveURL streams new matching submissions; set on the first page only.
	LiveURL string
	// Path is this view's address, for the language switcher.
	Path string
}

// InstructorSubmissionProps are a submission's detail page's data.
type InstructorSubmissionProps struct {
	Row SubmissionView
	// Notice is the message id of what just happened ("re-verified").
	Notice string
}

// ProgressProps are the progress view's data: the counts, then one page
// of players.
type ProgressProps struct {
	Objectives []catalog.Objective
	Summary    quest.ProgressSummary
	// Rows are the page's players, of Total selected; Page counts from 1.
	Rows           []quest.ProgressRow
	Total          int
	Page, PageSize int
	// PrevURL and NextURL are the neighbouring pages ("": none).
	PrevURL, NextURL string
	// Cohorts are offered by the cohort filter; Cohort is the one shown
	// (its id, "" for every player), and CohortError the message id of
	// why it cannot be, when it cannot.
	Cohorts     []quest.CohortSummary
	Cohort      string
	CohortError string
	// Name and State are the search and state filter as typed.
	Name, State string
	// Path is the view's address: the refresh link.
	Path               string
	LiveURL, ExportURL string
	Notice             string
	// Stuck are the players stuck under the cohort's rule.
	Stuck StuckView
}

// stateURL is the view with its state filter set to st, from page 1.
func stateURL(p ProgressProps, st quest.ProgressState) string {
	v := url.Values{}
	if p.Cohort != "" {
		v.Set("cohort", p.Cohort)
	}
	if p.Name != "" {
		v.Set("q", p.Name)
	}
	v.Set("state", string(st))
	return "/instructor/progress?" + v.Encode()
}

// progressStates are the states the filter offers.
var progressStates = quest.ProgressStates

// first and last are the positions (from 1) of the page's rows.
func (p ProgressProps) first() int { return (p.Page-1)*p.PageSize + 1 }
func (p ProgressProps) last() int  { return (p.Page-1)*p.PageSize + len(p.Rows) }

// PlayerProps are a player's page's data.
type PlayerProps struct {
	Player quest.Player
	// Cohort is the player's cohort; zero when they joined none.
	Cohort     quest.Cohort
	Objectives []catalog.Objective
	Awards     map[string]quest.Award
	// Submissions are the latest; AllSubmissionsURL lists every one.
	Submissions       []SubmissionView
	AllSubmissionsURL string
	Audit             []quest.AuditEntry
	// Hints are the hints the player took.
	Hints   []HintRevealRow
	Regrade RegradeForm
	Notice  string
}

// RegradeForm is the regrade form's state after a refused change.
type RegradeForm struct {
	Objective, Action, Reason string
	// Error is the message id of why nothing changed.
	Error string
}

// shortIDLength is how much of a player's id identifies them at a glance.
const shortIDLength = 8

// playerLabel names a player: their name, else the start of their id.
func playerLabel(name, id string) string {
	if strings.TrimSpace(name) != "" {
		return name
	}
	id = strings.TrimPrefix(id, "pl_")
	if len(id) > shortIDLength {
		id = id[:shortIDLength]
	}
	return id
}

// playerURL is a player's page in the dashboard.
func playerURL(id string) string { return "/instructor/players/" + id }

// instructorSubmissionURL is a submission's detail page.
func instructorSubmissionURL(id int64) string {
	return "/instructor/submissions/" + strconv.FormatInt(id, 10)
}

// timeFormat is how the dashboard shows times: to the second, since
// attempts come seconds apart in a workshop.
const timeFormat = "2006-01-02 15:04:05 UTC"

// formatTime renders t to the second; zero times render as "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

// outcome is a reason's outcome, also its CSS class and message suffix.
func outcome(r quest.Reason) string { return string(quest.OutcomeOf(r)) }

// outcomes lists the outcomes in the order the filter offers them.
var outcomes = []quest.Outcome{quest.OutcomeSuccess, quest.OutcomeRejected, quest.OutcomeUpstream}

// latency renders the time Twilio took, or "" when it was not asked.
func latency(ctx context.Context, d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return tr(ctx, "instructor.latency", map[string]any{"MS": d.Milliseconds()})
}

// filterError is the localised problem of a filter parameter, or "".
func (p SubmissionsProps) filterError(ctx context.Context, name string) string {
	if id, ok := p.Errors[name]; ok {
		return tr(ctx, id)
	}
	return ""
}

// cellState is a progress cell's state: done, stuck, failing or new.
func cellState(op quest.ObjectiveProgress) string {
	switch {
	case !op.Award.CreatedAt.IsZero():
		return "done"
	case op.Stuck:
		return "stuck"
	case op.Attempts > 0:
		return "failing"
	default:
		return "new"
	}
}

// areaName is the body's area class suffix: "player" or "instructor".
func areaName(area string) string {
	if area == "" {
		return "player"
	}
	return area
}

// brandURL is where the header's logo leads in an area.
func brandURL(area string) string {
	if area == AreaInstructor {
		return "/instructor/submissions"
	}
	return "/"
}

type instructorKey struct{}

// WithInstructor returns a context naming the signed-in instructor (their
// email), which the dashboard's navigation shows.
func WithInstructor(ctx context.Context, email string) context.Context {
	return context.WithValue(ctx, instructorKey{}, email)
}

// SignedIn returns the instructor's email carried by ctx, or "".
func SignedIn(ctx context.Context) string {
	s, _ := ctx.Value(instructorKey{}).(string)
	return s
}

// filteredURL is the submissions view filtered on one parameter.
func filteredURL(name, value string) string {
	return "/instructor/submissions?" + url.Values{name: {value}}.Encode()
}

// filteredURL2 is the submissions view filtered on two parameters.
func filteredURL2(n1, v1, n2, v2 string) string {
	return "/instructor/submissions?" + url.Values{n1: {v1}, n2: {v2}}.Encode()
}

// awardState is done or new for a player's objective.
func awardState(awards map[string]quest.Award, objectiveID string) string {
	if _, ok := awards[objectiveID]; ok {
		return "done"
	}
	return "new"
}

// objectiveName is an objective's title, or its id once it left the catalog.
func objectiveName(ctx context.Context, objectives []catalog.Objective, id string) string {
	for _, o := range objectives {
		if o.ID == id {
			return text(ctx, o.Title)
		}
	}
	return id
}
