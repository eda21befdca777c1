package handlers

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// PhoneAccounts is what the sandbox phone page needs of the domain: the
// player's saved credentials (is it a sandbox account?) and registered
// numbers.
type PhoneAccounts interface {
	SavedCredentials(ctx context.Context, playerID string) (quest.Saved, error)
	Numbers(ctx context.Context, playerID string) ([]string, error)
}

// PhoneInbox gives the texts a sandbox account delivered to numbers;
// *sandbox.Sandbox implements it.
type PhoneInbox interface {
	Inbox(ctx context.Context, accountSID string, numbers []string) ([]quest.PhoneText, error)
}

// SandboxPhone serves /phone: the texts the sandbox "sent" to the
// player's registered numbers, their Verify codes above all, so that a
// player without a phone can finish a verification.
type SandboxPhone struct {
	accounts PhoneAccounts
	inbox    PhoneInbox // nil when the sandbox is off
	sessions *Sessions
}

// NewSandboxPhone returns the page's handler; inbox is nil when the
// server runs no sandbox.
func NewSandboxPhone(accounts PhoneAccounts, inbox PhoneInbox, sessions *Sessions) *SandboxPhone {
	return &SandboxPhone{accounts: accounts, inbox: inbox, sessions: sessions}
}

// Routes mounts the page on g.
func (h *SandboxPhone) Routes(g *echo.Group) {
	g.GET("/phone", h.page, h.sessions.MaybePlayer())
}

func (h *SandboxPhone) page(c echo.Context) error {
	ctx := c.Request().Context()
	props := templates.PhoneProps{State: templates.PhoneNoSandbox}
	p := playerOf(c)
	if h.inbox == nil || p.ID == "" {
		return render(c, http.StatusOK, templates.PhonePage(props))
	}
	saved, err := h.accounts.SavedCredentials(ctx, p.ID)
	switch {
	case errors.Is(err, quest.ErrNotFound):
		return render(c, http.StatusOK, templates.PhonePage(props))
	case err != nil:
		return err
	case !saved.Sandbox:
		return render(c, http.StatusOK, templates.PhonePage(props))
	}
	// Codes are one-time secrets of the player's: never cached.
	noStore(c)
	numbers, err := h.accounts.Numbers(ctx, p.ID)
	if err != nil {
		return err
	}
	if len(numbers) == 0 {
		props.State = templates.PhoneNoNumbers
		return render(c, http.StatusOK, templates.PhonePage(props))
	}
	texts, err := h.inbox.Inbox(ctx, saved.AccountSID, numbers)
	if err != nil {
		return err
	}
	slices.SortFunc(texts, func(a, b quest.PhoneText) int { return b.At.Compare(a.At) })
	props.State, props.Texts = templates.PhoneReady, texts
	return render(c, http.StatusOK, templates.PhonePage(props))
}
