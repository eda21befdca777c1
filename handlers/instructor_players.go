package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// playerSubmissions is how many of a player's submissions their page
// lists; the submissions view filtered on them has the rest.
const playerSubmissions = 20

// maxRegradeReason bounds a regrade's reason, kept in the audit log.
const maxRegradeReason = 1000

// player is a player's page: awards, latest submissions, the audit log of
// manual changes, the regrade form and the way to erase them.
func (h *Instructor) player(c echo.Context) error {
	props, err := h.playerProps(c)
	if err != nil {
		return err
	}
	switch c.QueryParam("regraded") {
	case quest.ActionAward:
		props.Notice = "instructor.regrade.awarded"
	case quest.ActionRevoke:
		props.Notice = "instructor.regrade.revoked"
	}
	return render(c, http.StatusOK, templates.PlayerPage(props))
}

// playerProps gathers a player's page, or a 404 for an unknown player.
func (h *Instructor) playerProps(c echo.Context) (templates.PlayerProps, error) {
	ctx := c.Request().Context()
	p, err := h.cfg.Data.Player(ctx, c.Param("id"))
	if errors.Is(err, quest.ErrNotFound) {
		return templates.PlayerProps{}, echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return templates.PlayerProps{}, err
	}
	props := templates.PlayerProps{Player: p, Objectives: h.cfg.Quests.Catalog().All()}
	if p.CohortID != 0 {
		co, err := h.cfg.Data.Cohort(ctx, p.CohortID)
		if err != nil && !errors.Is(err, quest.ErrNotFound) {
			return templates.PlayerProps{}, err
		}
		props.Cohort = co
	}
	if props.Awards, err = h.cfg.Data.Awards(ctx, p.ID); err != nil {
		return templates.PlayerProps{}, err
	}
	subs, err := h.cfg.Data.ListSubmissions(ctx, quest.SubmissionFilter{PlayerID: p.ID}, 0, playerSubmissions)
	if err != nil {
		return templates.PlayerProps{}, err
	}
	props.Submissions = h.view(subs)
	props.AllSubmissionsURL = withQuery(submissionsPath, url.Values{qPlayer: {p.ID}})
	if props.Audit, err = h.cfg.Data.AuditLog(ctx, p.ID); err != nil {
		return templates.PlayerProps{}, err
	}
	if props.Hints, err = h.hintRows(ctx, p.ID); err != nil {
		return templates.PlayerProps{}, err
	}
	return props, nil
}

// regrade awards or revokes an objective by hand. A reason is required;
// every change lands in the audit log with who made it.
func (h *Instructor) regrade(c echo.Context) error {
	props, err := h.playerProps(c)
	if err != nil {
		return err
	}
	form, ferr := readForm(c, "objective", "action", "reason")
	if ferr != nil {
		props.Regrade.Error = ferr.messageID
		return render(c, http.StatusUnprocessableEntity, templates.PlayerPage(props))
	}
	rf := templates.RegradeForm{Objective: form.Get("objective"), Action: form.Get("action"), Reason: form.Get("reason")}
	props.Regrade = rf
	fail := func(id string) error {
		props.Regrade.Error = id
		return render(c, http.StatusUnprocessableEntity, templates.PlayerPage(props))
	}
	if rf.Action != quest.ActionAward && rf.Action != quest.ActionRevoke {
		return fail("instructor.regrade.error.action")
	}
	if len([]rune(rf.Reason)) > maxRegradeReason {
		return fail("instructor.regrade.error.reason_long")
	}
	err = h.cfg.Quests.Regrade(c.Request().Context(), quest.Regrade{PlayerID: props.Player.ID, ObjectiveID: rf.Objective,
		InstructorID: instructorOf(c).ID, Award: rf.Action == quest.ActionAward, Reason: rf.Reason})
	switch {
	case errors.Is(err, quest.ErrUnknownObjective):
		return fail("instructor.regrade.error.objective")
	case errors.Is(err, quest.ErrReasonRequired):
		return fail("instructor.regrade.error.reason")
	case errors.Is(err, quest.ErrExists):
		return fail("instructor.regrade.error.already_held")
	case errors.Is(err, quest.ErrNotFound):
		return fail("instructor.regrade.error.not_held")
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/instructor/players/"+url.PathEscape(props.Player.ID)+"?regraded="+rf.Action)
}

// confirmDelete asks before erasing a player.
func (h *Instructor) confirmDelete(c echo.Context) error {
	props, err := h.playerProps(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.DeletePlayerPage(props))
}

// deletePlayer erases a player and everything about them: credentials,
// submissions, awards, audit entries. It cannot be undone, hence the
// confirmation page before it.
func (h *Instructor) deletePlayer(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	err := h.cfg.Data.DeletePlayer(ctx, id)
	if errors.Is(err, quest.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	h.cfg.Log.InfoContext(ctx, "player deleted", "instructor", instructorOf(c).ID, "player", id)
	return c.Redirect(http.StatusSeeOther, progressPath+"?deleted=1")
}
