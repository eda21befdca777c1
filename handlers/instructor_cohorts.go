package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// cohortsPath is the cohorts' list; a cohort's page is below it.
const cohortsPath = "/instructor/cohorts"

// qCohort is the cohort filter of the submissions and progress views.
const qCohort = "cohort"

// cohortRoutes mounts cohort management on the dashboard's group, behind
// the same session (s) and sign-in (a) middleware as every other page.
func (h *Instructor) cohortRoutes(g *echo.Group, s, a echo.MiddlewareFunc) {
	g.GET("/cohorts", h.cohorts, s, a)
	g.POST("/cohorts", h.createCohort, s, a)
	g.GET("/cohorts/:id", h.cohort, s, a)
	g.POST("/cohorts/:id/rename", h.renameCohort, s, a)
	g.POST("/cohorts/:id/archive", h.archiveCohort(true), s, a)
	g.POST("/cohorts/:id/unarchive", h.archiveCohort(false), s, a)
	if h.cfg.Extensions != nil {
		g.GET("/cohorts/:id/twilioquest.zip", h.twilioquestZip, s, a)
	}
}

// cohortURL is a cohort's page.
func cohortURL(id int64) string { return cohortsPath + "/" + strconv.FormatInt(id, 10) }

// joinURL is a cohort's join link, in full: instructors paste it in a
// chat or put it on a slide.
func (h *Instructor) joinURL(c echo.Context, co quest.Cohort) string {
	return h.publicBase(c) + quest.JoinPath(co)
}

// publicBase is where players reach the server: PublicURL, else the
// request's own address.
func (h *Instructor) publicBase(c echo.Context) string {
	if base := strings.TrimRight(h.cfg.PublicURL, "/"); base != "" {
		return base
	}
	return c.Scheme() + "://" + c.Request().Host
}

// cohortsProps lists every cohort with its join link.
func (h *Instructor) cohortsProps(c echo.Context) (templates.CohortsProps, error) {
	list, err := h.cfg.Data.ListCohorts(c.Request().Context())
	if err != nil {
		return templates.CohortsProps{}, err
	}
	props := templates.CohortsProps{Path: cohortsPath}
	for _, co := range list {
		props.Cohorts = append(props.Cohorts, templates.CohortView{CohortSummary: co, JoinURL: h.joinURL(c, co.Cohort)})
	}
	return props, nil
}

// cohorts lists the cohorts, with the form that creates one.
func (h *Instructor) cohorts(c echo.Context) error {
	props, err := h.cohortsProps(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.CohortsPage(props))
}

// cohortNameError is the message id and data of a refused cohort name.
func cohortNameError(err error) (string, map[string]any, bool) {
	ne, ok := errors.AsType[*quest.NameError](err)
	if !ok {
		return "", nil, false
	}
	return "cohorts.error.name." + ne.Problem, map[string]any{"Max": ne.Max}, true
}

// createCohort creates a cohort with a fresh join code and shows its page,
// join link first. A refused name creates nothing.
func (h *Instructor) createCohort(c echo.Context) error {
	ctx := c.Request().Context()
	props, err := h.cohortsProps(c)
	if err != nil {
		return err
	}
	form, ferr := readForm(c, "name")
	if ferr != nil {
		props.Error = ferr.messageID
		return render(c, http.StatusUnprocessableEntity, templates.CohortsPage(props))
	}
	props.Name = form.Get("name")
	co, err := h.cfg.Cohorts.CreateCohort(ctx, props.Name)
	if id, data, ok := cohortNameError(err); ok {
		props.Error, props.ErrorData = id, data
		return render(c, http.StatusUnprocessableEntity, templates.CohortsPage(props))
	}
	if err != nil {
		return err
	}
	h.cfg.Log.InfoContext(ctx, "cohort created", "instructor", instructorOf(c).ID, "cohort", co.ID)
	return c.Redirect(http.StatusSeeOther, cohortURL(co.ID)+"?created=1")
}

