package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// Profiles is the part of *quest.Service the profile and join pages use.
type Profiles interface {
	SetDisplayName(ctx context.Context, playerID, typed string) (string, error)
	CohortByCode(ctx context.Context, code string) (quest.Cohort, error)
	Cohort(ctx context.Context, p quest.Player) (quest.Cohort, bool, error)
	Join(ctx context.Context, p quest.Player, code, typedName string) (quest.Cohort, error)
}

// Profile serves the pages where players name themselves and join a
// cohort with the link an instructor gave them.
type Profile struct {
	profiles Profiles
	sessions *Sessions
}

// NewProfile returns the profile and join pages.
func NewProfile(profiles Profiles, sessions *Sessions) *Profile {
	return &Profile{profiles: profiles, sessions: sessions}
}

// Routes mounts the pages on g, each with its player: the pages are read
// without becoming one, the forms make the player (see Player.Routes).
func (h *Profile) Routes(g *echo.Group) {
	act, view := h.sessions.WithPlayer(), h.sessions.MaybePlayer()
	g.GET("/profile", h.profile, view)
	g.POST("/profile", h.saveProfile, act)
	g.GET("/join/:code", h.join, view)
	g.POST("/join/:code", h.doJoin, act)
}

// profileNotices are the notices a redirect to /profile may ask for.
var profileNotices = map[string]string{"saved": "profile.saved", "joined": "profile.joined"}

func (h *Profile) profile(c echo.Context) error {
	props := templates.ProfileProps{Notice: profileNotices[c.QueryParam("done")]}
	return h.renderProfile(c, http.StatusOK, props)
}

// saveProfile sets the display name. A refused name re-renders the form
// with what was typed and why (422); nothing is saved.
func (h *Profile) saveProfile(c echo.Context) error {
	form, ferr := readForm(c, "display_name")
	if ferr != nil {
		return h.renderProfile(c, http.StatusUnprocessableEntity, templates.ProfileProps{Error: ferr.messageID})
	}
	typed := form.Get("display_name")
	_, err := h.profiles.SetDisplayName(c.Request().Context(), playerOf(c).ID, typed)
	if ne, ok := errors.AsType[*quest.NameError](err); ok {
		return h.renderProfile(c, http.StatusUnprocessableEntity, templates.ProfileProps{Typed: typed, Error: ne.MessageID()})
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/profile?done=saved")
}

func (h *Profile) renderProfile(c echo.Context, status int, props templates.ProfileProps) error {
	p := playerOf(c)
	props.DisplayName = p.DisplayName
	cohort, ok, err := h.profiles.Cohort(c.Request().Context(), p)
	if err != nil {
		return err
	}
	if ok {
		props.Cohort = &cohort
	} else if props.Notice == "profile.joined" {
		props.Notice = ""
	}
	return render(c, status, templates.ProfilePage(props))
}

// join shows the cohort a join link invites to. Joining is the form's
// POST: a link preview or prefetch must not move anyone.
func (h *Profile) join(c echo.Context) error {
	cohort, err := h.profiles.CohortByCode(c.Request().Context(), c.Param("code"))
	if err != nil {
		return h.joinError(c, cohort, err)
	}
	return h.renderJoin(c, http.StatusOK, templates.JoinProps{Cohort: cohort})
}

// doJoin puts the player in the cohort, with the display name they typed
// when they need one, and renews the session's token: the player's
// privileges changed. A refused name re-renders the page (422) and
// nothing changes.
func (h *Profile) doJoin(c echo.Context) error {
	ctx := c.Request().Context()
	form, ferr := readForm(c)
	cohort, err := h.profiles.CohortByCode(ctx, c.Param("code"))
	if err != nil {
		return h.joinError(c, cohort, err)
	}
	if ferr != nil {
		return h.renderJoin(c, http.StatusUnprocessableEntity, templates.JoinProps{Cohort: cohort, Error: ferr.messageID})
	}
	typed := form.Get("display_name")
	p := playerOf(c)
	cohort, err = h.profiles.Join(ctx, p, c.Param("code"), typed)
	if ne, ok := errors.AsType[*quest.NameError](err); ok {
		return h.renderJoin(c, http.StatusUnprocessableEntity, templates.JoinProps{Cohort: cohort, Typed: typed, Error: ne.MessageID()})
	}
	if err != nil {
		return h.joinError(c, cohort, err)
	}
	if err := h.sessions.Renew(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/profile?done=joined")
}

func (h *Profile) renderJoin(c echo.Context, status int, props templates.JoinProps) error {
	p := playerOf(c)
	props.NeedName = p.DisplayName == ""
	current, ok, err := h.profiles.Cohort(c.Request().Context(), p)
	if err != nil {
		return err
	}
	if ok {
		props.Current = &current
	}
	return render(c, status, templates.JoinPage(props))
}

// joinError answers a join link that does not work: 404 for a code no
// cohort has, 410 for an archived cohort, each with a page saying what to
// do; anything else is a server error.
func (h *Profile) joinError(c echo.Context, cohort quest.Cohort, err error) error {
	switch {
	case errors.Is(err, quest.ErrUnknownCohort):
		return render(c, http.StatusNotFound, templates.JoinErrorPage(templates.JoinErrorProps{Problem: "unknown"}))
	case errors.Is(err, quest.ErrArchivedCohort):
		return render(c, http.StatusGone, templates.JoinErrorPage(templates.JoinErrorProps{Problem: "archived", Name: cohort.Name}))
	}
	return err
}
