package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// csvTime is how exports write times: ISO 8601 in UTC, which every
// spreadsheet reads as a date.
const csvTime = "2006-01-02 15:04:05"

func csvDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(csvTime)
}

// submissionColumns are the submissions export's columns, as message ids
// of their headings (instructor.csv.<column>).
var submissionCSVColumns = []string{"submission", "time", "player_id", "player_name", "cohort", "objective_id", "objective",
	"raw_sid", "sid", "outcome", "reason", "reason_title", "status", "direction", "to", "from",
	"message_date", "body", "upstream_ms", "ip"}

// submissionsCSV exports every submission the view's filters select (its
// paging aside), newest first, streamed as the store reads them.
func (h *Instructor) submissionsCSV(c echo.Context) error {
	ctx := c.Request().Context()
	cat := h.cfg.Quests.Catalog()
	sq := parseSubmissionQuery(cat, c.QueryParams())
	if err := h.resolveCohort(ctx, &sq); err != nil {
		return err
	}
	if len(sq.errors) > 0 {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	out, err := newCSVStream(c, exportName("submissions", h.cfg.Now()))
	if err != nil {
		return err
	}
	if err := out.Row(csvHeadings(ctx, submissionCSVColumns)...); err != nil {
		return h.exportFailed(ctx, err)
	}
	words := h.exportWords(ctx)
	cells := make([]string, len(submissionCSVColumns))
	err = h.cfg.Data.EachSubmission(ctx, sq.filter, func(r quest.SubmissionRow) error {
		var m quest.Message
		if r.Message != nil {
			m = *r.Message
		}
		rw := words.reason(ctx, r.Reason)
		cells = append(cells[:0], strconv.FormatInt(r.ID, 10), csvDate(r.CreatedAt), r.PlayerID, r.PlayerName, r.CohortName,
			r.ObjectiveID, words.objective(r.ObjectiveID), r.RawSID, r.SID, rw.outcome, string(r.Reason), rw.title,
			m.Status, m.Direction, m.To, m.From, csvDate(m.DateCreated), m.Body, strconv.FormatInt(r.Upstream.Milliseconds(), 10), r.IP)
		return out.Row(cells...)
	})
	if err == nil {
		err = out.Close()
	}
	return h.exportFailed(ctx, err)
}

// exportWords are the localised words an export repeats on every row,
// looked up once per objective and reason rather than once per row (a
// lookup is a message template's execution): a million-row export
// names 20 objectives and a dozen reasons.
type exportWords struct {
	h          *Instructor
	lang       string
	objectives map[string]string
	reasons    map[quest.Reason]reasonWords
}

// reasonWords are a reason's outcome and title, in the export's language.
type reasonWords struct{ outcome, title string }

func (h *Instructor) exportWords(ctx context.Context) *exportWords {
	return &exportWords{h: h, lang: locale.Lang(ctx), objectives: map[string]string{}, reasons: map[quest.Reason]reasonWords{}}
}

// objective is an objective's title.
func (w *exportWords) objective(id string) string {
	t, ok := w.objectives[id]
	if !ok {
		t = w.h.objectiveTitle(id).In(w.lang)
		w.objectives[id] = t
	}
	return t
}

// reason is a reason's outcome and title.
func (w *exportWords) reason(ctx context.Context, r quest.Reason) reasonWords {
	rw, ok := w.reasons[r]
	if !ok {
		rw = reasonWords{outcome: locale.T(ctx, "instructor.outcome."+string(quest.OutcomeOf(r))), title: templates.ReasonTitle(ctx, r)}
		w.reasons[r] = rw
	}
	return rw
}

// progressCSV exports the progress of every player, of one cohort when
// the view shows one, streamed as it is read: one row per player with
// their cohort, and per objective when it was completed, whether by hand,
// and how many attempts.
func (h *Instructor) progressCSV(c echo.Context) error {
	ctx := c.Request().Context()
	objectives := h.cfg.Quests.Catalog().All()
	cohortID, problem, err := h.parseCohort(ctx, c.QueryParam(qCohort))
	if err != nil {
		return err
	}
	if problem != "" {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	names, err := h.cohortNames(ctx)
	if err != nil {
		return err
	}
	out, err := newCSVStream(c, exportName("progress", h.cfg.Now()))
	if err != nil {
		return err
	}
	head := csvHeadings(ctx, []string{"player_id", "player_name", "cohort", "xp"})
	for _, o := range objectives {
		data := map[string]any{"Objective": o.ID}
		head = append(head, locale.T(ctx, "instructor.csv.completed_at", data),
			locale.T(ctx, "instructor.csv.by_hand", data), locale.T(ctx, "instructor.csv.attempts", data))
	}
	if err := out.Row(head...); err != nil {
		return h.exportFailed(ctx, err)
	}
	yes := locale.T(ctx, "instructor.csv.yes")
	err = h.cfg.Data.EachProgress(ctx, cohortID, func(p quest.ProgressRow) error {
		cells := []string{p.Player.ID, p.Player.DisplayName, names[p.Player.CohortID], strconv.Itoa(p.XP)}
		for _, o := range objectives {
			op := p.Objectives[o.ID]
			byHand := ""
			if op.Award.Manual {
				byHand = yes
			}
			cells = append(cells, csvDate(op.Award.CreatedAt), byHand, strconv.Itoa(op.Attempts))
		}
		return out.Row(cells...)
	})
	if err != nil {
		return h.exportFailed(ctx, err)
	}
	return h.exportFailed(ctx, out.Close())
}

// csvHeadings localises column names.
func csvHeadings(ctx context.Context, columns []string) []string {
	out := make([]string, len(columns))
	for i, col := range columns {
		out[i] = locale.T(ctx, "instructor.csv."+col)
	}
	return out
}

// exportFailed logs an export that broke off: the download has started,
// so the error page cannot be shown and the error handler would not log
// it. A client that went away is no failure.
func (h *Instructor) exportFailed(ctx context.Context, err error) error {
	if err != nil && !errors.Is(err, context.Canceled) {
		h.cfg.Log.ErrorContext(ctx, "export broke off", "error", err)
	}
	return nil
}

// objectiveIDs lists the objectives' ids.
func objectiveIDs(os []catalog.Objective) []string {
	ids := make([]string, len(os))
	for i, o := range os {
		ids[i] = o.ID
	}
	return ids
}
