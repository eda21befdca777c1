package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/live"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// The progress view's query parameters: a name to find, a state, a page.
const (
	qName  = "q"
	qState = "state"
	qPage  = "page"
)

// progressPageSize is how many players one page of the progress list
// shows: an instructor reads 50 rows; 10,000 would be 40 MB of HTML.
const progressPageSize = 50

// maxLiveRows bounds how many players' rows one tick of the live view
// sends; the counts always go.
const maxLiveRows = 100

// progressQuery is the progress view's parsed address.
type progressQuery struct {
	cohortID int64
	// cohort, name and state are as typed, for the form; problem is the
	// message id of a cohort that cannot be shown.
	cohort, name, state, problem string
	q                            quest.ProgressQuery
	page                         int
}

// values is the address of the view's filters (the page aside).
func (pq progressQuery) values() url.Values {
	v := url.Values{}
	if pq.cohortID != 0 {
		v.Set(qCohort, strconv.FormatInt(pq.cohortID, 10))
	}
	if pq.q.Name != "" {
		v.Set(qName, pq.q.Name)
	}
	if pq.q.State != "" {
		v.Set(qState, string(pq.q.State))
	}
	return v
}

// parseProgressQuery reads the view's filters: an unknown state shows
// everyone, a name is cut to quest.MaxProgressSearch bytes, a page below 1
// is the first.
func (h *Instructor) parseProgressQuery(c echo.Context) (progressQuery, error) {
	ctx := c.Request().Context()
	pq := progressQuery{cohort: strings.TrimSpace(c.QueryParam(qCohort)), page: 1}
	id, problem, err := h.parseCohort(ctx, pq.cohort)
	if err != nil {
		return pq, err
	}
	pq.cohortID, pq.problem = id, problem
	name := strings.TrimSpace(c.QueryParam(qName))
	if len(name) > quest.MaxProgressSearch {
		name = name[:quest.MaxProgressSearch]
	}
	// A cut rune or bytes that are not UTF-8 are dropped.
	name = strings.ToValidUTF8(name, "")
	pq.name = name
	if st, ok := quest.ParseProgressState(c.QueryParam(qState)); ok {
		pq.q.State, pq.state = st, string(st)
	}
	if n, err := strconv.Atoi(c.QueryParam(qPage)); err == nil && n > 1 && n <= 1_000_000 {
		pq.page = n
	}
	pq.q.CohortID, pq.q.Name = pq.cohortID, name
	pq.q.Objectives = len(h.cfg.Quests.Catalog().All())
	pq.q.Limit, pq.q.Offset = progressPageSize, (pq.page-1)*progressPageSize
	return pq, nil
}

// progress is the progress view: the counts per objective and per state,
// then one page of players, stuck first, found by name and filtered by
// cohort and state.
func (h *Instructor) progress(c echo.Context) error {
	props, err := h.progressProps(c)
	if err != nil {
		return err
	}
	if props.CohortError != "" {
		return render(c, http.StatusBadRequest, templates.ProgressPage(props))
	}
	if c.QueryParam("deleted") != "" {
		props.Notice = "instructor.player.deleted"
	}
	return render(c, http.StatusOK, templates.ProgressPage(props))
}

func (h *Instructor) progressProps(c echo.Context) (templates.ProgressProps, error) {
	ctx := c.Request().Context()
	objectives := h.cfg.Quests.Catalog().All()
	cohorts, err := h.cfg.Data.ListCohorts(ctx)
	if err != nil {
		return templates.ProgressProps{}, err
	}
	pq, err := h.parseProgressQuery(c)
	if err != nil {
		return templates.ProgressProps{}, err
	}
	v := pq.values()
	props := templates.ProgressProps{
		Objectives:  objectives,
		Cohorts:     cohorts,
		Cohort:      pq.cohort,
		CohortError: pq.problem,
		Name:        pq.name,
		State:       pq.state,
		Page:        pq.page,
		PageSize:    progressPageSize,
		Path:        withQuery(progressPath, v),
		LiveURL:     withQuery(progressPath+"/live", v),
		ExportURL:   progressPath + ".csv",
	}
	if pq.problem != "" {
		return props, nil
	}
	if pq.cohortID != 0 {
		props.ExportURL = withQuery(progressPath+".csv", url.Values{qCohort: {strconv.FormatInt(pq.cohortID, 10)}})
	}
	if props.Summary, props.Rows, props.Total, err = h.cfg.Data.ProgressView(ctx, pq.q, objectiveIDs(objectives)); err != nil {
		return templates.ProgressProps{}, err
	}
	if pq.page > 1 {
		props.Path = withQuery(progressPath, v, qPage, strconv.Itoa(pq.page))
		props.PrevURL = withQuery(progressPath, v, qPage, strconv.Itoa(pq.page-1))
	}
	if pq.page*progressPageSize < props.Total {
		props.NextURL = withQuery(progressPath, v, qPage, strconv.Itoa(pq.page+1))
	}
	if props.Stuck, err = h.stuckView(ctx, pq.cohortID); err != nil {
		return templates.ProgressProps{}, err
	}
	return props, nil
}

