package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// submissionsPageSize is how many submissions a page of the view shows.
const submissionsPageSize = 50

// The submissions view's query parameters. Filters and paging live in the
// URL, so a view can be bookmarked, shared or reloaded as it is.
const (
	qPlayer    = "player"
	qObjective = "objective"
	qOutcome   = "outcome"
	qReason    = "reason"
	qSince     = "since"
	qUntil     = "until"
	qSID       = "sid"
	qBefore    = "before"
	qAfter     = "after"
	// qFrom tells a live stream the newest submission its page shows.
	qFrom = "from"
)

// dayFormat is how the date filters are written (HTML date inputs).
const dayFormat = "2006-01-02"

// maxFilterValue bounds one filter value: a SID is 34 characters, a
// player id 29.
const maxFilterValue = 100

// submissionQuery is the submissions view's URL, read and checked.
type submissionQuery struct {
	filter quest.SubmissionFilter
	// form is the filter as typed, shown again in the form.
	form templates.SubmissionFilterForm
	// errors maps a parameter to what is wrong with it (a message id).
	errors map[string]string
	// before and after page the view; both zero is the first page.
	before, after int64
}

// parseSubmissionQuery reads the filters and paging of q. Every problem is
// collected, so an instructor fixes them all at once.
func parseSubmissionQuery(cat *catalog.Catalog, q url.Values) submissionQuery {
	sq := submissionQuery{errors: map[string]string{}}
	get := func(name string) string {
		v := strings.TrimSpace(q.Get(name))
		if len(v) > maxFilterValue {
			sq.errors[name] = "instructor.filter.error.too_long"
			return ""
		}
		return v
	}
	f := &sq.form
	f.Player, f.Objective, f.Outcome, f.Reason = get(qPlayer), get(qObjective), get(qOutcome), get(qReason)
	f.Since, f.Until, f.SID = get(qSince), get(qUntil), get(qSID)
	// The cohort is checked against the store by resolveCohort.
	f.Cohort = get(qCohort)

	sq.filter.PlayerID, sq.filter.SID = f.Player, f.SID
	if f.Objective != "" {
		if _, ok := cat.Get(f.Objective); ok {
			sq.filter.ObjectiveID = f.Objective
		} else {
			sq.errors[qObjective] = "instructor.filter.error.objective"
		}
	}
	switch o := quest.Outcome(f.Outcome); o {
	case "":
	case quest.OutcomeSuccess, quest.OutcomeRejected, quest.OutcomeUpstream:
		sq.filter.Outcome = o
	default:
		sq.errors[qOutcome] = "instructor.filter.error.outcome"
	}
	if f.Reason != "" {
		if r := quest.Reason(f.Reason); slices.Contains(quest.Reasons, r) {
			sq.filter.Reason = r
		} else {
			sq.errors[qReason] = "instructor.filter.error.reason"
		}
	}
	day := func(name, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(dayFormat, v)
		if err != nil {
			sq.errors[name] = "instructor.filter.error.date"
		}
		return t
	}
	sq.filter.Since = day(qSince, f.Since)
	// The last day is included: until 2026-11-25 ends at midnight after it.
	if until := day(qUntil, f.Until); !until.IsZero() {
		sq.filter.Until = until.AddDate(0, 0, 1)
	}
	if !sq.filter.Since.IsZero() && !sq.filter.Until.IsZero() && !sq.filter.Since.Before(sq.filter.Until) {
		sq.errors[qUntil] = "instructor.filter.error.range"
	}
	id := func(name string) int64 {
		v := q.Get(name)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			sq.errors[name] = "instructor.filter.error.page"
			return 0
		}
		return n
	}
	sq.before, sq.after = id(qBefore), id(qAfter)
	if sq.before > 0 && sq.after > 0 {
		sq.errors[qAfter] = "instructor.filter.error.page"
	}
	return sq
}

// values is the filter as URL parameters, without paging.
func (sq submissionQuery) values() url.Values {
	f := sq.form
	v := url.Values{}
	for _, p := range []struct{ name, value string }{
		{qPlayer, f.Player}, {qObjective, f.Objective}, {qOutcome, f.Outcome}, {qReason, f.Reason},
		{qSince, f.Since}, {qUntil, f.Until}, {qSID, f.SID}, {qCohort, f.Cohort},
	} {
		if p.value != "" {
			v.Set(p.name, p.value)
		}
	}
	return v
}

