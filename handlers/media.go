package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
)

// MediaSource fetches a submission's picture again (*quest.Service): with
// the credentials of the submission's own player, whoever asks, so the
// handlers decide who may ask.
type MediaSource interface {
	SubmissionMedia(ctx context.Context, sub quest.Submission, n int) (quest.MediaContent, error)
}

// mediaCSP is the policy of a served picture: it may load nothing, run
// nothing and be framed by nobody, whatever its bytes hold.
const mediaCSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"

// mediaIndex reads the :n of a media route: a picture's place, from 0,
// below quest.MaxMedia; ok is false for anything else.
func mediaIndex(c echo.Context) (int, bool) {
	n, err := strconv.Atoi(c.Param("n"))
	return n, err == nil && n >= 0 && n < quest.MaxMedia && c.Param("n") == strconv.Itoa(n)
}

// serveMedia answers picture n of sub, fetched by src. The picture is
// served only as one of quest.ImageTypes, with nosniff, a policy that
// lets it do nothing, and kept by no shared cache. What cannot be served
// is a 404 (nothing there, or no longer in the player's account) or a
// 502, logged with why (Twilio answered with something that is not a
// picture to show, or did not answer); the page then shows the picture's
// alternative text. Neither is kept by the browser.
func serveMedia(c echo.Context, src MediaSource, sub quest.Submission, n int) error {
	content, err := src.SubmissionMedia(c.Request().Context(), sub, n)
	h := c.Response().Header()
	switch {
	case errors.Is(err, quest.ErrNotFound):
		noStore(c)
		return echo.NewHTTPError(http.StatusNotFound)
	case err != nil:
		noStore(c)
		return echo.NewHTTPError(http.StatusBadGateway).SetInternal(fmt.Errorf("picture %d of submission %d: %w", n, sub.ID, err))
	case !slices.Contains(quest.ImageTypes, content.ContentType) || len(content.Body) > quest.MaxMediaBytes:
		noStore(c)
		return echo.NewHTTPError(http.StatusBadGateway).SetInternal(fmt.Errorf("picture %d of submission %d: %q, %d bytes: %w",
			n, sub.ID, content.ContentType, len(content.Body), quest.ErrMediaRefused))
	}
	h.Set(echo.HeaderCacheControl, "private, max-age=300")
	h.Set("Content-Security-Policy", mediaCSP)
	h.Set(echo.HeaderXContentTypeOptions, "nosniff")
	h.Set(echo.HeaderContentDisposition, "inline")
	return c.Blob(http.StatusOK, content.ContentType, content.Body)
}
