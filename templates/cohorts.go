package templates

import (
	"net/url"
	"strconv"

	"github.com/questgate/questgate/quest"
)

// CohortView is a cohort in the instructors' list.
type CohortView struct {
	quest.CohortSummary
	// JoinURL is the full join link, to hand out.
	JoinURL string
}

// CohortsProps are the cohorts' list's data, with the creation form.
type CohortsProps struct {
	Cohorts []CohortView
	// Name is the name typed in the creation form; Error the message id
	// of why it was refused, with ErrorData for its placeholders.
	Name      string
	Error     string
	ErrorData map[string]any
	Path      string
}

// CohortProps are a cohort's page's data.
type CohortProps struct {
	Cohort  quest.Cohort
	JoinURL string
	// Name is the rename form's value; Error and ErrorData why a rename
	// was refused.
	Name      string
	Error     string
	ErrorData map[string]any
	// Notice is the message id of what just happened.
	Notice string
	// SubmissionsURL and ProgressURL are the views of this cohort.
	SubmissionsURL, ProgressURL string
	// Workshop is the wall, event, announcement and roster part.
	Workshop CohortWorkshop
	// ExtensionURL downloads the cohort's TwilioQuest extension; "" when
	// none is offered (an archived cohort).
	ExtensionURL string
}

// cohortPageURL is a cohort's page in the dashboard.
func cohortPageURL(id int64) string { return "/instructor/cohorts/" + strconv.FormatInt(id, 10) }

// cohortValue is a cohort as a filter value: its id.
func cohortValue(c quest.CohortSummary) string { return strconv.FormatInt(c.ID, 10) }

// failuresURL is the submissions view of an objective's refusals for a
// reason, in the cohort the progress view shows.
func (p ProgressProps) failuresURL(objectiveID string, r quest.Reason) string {
	v := url.Values{"objective": {objectiveID}, "reason": {string(r)}}
	if p.Cohort != "" && p.CohortError == "" {
		v.Set("cohort", p.Cohort)
	}
	return "/instructor/submissions?" + v.Encode()
}
