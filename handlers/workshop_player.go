package handlers

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/live"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// PlayerWorkshopData is the part of *store.Store the players' side of the
// workshop day reads and writes.
type PlayerWorkshopData interface {
	PlayerEvent(ctx context.Context, playerID string) (quest.Event, error)
	AnnouncementsFor(ctx context.Context, cohortID int64, limit int) ([]quest.Announcement, error)
	Announcement(ctx context.Context, id int64) (quest.Announcement, error)
	RevealHint(ctx context.Context, r quest.HintReveal) (quest.HintReveal, error)
	HintReveals(ctx context.Context, playerID, objectiveID string) ([]quest.HintReveal, error)
	RosterLine(ctx context.Context, token string) (quest.RosterLine, error)
	ClaimRosterLine(ctx context.Context, token, playerID string) error
	Cohort(ctx context.Context, id int64) (quest.Cohort, error)
	Player(ctx context.Context, id string) (quest.Player, error)
}

// PlayerWorkshopConfig wires the players' side of the workshop day.
type PlayerWorkshopConfig struct {
	Data    PlayerWorkshopData
	Catalog *catalog.Catalog
	// Live brings announcements to open pages.
	Live live.Subscriber
	// Heartbeats gives each stream its heartbeat ticks (default: every
	// 20 s), so that proxies keep it open; tests tick by hand.
	Heartbeats func() (ticks <-chan time.Time, stop func())
	// Now is the clock of the event window's countdown; time.Now when nil.
	Now func() time.Time
	Log *slog.Logger
}

// PlayerWorkshop serves the players' side of the workshop day: the
// banner every page shows (event window, announcements; see Decorate),
// the stream of new announcements, revealing hints, and personal join
// links.
type PlayerWorkshop struct {
	cfg PlayerWorkshopConfig
}

// playerAnnouncements is how many announcements a player's pages list.
const playerAnnouncements = 20

// NewPlayerWorkshop returns the players' side of the workshop day.
func NewPlayerWorkshop(cfg PlayerWorkshopConfig) *PlayerWorkshop {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Heartbeats == nil {
		cfg.Heartbeats = func() (<-chan time.Time, func()) {
			t := time.NewTicker(20 * time.Second)
			return t.C, t.Stop
		}
	}
	return &PlayerWorkshop{cfg: cfg}
}

// Routes mounts the stream, the hint form and personal join links;
// sessions gives them their player, as for the other player pages.
func (h *PlayerWorkshop) Routes(g *echo.Group, sessions *Sessions) {
	act, view := sessions.WithPlayer(), sessions.MaybePlayer()
	g.GET("/live/announcements", h.announcementsLive, view)
	g.POST("/objectives/:id/hints", h.revealHint, act)
	g.GET("/join/me/:token", h.joinPersonal, h.knownToken, act)
}

// Decorate gives a player's request what its pages show of the workshop,
// read only when a page shows it (see templates.PlayerWorkshop). It is
// Sessions' decorator (SessionOptions.Decorate).
func (h *PlayerWorkshop) Decorate(ctx context.Context, p quest.Player) context.Context {
	if p.ID == "" {
		return ctx
	}
	banner := sync.OnceValue(func() templates.BannerView {
		v := templates.BannerView{Now: h.cfg.Now(), LiveURL: "/live/announcements"}
		ev, err := h.cfg.Data.PlayerEvent(ctx, p.ID)
		if err != nil {
			h.cfg.Log.WarnContext(ctx, "reading the player's event failed", "error", err)
			return v
		}
		v.Event = ev
		if v.Announcements, err = h.cfg.Data.AnnouncementsFor(ctx, p.CohortID, playerAnnouncements); err != nil {
			h.cfg.Log.WarnContext(ctx, "reading announcements failed", "error", err)
		}
		return v
	})
	hints := func(o catalog.Objective) templates.HintsView {
		v := templates.HintsView{Objective: o, Action: "/objectives/" + o.ID + "/hints"}
		list, err := h.cfg.Data.HintReveals(ctx, p.ID, o.ID)
		if err != nil {
			h.cfg.Log.WarnContext(ctx, "reading hint reveals failed", "error", err)
			return v
		}
		v.Revealed = min(len(list), len(o.Hints))
		return v
	}
	return templates.WithPlayerWorkshop(ctx, templates.PlayerWorkshop{Banner: banner, Hints: hints})
}

