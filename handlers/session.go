package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/store"
)

// PlayerStore creates and finds players.
type PlayerStore interface {
	CreatePlayer(ctx context.Context) (store.Player, error)
	Player(ctx context.Context, id string) (store.Player, error)
}

// playerCookie identifies an anonymous player's browser.
const playerCookie = "questgate_player"

const playerKey = "questgate.player"

// WithPlayer makes sure every request of the group has a player: the one
// named by the browser's cookie, or a new one created on first visit.
func WithPlayer(players PlayerStore) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			var p store.Player
			var err error
			if ck, cerr := c.Cookie(playerCookie); cerr == nil && ck.Value != "" {
				p, err = players.Player(ctx, ck.Value)
			} else {
				err = store.ErrNotFound
			}
			if errors.Is(err, store.ErrNotFound) {
				if p, err = players.CreatePlayer(ctx); err == nil {
					c.SetCookie(&http.Cookie{Name: playerCookie, Value: p.ID, Path: "/",
						MaxAge: int((400 * 24 * time.Hour).Seconds()), HttpOnly: true,
						SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"})
				}
			}
			if err != nil {
				return err
			}
			c.Set(playerKey, p)
			return next(c)
		}
	}
}

// playerOf returns the request's player, set by WithPlayer.
func playerOf(c echo.Context) store.Player {
	p, _ := c.Get(playerKey).(store.Player)
	return p
}
