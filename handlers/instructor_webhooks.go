package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// WebhookData is the part of *store.Store the webhook deliveries page uses.
type WebhookData interface {
	WebhookEvents(ctx context.Context, limit int) ([]quest.WebhookEvent, error)
	RedeliverWebhook(ctx context.Context, id string) error
}

// webhookEventsShown is how many of the latest events the page lists.
const webhookEventsShown = 100

// webhooks lists the latest webhook events with their attempts.
func (h *Instructor) webhooks(c echo.Context) error {
	events, err := h.cfg.Webhooks.WebhookEvents(c.Request().Context(), webhookEventsShown)
	if err != nil {
		return err
	}
	props := templates.WebhooksProps{Path: "/instructor/webhooks", Events: events}
	if c.QueryParam("redelivered") != "" {
		props.Notice = "instructor.webhooks.redelivered"
	}
	return render(c, http.StatusOK, templates.WebhooksPage(props))
}

// redeliver makes an event due again; the delivery worker sends it under
// its same id.
func (h *Instructor) redeliver(c echo.Context) error {
	err := h.cfg.Webhooks.RedeliverWebhook(c.Request().Context(), c.Param("id"))
	if errors.Is(err, quest.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	h.cfg.Log.InfoContext(c.Request().Context(), "webhook redelivery", "event", c.Param("id"), "instructor", instructorOf(c).ID)
	return c.Redirect(http.StatusSeeOther, "/instructor/webhooks?redelivered=1")
}