// progressDelta is one player's changed row, as the live view sends it.
type progressDelta struct {
	Player string `json:"player"`
	State  string `json:"state"`
	HTML   string `json:"html"`
}

// progressCounts are the changed counts, as the live view sends them.
type progressCounts struct {
	Players    int                         `json:"players"`
	States     map[quest.ProgressState]int `json:"states"`
	Objectives map[string]objectiveCounts  `json:"objectives"`
}

// objectiveCounts are one objective's counts in a progressCounts.
type objectiveCounts struct {
	Done       int `json:"done"`
	Failing    int `json:"failing"`
	NotStarted int `json:"not_started"`
	Stuck      int `json:"stuck"`
}

// progressLive sends what changed on the progress view: per tick of
// ProgressEvery (2 s by default), the rows of the players who made an
// attempt or were regraded since (one "player" event each, however many
// attempts they made, at most maxLiveRows) and, when anything changed,
// the counts ("summary"). A view of one cohort only hears of its own
// players; the page patches the rows it shows and always the counts.
func (h *Instructor) progressLive(c echo.Context) error {
	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel()
	pq, err := h.parseProgressQuery(c)
	if err != nil {
		return err
	}
	if pq.problem != "" {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	events := h.cfg.Live.Subscribe(ctx)
	s := startSSE(c)
	if err := s.comment("questgate live progress"); err != nil {
		return nil
	}
	tick := time.NewTicker(h.cfg.ProgressEvery)
	defer tick.Stop()
	objectives := h.cfg.Quests.Catalog().All()
	changed := map[string]bool{}
	return h.run(c, s, events, func(ev live.Event) error {
		if (ev.Kind != live.Submission && ev.Kind != live.Regrade) || ev.PlayerID == "" || changed[ev.PlayerID] {
			return nil
		}
		if len(changed) < maxLiveRows && h.concerns(ctx, ev, pq.cohortID) {
			changed[ev.PlayerID] = true
		}
		return nil
	}, tick.C, func() error {
		if len(changed) == 0 {
			return nil
		}
		for id := range changed {
			delete(changed, id)
			row, err := h.cfg.Data.ProgressOf(ctx, id, len(objectives))
			if errors.Is(err, quest.ErrNotFound) {
				continue // erased since
			}
			if err != nil {
				return err
			}
			var b bytes.Buffer
			if err := templates.ProgressPlayerRow(objectives, row).Render(ctx, &b); err != nil {
				return err
			}
			data, err := json.Marshal(progressDelta{Player: id, State: string(row.State), HTML: b.String()})
			if err != nil {
				return err
			}
			if err := s.send("player", "", string(data)); err != nil {
				return err
			}
		}
		sum, err := h.cfg.Data.ProgressSummary(ctx, pq.cohortID, objectiveIDs(objectives))
		if err != nil {
			return err
		}
		counts := progressCounts{Players: sum.Players, States: sum.States, Objectives: map[string]objectiveCounts{}}
		for id, st := range sum.Stats {
			counts.Objectives[id] = objectiveCounts{Done: st.Done, Failing: st.Failing, NotStarted: st.NotStarted, Stuck: st.Stuck}
		}
		data, err := json.Marshal(counts)
		if err != nil {
			return err
		}
		return s.send("summary", "", string(data))
	})
}