// withQuery is path followed by v and the extra name, value pairs.
func withQuery(path string, v url.Values, kv ...string) string {
	q := url.Values{}
	for k, vs := range v {
		q[k] = slices.Clone(vs)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// view turns store rows into what the templates show.
func (h *Instructor) view(rows []quest.SubmissionRow) []templates.SubmissionView {
	out := make([]templates.SubmissionView, len(rows))
	for i, r := range rows {
		out[i] = templates.SubmissionView{SubmissionRow: r, Objective: h.objectiveTitle(r.ObjectiveID)}
		if o, ok := h.cfg.Quests.Catalog().Get(r.ObjectiveID); ok {
			out[i].Kind = o.Kind
		}
	}
	return out
}

// objectiveTitle is an objective's title; an objective no longer in the
// catalog is named by its id, so its old submissions still read.
func (h *Instructor) objectiveTitle(id string) catalog.Text {
	if o, ok := h.cfg.Quests.Catalog().Get(id); ok {
		return o.Title
	}
	return catalog.Text{catalog.Locales[0]: id}
}

// submissions is the submissions view: newest first, filtered by the URL,
// one page of submissionsPageSize, with links to the older and newer
// pages. The first page also streams new submissions as they come.
func (h *Instructor) submissions(c echo.Context) error {
	ctx := c.Request().Context()
	cat := h.cfg.Quests.Catalog()
	sq := parseSubmissionQuery(cat, c.QueryParams())
	if err := h.resolveCohort(ctx, &sq); err != nil {
		return err
	}
	cohorts, err := h.cfg.Data.ListCohorts(ctx)
	if err != nil {
		return err
	}
	props := templates.SubmissionsProps{
		Cohorts:    cohorts,
		Filter:     sq.form,
		Errors:     sq.errors,
		Objectives: cat.All(),
		Path:       withQuery(submissionsPath, c.QueryParams()),
	}
	if len(sq.errors) > 0 {
		return render(c, http.StatusBadRequest, templates.SubmissionsPage(props))
	}
	filter := sq.values()
	var rows []quest.SubmissionRow
	hasNewer, hasOlder := false, false
	if sq.after > 0 {
		// The page above after: when it reaches the newest submission,
		// the first page (with its live updates) is the one to show.
		rows, err = h.cfg.Data.NewerSubmissions(ctx, sq.filter, sq.after, submissionsPageSize+1)
		if err != nil {
			return err
		}
		if len(rows) <= submissionsPageSize {
			return c.Redirect(http.StatusSeeOther, withQuery(submissionsPath, filter))
		}
		rows, hasNewer, hasOlder = rows[1:], true, true
	} else {
		rows, err = h.cfg.Data.ListSubmissions(ctx, sq.filter, sq.before, submissionsPageSize+1)
		if err != nil {
			return err
		}
		if len(rows) > submissionsPageSize {
			rows, hasOlder = rows[:submissionsPageSize], true
		}
		hasNewer = sq.before > 0
	}
	props.Rows = h.view(rows)
	props.ExportURL = withQuery(submissionsPath+".csv", filter)
	if hasNewer {
		props.FirstURL = withQuery(submissionsPath, filter)
		if len(rows) > 0 {
			props.NewerURL = withQuery(submissionsPath, filter, qAfter, strconv.FormatInt(rows[0].ID, 10))
		}
	} else {
		// The live stream starts after the newest row shown, so nothing
		// recorded between this page and the stream's start is lost.
		var top int64
		if len(rows) > 0 {
			top = rows[0].ID
		}
		props.LiveURL = withQuery(submissionsPath+"/live", filter, qFrom, strconv.FormatInt(top, 10))
	}
	if hasOlder && len(rows) > 0 {
		props.OlderURL = withQuery(submissionsPath, filter, qBefore, strconv.FormatInt(rows[len(rows)-1].ID, 10))
	}
	return render(c, http.StatusOK, templates.SubmissionsPage(props))
}

// submissionID reads the :id of a submission's address.
func submissionID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return id, nil
}

// submission is a submission's detail page.
func (h *Instructor) submission(c echo.Context) error {
	id, err := submissionID(c)
	if err != nil {
		return err
	}
	row, err := h.cfg.Data.AnySubmission(c.Request().Context(), id)
	if errors.Is(err, quest.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	props := templates.InstructorSubmissionProps{Row: h.view([]quest.SubmissionRow{row})[0]}
	if c.QueryParam("reverified") != "" {
		props.Notice = "instructor.submission.reverified"
	}
	return render(c, http.StatusOK, templates.InstructorSubmissionPage(props))
}

// media serves a picture of any player's MMS submission to an
// instructor, fetched with that player's own credentials (serveMedia).
func (h *Instructor) media(c echo.Context) error {
	noStore(c) // until a picture is served
	id, err := submissionID(c)
	if err != nil {
		return err
	}
	n, ok := mediaIndex(c)
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	row, err := h.cfg.Data.AnySubmission(c.Request().Context(), id)
	if errors.Is(err, quest.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	return serveMedia(c, h.cfg.Quests, row.Submission, n)
}

// reverify checks a submission's SID again now, with the player's stored
// credentials, even when it already won the objective. The new attempt is
// recorded like any other (and appears live); its page is shown next.
func (h *Instructor) reverify(c echo.Context) error {
	id, err := submissionID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	row, err := h.cfg.Data.AnySubmission(ctx, id)
	if errors.Is(err, quest.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	res, err := h.cfg.Quests.Submit(ctx, quest.Attempt{PlayerID: row.PlayerID, ObjectiveID: row.ObjectiveID,
		SID: row.RawSID, IP: c.RealIP(), Fresh: true})
	if errors.Is(err, quest.ErrUnknownObjective) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	h.cfg.Log.InfoContext(ctx, "submission re-verified", "instructor", instructorOf(c).ID,
		"submission", id, "new_submission", res.Submission.ID, "reason", res.Submission.Reason)
	return c.Redirect(http.StatusSeeOther, submissionsPath+"/"+strconv.FormatInt(res.Submission.ID, 10)+"?reverified=1")
}