// cohortProps reads the :id cohort's page, or a 404.
func (h *Instructor) cohortProps(c echo.Context) (templates.CohortProps, error) {
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return templates.CohortProps{}, echo.NewHTTPError(http.StatusNotFound)
	}
	co, err := h.cfg.Data.Cohort(ctx, id)
	if errors.Is(err, quest.ErrNotFound) {
		return templates.CohortProps{}, echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return templates.CohortProps{}, err
	}
	cohort := strconv.FormatInt(co.ID, 10)
	workshop, err := h.cohortWorkshop(ctx, co.ID)
	if err != nil {
		return templates.CohortProps{}, err
	}
	extension := ""
	if h.cfg.Extensions != nil && !co.Archived {
		extension = extensionURL(co.ID)
	}
	return templates.CohortProps{
		ExtensionURL:   extension,
		Workshop:       workshop,
		Cohort:         co,
		JoinURL:        h.joinURL(c, co),
		Name:           co.Name,
		SubmissionsURL: withQuery(submissionsPath, url.Values{qCohort: {cohort}}),
		ProgressURL:    withQuery(progressPath, url.Values{qCohort: {cohort}}),
	}, nil
}

// cohort is a cohort's page: its join link, renaming and archiving it,
// and the ways to its submissions and progress.
func (h *Instructor) cohort(c echo.Context) error {
	props, err := h.cohortProps(c)
	if err != nil {
		return err
	}
	for _, n := range []string{"created", "renamed", "archived", "unarchived"} {
		if c.QueryParam(n) != "" {
			props.Notice = "cohorts.notice." + n
		}
	}
	props.Notice = workshopNotice(c, props.Notice)
	return render(c, http.StatusOK, templates.CohortPage(props))
}

// renameCohort renames a cohort; its join link stays the same.
func (h *Instructor) renameCohort(c echo.Context) error {
	props, err := h.cohortProps(c)
	if err != nil {
		return err
	}
	form, ferr := readForm(c, "name")
	if ferr != nil {
		props.Error = ferr.messageID
		return render(c, http.StatusUnprocessableEntity, templates.CohortPage(props))
	}
	props.Name = form.Get("name")
	_, err = h.cfg.Cohorts.RenameCohort(c.Request().Context(), props.Cohort.ID, props.Name)
	if id, data, ok := cohortNameError(err); ok {
		props.Error, props.ErrorData = id, data
		return render(c, http.StatusUnprocessableEntity, templates.CohortPage(props))
	}
	if errors.Is(err, quest.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, cohortURL(props.Cohort.ID)+"?renamed=1")
}

// archiveCohort archives a cohort (its join link then refuses new
// players; those in it stay) or brings it back.
func (h *Instructor) archiveCohort(archived bool) echo.HandlerFunc {
	notice := "unarchived"
	if archived {
		notice = "archived"
	}
	return func(c echo.Context) error {
		props, err := h.cohortProps(c)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		err = h.cfg.Data.SetArchived(ctx, props.Cohort.ID, archived)
		if errors.Is(err, quest.ErrNotFound) {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		if err != nil {
			return err
		}
		h.cfg.Log.InfoContext(ctx, "cohort "+notice, "instructor", instructorOf(c).ID, "cohort", props.Cohort.ID)
		return c.Redirect(http.StatusSeeOther, cohortURL(props.Cohort.ID)+"?"+notice+"=1")
	}
}

// parseCohort reads a cohort filter: "" is every cohort, else the id of a
// cohort that exists. The message id says what is wrong.
func (h *Instructor) parseCohort(ctx context.Context, v string) (int64, string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, "", nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, "cohorts.filter.error", nil
	}
	if _, err := h.cfg.Data.Cohort(ctx, id); errors.Is(err, quest.ErrNotFound) {
		return 0, "cohorts.filter.error", nil
	} else if err != nil {
		return 0, "", err
	}
	return id, "", nil
}

// resolveCohort checks the cohort filter of a submissions query, setting
// it or recording what is wrong with it.
func (h *Instructor) resolveCohort(ctx context.Context, sq *submissionQuery) error {
	id, problem, err := h.parseCohort(ctx, sq.form.Cohort)
	if err != nil {
		return err
	}
	if problem != "" {
		sq.errors[qCohort] = problem
	}
	sq.filter.CohortID = id
	return nil
}

// cohortNames maps cohort ids to names, for the progress export.
func (h *Instructor) cohortNames(ctx context.Context) (map[int64]string, error) {
	list, err := h.cfg.Data.ListCohorts(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(list))
	for _, co := range list {
		names[co.ID] = co.Name
	}
	return names, nil
}
