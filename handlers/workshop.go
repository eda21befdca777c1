package handlers

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/live"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// WorkshopData is the part of *store.Store the workshop day's instructor
// pages read and write: event windows, announcements, hint reveals and
// rosters.
type WorkshopData interface {
	CohortEvent(ctx context.Context, cohortID int64) (quest.Event, error)
	SaveEvent(ctx context.Context, e quest.Event) error
	AddAnnouncement(ctx context.Context, a quest.Announcement) (quest.Announcement, error)
	AllAnnouncements(ctx context.Context, cohortID int64, limit int) ([]quest.Announcement, error)
	HintReveals(ctx context.Context, playerID, objectiveID string) ([]quest.HintReveal, error)
	ImportRoster(ctx context.Context, cohortID int64, lines []quest.RosterLine) ([]quest.RosterLine, error)
	StuckIn(ctx context.Context, cohortID int64, rule quest.StuckRule, since, now time.Time, limit int) ([]quest.Stuck, int, error)
}

// Bounds of the workshop views.
const (
	// wallTicker is how many completions the wall's ticker shows.
	wallTicker = 6
	// stuckWindow is how recent a run of failures must be to list its
	// player as stuck, and stuckRows how many of them the progress view
	// lists (the most recent; the heading counts them all).
	stuckWindow = 24 * time.Hour
	stuckRows   = 100
	// listedAnnouncements is how many announcements a list shows.
	listedAnnouncements = 100
	// wallRefresh is how many wall ticks pass before the wall is sent
	// again even without news, so that its time left moves.
	wallRefresh = 30
	// maxRosterBytes bounds a pasted roster.
	maxRosterBytes = 256 << 10
)

const (
	wallPath          = "/instructor/wall"
	announcementsPath = "/instructor/announcements"
)

// workshopRoutes mounts the workshop day's pages, behind the same
// session (s) and sign-in (a) middleware as every other page.
func (h *Instructor) workshopRoutes(g *echo.Group, s, a echo.MiddlewareFunc) {
	if h.cfg.Workshop == nil {
		return
	}
	g.GET("/wall", h.wall, s, a)
	g.GET("/wall/live", h.wallLive, s, a)
	g.GET("/announcements", h.announcements, s, a)
	g.POST("/announcements", h.announce, s, a)
	g.POST("/cohorts/:id/announce", h.announceToCohort, s, a)
	g.POST("/cohorts/:id/event", h.saveEvent, s, a)
	g.POST("/cohorts/:id/event/extend", h.extendEvent, s, a)
	g.POST("/cohorts/:id/roster", h.importRoster, s, a)
}

// publish tells the live views (the wall, players' pages) of a change.
func (h *Instructor) publish(ctx context.Context, e live.Event) {
	if h.cfg.Publish != nil {
		e.At = h.cfg.Now().UTC()
		h.cfg.Publish.Publish(ctx, e)
	}
}

// cohortWorkshop fills the workshop part of a cohort's page from its
// stored event.
func (h *Instructor) cohortWorkshop(ctx context.Context, id int64) (templates.CohortWorkshop, error) {
	if h.cfg.Workshop == nil {
		return templates.CohortWorkshop{}, nil
	}
	ev, err := h.cfg.Workshop.CohortEvent(ctx, id)
	if err != nil {
		return templates.CohortWorkshop{}, err
	}
	zone := ev.TimeZone
	if ev.Start.IsZero() && ev.End.IsZero() && zone == "UTC" {
		zone = "" // never set: the browser fills in its own (workshop.js)
	}
	return templates.CohortWorkshop{
		Event: ev, Now: h.cfg.Now(),
		Start: ev.LocalInput(ev.Start), End: ev.LocalInput(ev.End), TimeZone: zone,
		Failures: strconv.Itoa(ev.Stuck.Failures), Minutes: strconv.Itoa(ev.Stuck.Minutes),
		Walls: map[string]string{
			templates.NamesFull:     templates.WallURL(id, templates.NamesFull),
			templates.NamesInitials: templates.WallURL(id, templates.NamesInitials),
			templates.NamesHidden:   templates.WallURL(id, templates.NamesHidden),
		},
	}, nil
}

