package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// addNumber registers a phone number for the player. A number the player
// must fix re-renders the page (422) with what they typed and why;
// success redirects (Post/Redirect/Get).
func (h *Player) addNumber(c echo.Context) error {
	form, ferr := readForm(c, "number")
	raw, problem := "", ""
	if ferr != nil {
		problem = ferr.messageID
	} else {
		raw = form.Get("number")
		_, err := h.quests.AddNumber(c.Request().Context(), playerOf(c).ID, raw)
		var ne *quest.NumberError
		switch {
		case errors.As(err, &ne):
			problem = ne.MessageID()
		case err != nil:
			return err
		}
	}
	if problem == "" {
		return c.Redirect(http.StatusSeeOther, "/credentials?number_added=1")
	}
	props, err := h.credentialsProps(c, "", templates.CredentialsForm{})
	if err != nil {
		return err
	}
	props.Number, props.NumberError = raw, problem
	return render(c, http.StatusUnprocessableEntity, templates.CredentialsPage(props))
}

// removeNumber forgets one of the player's numbers.
func (h *Player) removeNumber(c echo.Context) error {
	form, ferr := readForm(c, "number")
	if ferr != nil {
		return h.renderCredentials(c, http.StatusUnprocessableEntity, "", templates.CredentialsForm{Error: ferr.messageID})
	}
	if err := h.quests.RemoveNumber(c.Request().Context(), playerOf(c).ID, form.Get("number")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/credentials?number_removed=1")
}
