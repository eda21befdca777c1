package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/auth"
	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// embedPrefix is where the embeddable widget lives. Its pages may be
// framed by their API key's origins (FrameAncestors), and its form takes
// no CSRF token: the widget uses no cookie (SameSite=Lax cookies are not
// sent in a cross-site iframe anyway), and the player is named by the
// signed token the form carries, a short-lived bearer credential a forged
// cross-site request cannot know.
const embedPrefix = "/embed"

// EmbedQuests is the part of *quest.Service the widget uses.
type EmbedQuests interface {
	Catalog() *catalog.Catalog
	Submit(ctx context.Context, a quest.Attempt) (*quest.Result, error)
	Locked(o *catalog.Objective, awards map[string]quest.Award) bool
}

// EmbedData is the part of *store.Store the widget uses.
type EmbedData interface {
	APIKeyByID(ctx context.Context, id string) (quest.APIKey, error)
	APIPlayer(ctx context.Context, keyID, externalID, name string) (quest.Player, error)
	Awards(ctx context.Context, playerID string) (map[string]quest.Award, error)
}

// Embed serves the widget games put in an iframe:
// GET /embed/objectives/{id}?token=T[&origin=O] and its HACK form.
type Embed struct {
	quests   EmbedQuests
	data     EmbedData
	locales  *locale.Bundle
	audience string
	now      func() time.Time
}

// NewEmbed returns the widget. audience is the server's public URL, which
// every widget token must name as its aud claim, so that a token signed
// for another questgate (or leaked from one) opens nothing here. now is
// time.Now when nil.
func NewEmbed(quests EmbedQuests, data EmbedData, locales *locale.Bundle, audience string, now func() time.Time) *Embed {
	if now == nil {
		now = time.Now
	}
	return &Embed{quests: quests, data: data, locales: locales, audience: audience, now: now}
}

// Routes mounts the widget on g, which must be the /embed group.
func (h *Embed) Routes(g *echo.Group) {
	g.GET("/objectives/:id", h.page)
	g.POST("/objectives/:id/hack", h.hack)
}

// widget is a request's checked token, key and player.
type widget struct {
	key      quest.APIKey
	claims   auth.Claims
	playerID string
	obj      catalog.Objective
	// origin is where the completion message may go; requested is the
	// origin the game's page asked for, carried through the form.
	origin, requested string
}

// open checks the token (query or form), sets the page's language and
// framing, and finds the player; on failure it renders the error page
// and returns ok false.
func (h *Embed) open(c echo.Context) (widget, bool, error) {
	ctx := c.Request().Context()
	token := c.QueryParam("token")
	if token == "" {
		token = c.FormValue("token")
	}
	var key quest.APIKey
	secretOf := func(kid string) (string, error) {
		k, err := h.data.APIKeyByID(ctx, kid)
		if err != nil {
			return "", err
		}
		key = k
		if k.Revoked() {
			return "", errors.New("revoked")
		}
		return k.SigningSecret, nil
	}
	fail := func(status int, problem string) (widget, bool, error) {
		if len(key.Origins) > 0 && !key.Revoked() {
			if err := allowFraming(c, key.Origins); err != nil {
				return widget{}, false, err
			}
		}
		return widget{}, false, render(c, status, templates.EmbedErrorPage(templates.EmbedErrorProps{Problem: problem}))
	}
	if token == "" {
		return fail(http.StatusUnauthorized, "no_token")
	}
	claims, _, err := auth.ParseToken(token, secretOf, h.audience, h.now())
	switch {
	case errors.Is(err, auth.ErrTokenUnknownKey):
		key = quest.APIKey{}
		return fail(http.StatusUnauthorized, "unknown_key")
	case errors.Is(err, auth.ErrTokenExpired):
		h.useLocale(c, claims.Locale)
		return fail(http.StatusUnauthorized, "expired")
	case err != nil:
		return fail(http.StatusUnauthorized, "invalid")
	}
	h.useLocale(c, claims.Locale)
	if err := allowFraming(c, key.Origins); err != nil {
		return widget{}, false, err
	}
	obj, ok := h.quests.Catalog().Get(c.Param("id"))
	if !ok {
		return fail(http.StatusNotFound, "unknown_objective")
	}
	requested := c.QueryParam("origin")
	if requested == "" {
		requested = c.FormValue("origin")
	}
	w := widget{key: key, claims: claims, obj: obj, requested: requested, origin: targetOrigin(key, claims.Origin, requested)}
	p, err := h.data.APIPlayer(ctx, key.ID, claims.Subject, claims.Name)
	if err != nil {
		return widget{}, false, err
	}
	w.playerID = p.ID
	// The widget's reads of the player may be answered from memory at the
	// version just read (quest.WithPlayerRead), as a session's player's.
	c.SetRequest(c.Request().WithContext(quest.WithPlayerRead(c.Request().Context(), p)))
	return w, true, nil
}