// saveEvent sets a cohort's event window and stuck rule. A refused form
// re-renders the page (422) and changes nothing.
func (h *Instructor) saveEvent(c echo.Context) error {
	props, err := h.cohortProps(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	form, ferr := readForm(c, "stuck_failures", "stuck_minutes")
	w := &props.Workshop
	if ferr != nil {
		w.Error = ferr.messageID
		return render(c, http.StatusUnprocessableEntity, templates.CohortPage(props))
	}
	w.Start, w.End, w.TimeZone = form.Get("start"), form.Get("end"), form.Get("time_zone")
	w.Failures, w.Minutes = form.Get("stuck_failures"), form.Get("stuck_minutes")
	failures, ferr1 := strconv.Atoi(strings.TrimSpace(w.Failures))
	minutes, ferr2 := strconv.Atoi(strings.TrimSpace(w.Minutes))
	ev, err := quest.ParseEvent(props.Cohort.ID, quest.EventForm{Start: w.Start, End: w.End, TimeZone: w.TimeZone,
		StuckFailures: failures, StuckMin: minutes})
	if ferr1 != nil || ferr2 != nil {
		err = &quest.EventError{Problem: quest.EventBadStuck}
	}
	if ee, ok := errors.AsType[*quest.EventError](err); ok {
		w.Error = "workshop.event.error." + ee.Problem
		return render(c, http.StatusUnprocessableEntity, templates.CohortPage(props))
	}
	if err != nil {
		return err
	}
	if err := h.cfg.Workshop.SaveEvent(ctx, ev); err != nil {
		return err
	}
	h.cfg.Log.InfoContext(ctx, "event window saved", "instructor", instructorOf(c).ID, "cohort", ev.CohortID)
	h.publish(ctx, live.Event{Kind: live.EventWindow, CohortID: ev.CohortID})
	return c.Redirect(http.StatusSeeOther, cohortURL(ev.CohortID)+"?event=saved")
}

// extendEvent moves a cohort's event end, live: players in the middle of
// an attempt keep playing, the wall shows the new time left.
func (h *Instructor) extendEvent(c echo.Context) error {
	props, err := h.cohortProps(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	form, ferr := readForm(c, "minutes")
	w := &props.Workshop
	if ferr != nil {
		w.Error = ferr.messageID
		return render(c, http.StatusUnprocessableEntity, templates.CohortPage(props))
	}
	m, err := strconv.Atoi(strings.TrimSpace(form.Get("minutes")))
	if err != nil {
		m = 0
	}
	ev, err := w.Event.Extend(time.Duration(m)*time.Minute, h.cfg.Now())
	if ee, ok := errors.AsType[*quest.EventError](err); ok {
		w.Error = "workshop.event.error." + ee.Problem
		return render(c, http.StatusUnprocessableEntity, templates.CohortPage(props))
	}
	if err := h.cfg.Workshop.SaveEvent(ctx, ev); err != nil {
		return err
	}
	h.cfg.Log.InfoContext(ctx, "event extended", "instructor", instructorOf(c).ID, "cohort", ev.CohortID, "minutes", m)
	h.publish(ctx, live.Event{Kind: live.EventWindow, CohortID: ev.CohortID})
	return c.Redirect(http.StatusSeeOther, cohortURL(ev.CohortID)+"?event=extended")
}

// announcementsProps lists every announcement, and the cohorts one may
// go to.
func (h *Instructor) announcementsProps(ctx context.Context) (templates.AnnouncementsProps, error) {
	list, err := h.cfg.Workshop.AllAnnouncements(ctx, 0, listedAnnouncements)
	if err != nil {
		return templates.AnnouncementsProps{}, err
	}
	cohorts, err := h.cfg.Data.ListCohorts(ctx)
	if err != nil {
		return templates.AnnouncementsProps{}, err
	}
	return templates.AnnouncementsProps{Announcements: list, Cohorts: cohorts}, nil
}

// announcements lists every announcement with who sent it.
func (h *Instructor) announcements(c echo.Context) error {
	props, err := h.announcementsProps(c.Request().Context())
	if err != nil {
		return err
	}
	if c.QueryParam("sent") != "" {
		props.Notice = "workshop.notice.announced"
	}
	return render(c, http.StatusOK, templates.AnnouncementsPage(props))
}

// sendAnnouncement checks and stores an announcement and tells the
// players' pages; the message id says why a refused one was.
func (h *Instructor) sendAnnouncement(c echo.Context, cohortID int64, body string) (string, error) {
	ctx := c.Request().Context()
	text, err := quest.ParseAnnouncement(body)
	if ae, ok := errors.AsType[*quest.AnnouncementError](err); ok {
		return "workshop.announce.error." + ae.Problem, nil
	}
	a, err := h.cfg.Workshop.AddAnnouncement(ctx, quest.Announcement{CohortID: cohortID, InstructorID: instructorOf(c).ID, Body: text})
	if errors.Is(err, quest.ErrNotFound) {
		return "cohorts.filter.error", nil
	}
	if err != nil {
		return "", err
	}
	h.cfg.Log.InfoContext(ctx, "announcement sent", "instructor", a.InstructorID, "cohort", cohortID, "announcement", a.ID)
	h.publish(ctx, live.Event{Kind: live.Announcement, AnnouncementID: a.ID, CohortID: cohortID})
	return "", nil
}

// announce sends an announcement to a cohort, or to everyone.
func (h *Instructor) announce(c echo.Context) error {
	ctx := c.Request().Context()
	props, err := h.announcementsProps(ctx)
	if err != nil {
		return err
	}
	form, ferr := readForm(c, "body")
	if ferr != nil {
		props.Error = ferr.messageID
		return render(c, http.StatusUnprocessableEntity, templates.AnnouncementsPage(props))
	}
	props.Cohort, props.Body = form.Get("cohort"), form.Get("body")
	cohortID, problem, err := h.parseCohort(ctx, props.Cohort)
	if err != nil {
		return err
	}
	if problem == "" {
		problem, err = h.sendAnnouncement(c, cohortID, props.Body)
		if err != nil {
			return err
		}
	}
	if problem != "" {
		props.Error = problem
		return render(c, http.StatusUnprocessableEntity, templates.AnnouncementsPage(props))
	}
	return c.Redirect(http.StatusSeeOther, announcementsPath+"?sent=1")
}

// announceToCohort sends an announcement from a cohort's page.
func (h *Instructor) announceToCohort(c echo.Context) error {
	props, err := h.cohortProps(c)
	if err != nil {
		return err
	}
	form, ferr := readForm(c, "body")
	w := &props.Workshop
	if ferr != nil {
		w.AnnounceError = ferr.messageID
		return render(c, http.StatusUnprocessableEntity, templates.CohortPage(props))
	}
	w.Announcement = form.Get("body")
	problem, err := h.sendAnnouncement(c, props.Cohort.ID, w.Announcement)
	if err != nil {
		return err
	}
	if problem != "" {
		w.AnnounceError = problem
		return render(c, http.StatusUnprocessableEntity, templates.CohortPage(props))
	}
	return c.Redirect(http.StatusSeeOther, cohortURL(props.Cohort.ID)+"?announced=1")
}

// rosterError is a refused roster: its message id and data.
type rosterError struct {
	id   string
	data map[string]any
}

// parseRoster reads a pasted roster: one participant a line, a display
// name then optionally an e-mail, comma-separated (a header line naming
// the columns is skipped, blank lines ignored). Nothing is imported
// unless every line is right.
func parseRoster(text string) ([]quest.RosterLine, *rosterError) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var lines []quest.RosterLine
	seen := map[quest.RosterLine]bool{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			if pe, ok := errors.AsType[*csv.ParseError](err); ok {
				line = pe.Line
			}
			return nil, &rosterError{"workshop.roster.error.csv", map[string]any{"Line": line}}
		}
		if len(rec) == 0 || (len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
			continue
		}
		if len(lines) == 0 && line == 1 && slices.Contains([]string{"name", "display_name", "nom"}, strings.ToLower(strings.TrimSpace(rec[0]))) {
			continue
		}
		if len(rec) > 2 {
			return nil, &rosterError{"workshop.roster.error.csv", map[string]any{"Line": line}}
		}
		name, err := quest.ParseDisplayName(rec[0])
		if err != nil {
			return nil, &rosterError{"workshop.roster.error.name", map[string]any{"Line": line}}
		}
		l := quest.RosterLine{Name: name}
		if len(rec) == 2 {
			if e := strings.TrimSpace(rec[1]); e != "" {
				a, err := mail.ParseAddress(e)
				if err != nil || a.Address != e || len(e) > quest.MaxEmail {
					return nil, &rosterError{"workshop.roster.error.email", map[string]any{"Line": line}}
				}
				l.Email = e
			}
		}
		if seen[l] {
			continue
		}
		seen[l] = true
		lines = append(lines, l)
		if len(lines) > quest.MaxRosterLines {
			return nil, &rosterError{"workshop.roster.error.too_many", map[string]any{"Max": quest.MaxRosterLines}}
		}
	}
	if len(lines) == 0 {
		return nil, &rosterError{"workshop.roster.error.empty", nil}
	}
	return lines, nil
}