// revealHint records that the player revealed the next hint of an
// objective, and goes back to the hints on its page. Asking out of order
// reveals nothing; the page then shows where the player stands.
func (h *PlayerWorkshop) revealHint(c echo.Context) error {
	ctx := c.Request().Context()
	o, ok := h.cfg.Catalog.Get(c.Param("id"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	back := "/objectives/" + o.ID + "#hints"
	form, ferr := readForm(c, "stage")
	if ferr != nil {
		return c.Redirect(http.StatusSeeOther, back)
	}
	stage, err := strconv.Atoi(form.Get("stage"))
	if err != nil || stage < 1 || stage > len(o.Hints) {
		return c.Redirect(http.StatusSeeOther, back)
	}
	p := playerOf(c)
	r, err := h.cfg.Data.RevealHint(ctx, quest.HintReveal{PlayerID: p.ID, ObjectiveID: o.ID, Stage: stage, Cost: o.Hints[stage-1].Cost})
	if err != nil && !errors.Is(err, quest.ErrHintOrder) {
		return err
	}
	if err == nil {
		h.cfg.Log.InfoContext(ctx, "hint revealed", "player", p.ID, "objective", o.ID, "stage", r.Stage, "cost", r.Cost)
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// rosterKey is where knownToken leaves the roster line for joinPersonal.
const rosterKey = "workshop.roster"

// knownToken answers an unknown personal link before any player is made:
// a made-up link costs no row.
func (h *PlayerWorkshop) knownToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		line, err := h.cfg.Data.RosterLine(c.Request().Context(), c.Param("token"))
		if errors.Is(err, quest.ErrNotFound) {
			return render(c, http.StatusNotFound, templates.JoinErrorPage(templates.JoinErrorProps{Problem: "unknown"}))
		}
		if err != nil {
			return err
		}
		c.Set(rosterKey, line)
		return next(c)
	}
}

// joinPersonal opens a personal join link from a roster: the cohort's
// join page, the roster's name filled in. The link is noted as used by
// this player; joining is the join page's own form.
func (h *PlayerWorkshop) joinPersonal(c echo.Context) error {
	ctx := c.Request().Context()
	line, _ := c.Get(rosterKey).(quest.RosterLine)
	co, err := h.cfg.Data.Cohort(ctx, line.CohortID)
	if err != nil {
		return err
	}
	if co.Archived {
		return render(c, http.StatusGone, templates.JoinErrorPage(templates.JoinErrorProps{Problem: "archived", Name: co.Name}))
	}
	p := playerOf(c)
	if err := h.cfg.Data.ClaimRosterLine(ctx, line.Token, p.ID); err != nil {
		return err
	}
	props := templates.JoinProps{Cohort: co, NeedName: true, Typed: line.Name}
	if p.CohortID != 0 && p.CohortID != co.ID {
		if cur, err := h.cfg.Data.Cohort(ctx, p.CohortID); err == nil {
			props.Current = &cur
		}
	}
	return render(c, http.StatusOK, templates.JoinPage(props))
}

// announcementsLive streams new announcements to an open player page,
// each rendered as the banner shows it: the player's cohort's and
// everyone's. A visitor who is no player gets 204, which tells
// EventSource not to come back.
func (h *PlayerWorkshop) announcementsLive(c echo.Context) error {
	p := playerOf(c)
	if p.ID == "" {
		return c.NoContent(http.StatusNoContent)
	}
	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel()
	events := h.cfg.Live.Subscribe(ctx)
	s := startSSE(c)
	if err := s.comment("questgate announcements"); err != nil {
		return nil
	}
	loop := streamLoop{heartbeats: h.cfg.Heartbeats, onEvent: func(ev live.Event) error {
		if ev.Kind != live.Announcement || (ev.CohortID != 0 && ev.CohortID != p.CohortID) {
			return nil
		}
		return h.sendAnnouncement(ctx, s, ev.AnnouncementID)
	}}
	if err := loop.run(ctx, s, events); err != nil && ctx.Err() == nil && !errors.Is(err, errClientGone) {
		h.cfg.Log.ErrorContext(ctx, "announcements stream broke off", "error", err)
	}
	return nil
}

// sendAnnouncement sends one announcement, rendered.
func (h *PlayerWorkshop) sendAnnouncement(ctx context.Context, s *sseStream, id int64) error {
	a, err := h.cfg.Data.Announcement(ctx, id)
	if errors.Is(err, quest.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := templates.AnnouncementNotice(a).Render(ctx, &b); err != nil {
		return err
	}
	return s.send("announcement", strconv.FormatInt(a.ID, 10), b.String())
}
