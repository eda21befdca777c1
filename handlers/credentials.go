package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// credentialNotices pair the query flag a successful change redirects with
// and the notice it shows, so a reload of /credentials?saved=1 shows the
// same page and never repeats the change (Post/Redirect/Get).
var credentialNotices = []struct{ flag, messageID string }{
	{"saved", "credentials.saved"},
	{"sandbox", "credentials.sandbox_created"},
	{"deleted", "credentials.deleted"},
	{"number_added", "numbers.added"},
	{"number_removed", "numbers.removed"},
}

// credentials shows the player's saved credentials and the form.
func (h *Player) credentials(c echo.Context) error {
	notice := ""
	for _, n := range credentialNotices {
		if c.QueryParam(n.flag) != "" {
			notice = n.messageID
			break
		}
	}
	return h.renderCredentials(c, http.StatusOK, notice, templates.CredentialsForm{})
}

// saveCredentials checks and saves credentials. A field the player must
// fix re-renders the form (422) with what they typed, secrets excepted;
// Twilio trouble says nothing was saved (503). Success redirects.
func (h *Player) saveCredentials(c echo.Context) error {
	in, ferr := readCredentialsForm(c)
	if ferr != nil {
		return h.renderCredentials(c, http.StatusUnprocessableEntity, "", templates.CredentialsForm{Error: ferr.messageID})
	}
	f := templates.CredentialsForm{AccountSID: in.accountSID, APIKeySID: in.apiKeySID}
	_, err := h.quests.SaveCredentials(c.Request().Context(), playerOf(c).ID, in.accountSID, in.apiKeySID, in.secret)
	if ce, ok := errors.AsType[*quest.CredentialsError](err); ok {
		f.Errors = map[string]string{ce.Field: ce.Problem}
		return h.renderCredentials(c, http.StatusUnprocessableEntity, "", f)
	}
	if ue, ok := errors.AsType[*quest.UpstreamError](err); ok {
		f.Error, f.RetryAfter = "credentials.upstream", seconds(ue.TwilioRetryAfter)
		setRetryAfter(c, ue.RetryAfter)
		return h.renderCredentials(c, http.StatusServiceUnavailable, "", f)
	}
	if err != nil {
		return err
	}
	// New credentials are a change of privilege: a session someone fixed
	// in this browser must not hold them (Sessions.Renew).
	if err := h.sessions.Renew(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/credentials?saved=1")
}

// credentialsInput is the credentials form as typed; quest cleans and
// checks it (quest.ParseCredentials).
type credentialsInput struct{ accountSID, apiKeySID, secret string }

// readCredentialsForm reads the credentials form. The API key field is
// optional (Auth Token credentials have none); the other two must be sent,
// even empty.
func readCredentialsForm(c echo.Context) (credentialsInput, *formError) {
	form, ferr := readForm(c, quest.FieldAccountSID, quest.FieldSecret)
	if ferr != nil {
		return credentialsInput{}, ferr
	}
	return credentialsInput{
		accountSID: form.Get(quest.FieldAccountSID),
		apiKeySID:  form.Get(quest.FieldAPIKeySID),
		secret:     form.Get(quest.FieldSecret),
	}, nil
}

// useSandbox gives the player a sandbox account of their own.
func (h *Player) useSandbox(c echo.Context) error {
	_, err := h.quests.UseSandboxAccount(c.Request().Context(), playerOf(c).ID)
	if errors.Is(err, quest.ErrNoSandbox) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	// A new account is a change of privilege, as saving credentials is.
	if err := h.sessions.Renew(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/credentials?sandbox=1")
}

// deleteCredentials forgets the player's credentials.
func (h *Player) deleteCredentials(c echo.Context) error {
	if err := h.data.DeleteCredentials(c.Request().Context(), playerOf(c).ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/credentials?deleted=1")
}

// renderCredentials renders the credentials page around form's state.
func (h *Player) renderCredentials(c echo.Context, status int, notice string, form templates.CredentialsForm) error {
	props, err := h.credentialsProps(c, notice, form)
	if err != nil {
		return err
	}
	return render(c, status, templates.CredentialsPage(props))
}

// credentialsProps gathers the credentials page's data.
func (h *Player) credentialsProps(c echo.Context, notice string, form templates.CredentialsForm) (templates.CredentialsProps, error) {
	ctx := c.Request().Context()
	props := templates.CredentialsProps{
		SandboxEnabled: h.quests.SandboxEnabled(),
		Notice:         notice,
		Form:           form,
	}
	p := playerOf(c)
	if p.ID == "" {
		// An anonymous visitor has nothing saved; their first form
		// makes them a player.
		return props, nil
	}
	saved, err := h.quests.SavedCredentials(ctx, p.ID)
	switch {
	case err == nil:
		props.Saved = &saved
		if saved.Sandbox {
			noStore(c)
		}
	case !errors.Is(err, quest.ErrNotFound):
		return props, err
	}
	if props.Numbers, err = h.quests.Numbers(ctx, p.ID); err != nil {
		return props, err
	}
	return props, nil
}