// importRoster adds a pasted roster to a cohort and answers a CSV file
// with one personal join link per line. Importing the same list again
// gives the same links.
func (h *Instructor) importRoster(c echo.Context) error {
	props, err := h.cohortProps(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	w := &props.Workshop
	form, ferr := readForm(c, "roster")
	if ferr != nil {
		w.RosterError = ferr.messageID
		return render(c, http.StatusUnprocessableEntity, templates.CohortPage(props))
	}
	text := form.Get("roster")
	if len(text) > maxRosterBytes {
		w.RosterError, w.RosterData = "workshop.roster.error.too_many", map[string]any{"Max": quest.MaxRosterLines}
		return render(c, http.StatusUnprocessableEntity, templates.CohortPage(props))
	}
	lines, rerr := parseRoster(text)
	if rerr != nil {
		w.Roster, w.RosterError, w.RosterData = text, rerr.id, rerr.data
		return render(c, http.StatusUnprocessableEntity, templates.CohortPage(props))
	}
	saved, err := h.cfg.Workshop.ImportRoster(ctx, props.Cohort.ID, lines)
	if err != nil {
		return err
	}
	h.cfg.Log.InfoContext(ctx, "roster imported", "instructor", instructorOf(c).ID, "cohort", props.Cohort.ID, "lines", len(saved))
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	_ = cw.Write([]string{"name", "email", "link"})
	base := strings.TrimRight(h.cfg.PublicURL, "/")
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	for _, l := range saved {
		_ = cw.Write([]string{csvSafe(l.Name), csvSafe(l.Email), base + quest.RosterPath(l.Token)})
	}
	cw.Flush()
	name := fmt.Sprintf("roster-%d.csv", props.Cohort.ID)
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// stuck returns who is stuck in a cohort under its rule, now: the
// stuckRows most recent and how many in all.
func (h *Instructor) stuck(ctx context.Context, cohortID int64, rule quest.StuckRule) ([]quest.Stuck, int, error) {
	now := h.cfg.Now()
	return h.cfg.Workshop.StuckIn(ctx, cohortID, rule, now.Add(-stuckWindow), now, stuckRows)
}

// stuckView is the progress view's list of stuck players, for one cohort.
func (h *Instructor) stuckView(ctx context.Context, cohortID int64) (templates.StuckView, error) {
	if h.cfg.Workshop == nil || cohortID == 0 {
		return templates.StuckView{}, nil
	}
	ev, err := h.cfg.Workshop.CohortEvent(ctx, cohortID)
	if err != nil {
		return templates.StuckView{}, err
	}
	list, total, err := h.stuck(ctx, cohortID, ev.Stuck)
	if err != nil {
		return templates.StuckView{}, err
	}
	v := templates.StuckView{Shown: true, Rule: ev.Stuck, Total: total}
	cat := h.cfg.Quests.Catalog()
	for _, s := range list {
		o, _ := cat.Get(s.ObjectiveID)
		v.Rows = append(v.Rows, templates.StuckRow{Stuck: s, Objective: o, PlayerURL: "/instructor/players/" + s.PlayerID,
			AttemptsURL: withQuery(submissionsPath, url.Values{qPlayer: {s.PlayerID}, qObjective: {s.ObjectiveID}})})
	}
	return v, nil
}

// hintRows are a player's hint reveals for the instructors.
func (h *Instructor) hintRows(ctx context.Context, playerID string) ([]templates.HintRevealRow, error) {
	if h.cfg.Workshop == nil {
		return nil, nil
	}
	list, err := h.cfg.Workshop.HintReveals(ctx, playerID, "")
	if err != nil {
		return nil, err
	}
	rows := make([]templates.HintRevealRow, 0, len(list))
	for _, r := range list {
		o, _ := h.cfg.Quests.Catalog().Get(r.ObjectiveID)
		rows = append(rows, templates.HintRevealRow{HintReveal: r, Objective: o, PlayerURL: "/instructor/players/" + r.PlayerID})
	}
	return rows, nil
}

// wallCohort reads the wall's cohort, which it needs: 404 otherwise.
func (h *Instructor) wallCohort(c echo.Context) (quest.Cohort, string, error) {
	ctx := c.Request().Context()
	id, problem, err := h.parseCohort(ctx, c.QueryParam(qCohort))
	if err != nil {
		return quest.Cohort{}, "", err
	}
	if problem != "" || id == 0 {
		return quest.Cohort{}, "", echo.NewHTTPError(http.StatusNotFound)
	}
	co, err := h.cfg.Data.Cohort(ctx, id)
	if err != nil {
		return quest.Cohort{}, "", err
	}
	return co, templates.ParseNames(c.QueryParam("names")), nil
}

// wallProps reads what the wall shows of a cohort.
func (h *Instructor) wallProps(ctx context.Context, co quest.Cohort, names string) (templates.WallProps, error) {
	cat := h.cfg.Quests.Catalog()
	objectives := cat.All()
	var rows []quest.ProgressRow
	if err := h.cfg.Data.EachProgress(ctx, co.ID, func(r quest.ProgressRow) error { rows = append(rows, r); return nil }); err != nil {
		return templates.WallProps{}, err
	}
	ev, err := h.cfg.Workshop.CohortEvent(ctx, co.ID)
	if err != nil {
		return templates.WallProps{}, err
	}
	p := templates.WallProps{Cohort: co, Names: names, Players: len(rows), Event: ev, Now: h.cfg.Now(),
		LiveURL: wallPath + "/live?" + url.Values{qCohort: {strconv.FormatInt(co.ID, 10)}, "names": {names}}.Encode()}
	var all []templates.WallCompletion
	for _, o := range objectives {
		bar := templates.WallBar{Objective: o}
		var first *templates.WallCompletion
		for _, r := range rows {
			a := r.Objectives[o.ID].Award
			if a.CreatedAt.IsZero() {
				continue
			}
			bar.Done++
			done := templates.WallCompletion{PlayerName: r.Player.DisplayName, Objective: o, At: a.CreatedAt}
			all = append(all, done)
			if first == nil || a.CreatedAt.Before(first.At) {
				first = &done
			}
		}
		if len(rows) > 0 {
			bar.Percent = bar.Done * 100 / len(rows)
		}
		p.Bars = append(p.Bars, bar)
		if first != nil {
			p.Firsts = append(p.Firsts, *first)
		}
	}
	slices.SortStableFunc(all, func(a, b templates.WallCompletion) int { return b.At.Compare(a.At) })
	p.Ticker = all[:min(len(all), wallTicker)]
	if names == templates.NamesHidden {
		_, stuck, err := h.stuck(ctx, co.ID, ev.Stuck)
		if err != nil {
			return templates.WallProps{}, err
		}
		p.Stuck = stuck
	}
	return p, nil
}

// wall is the projector's wall of a cohort.
func (h *Instructor) wall(c echo.Context) error {
	co, names, err := h.wallCohort(c)
	if err != nil {
		return err
	}
	p, err := h.wallProps(c.Request().Context(), co, names)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.WallPage(p))
}

// wallLive sends the wall's body again when something changed it (a
// submission or regrade of the cohort's players, its event window), at
// most once per WallEvery, and every wallRefresh ticks regardless so that
// the time left moves.
func (h *Instructor) wallLive(c echo.Context) error {
	co, names, err := h.wallCohort(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel()
	events := h.cfg.Live.Subscribe(ctx)
	s := startSSE(c)
	if err := s.comment("questgate live wall"); err != nil {
		return nil
	}
	tick := time.NewTicker(h.cfg.WallEvery)
	defer tick.Stop()
	changed, ticks := false, 0
	return h.run(c, s, events, func(ev live.Event) error {
		if changed {
			return nil
		}
		switch ev.Kind {
		case live.EventWindow:
			changed = ev.CohortID == co.ID
		case live.Submission, live.Regrade:
			changed = h.concerns(ctx, ev, co.ID)
		}
		return nil
	}, tick.C, func() error {
		ticks++
		if !changed && ticks < wallRefresh {
			return nil
		}
		changed, ticks = false, 0
		p, err := h.wallProps(ctx, co, names)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := templates.WallBody(p).Render(ctx, &b); err != nil {
			return err
		}
		return s.send("wall", "", b.String())
	})
}

// workshopNotice is the message id of what the workshop forms of a
// cohort's page just did, or notice when none.
func workshopNotice(c echo.Context, notice string) string {
	switch {
	case c.QueryParam("event") == "saved":
		return "workshop.notice.event_saved"
	case c.QueryParam("event") == "extended":
		return "workshop.notice.extended"
	case c.QueryParam("announced") != "":
		return "workshop.notice.announced"
	}
	return notice
}
