package handlers

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
)

// PlayerIDOf returns the player id the session with token names, so tests
// can tell which player a browser is.
func (s *Sessions) PlayerIDOf(ctx context.Context, token string) (string, error) {
	ctx, err := s.sm.Load(ctx, token)
	if err != nil {
		return "", err
	}
	return s.sm.GetString(ctx, sessionPlayer), nil
}

// PlayerOf returns the request's player, set by WithPlayer.
func PlayerOf(c echo.Context) quest.Player { return playerOf(c) }