// targetOrigin picks where the completion message may go: the origin the
// token or the page names, if the key allows it; else the key's only
// origin; else nowhere.
func targetOrigin(k quest.APIKey, candidates ...string) string {
	for _, o := range candidates {
		if o != "" {
			if k.AllowsOrigin(o) {
				return o
			}
			return ""
		}
	}
	if len(k.Origins) == 1 {
		return k.Origins[0]
	}
	return ""
}

// useLocale switches the request to the token's language when it names a
// supported one (else the browser's stays).
func (h *Embed) useLocale(c echo.Context, lang string) {
	if lang == "" || !isSupported(lang) || h.locales == nil {
		return
	}
	c.Response().Header().Set("Content-Language", lang)
	c.SetRequest(c.Request().WithContext(locale.With(c.Request().Context(), h.locales.Localizer(lang))))
}

// allowFraming lets the key's origins frame this response; without
// origins the page keeps frame-ancestors 'none'.
func allowFraming(c echo.Context, origins []string) error {
	if len(origins) == 0 {
		return nil
	}
	mw, err := FrameAncestors(origins...)
	if err != nil {
		return err
	}
	return mw(func(echo.Context) error { return nil })(c)
}

// props are the widget's page data for w.
func (h *Embed) props(ctx context.Context, w widget, token string) (templates.EmbedProps, error) {
	awards, err := h.data.Awards(ctx, w.playerID)
	if err != nil {
		return templates.EmbedProps{}, err
	}
	hidden := [][2]string{{"token", token}}
	if w.requested != "" {
		hidden = append(hidden, [2]string{"origin", w.requested})
	}
	_, held := awards[w.obj.ID]
	hack := templates.HackProps{Objective: &w.obj, Action: embedPrefix + "/objectives/" + w.obj.ID + "/hack", Hidden: hidden,
		Locked: !held && h.quests.Locked(&w.obj, awards)}
	return templates.EmbedProps{Objective: w.obj, Hack: hack, TargetOrigin: w.origin}, nil
}

func (h *Embed) page(c echo.Context) error {
	w, ok, err := h.open(c)
	if !ok || err != nil {
		return err
	}
	p, err := h.props(c.Request().Context(), w, c.QueryParam("token"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.EmbedPage(p))
}

func (h *Embed) hack(c echo.Context) error {
	w, ok, err := h.open(c)
	if !ok || err != nil {
		return err
	}
	ctx := c.Request().Context()
	sid := c.FormValue("sid")
	res, err := h.quests.Submit(ctx, quest.Attempt{PlayerID: w.playerID, ObjectiveID: w.obj.ID, SID: sid, IP: c.RealIP(), Game: true})
	if err != nil {
		return err
	}
	p, err := h.props(ctx, w, c.FormValue("token"))
	if err != nil {
		return err
	}
	p.Hack.Result = res
	if !res.Submission.Reason.Success() {
		// What was recorded, not what was typed: a pasted secret comes
		// back masked, a huge paste clipped.
		p.Hack.SID = res.Paste
	}
	// The verdict's status, as on the objective page and the API: the
	// widget is a plain form (no htmx), so the browser shows the answer
	// whatever its status.
	return render(c, verdictStatus(c, res), templates.EmbedPage(p))
}
