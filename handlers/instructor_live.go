package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/live"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// maxCatchUp bounds how many missed submissions a (re)connecting live
// view is sent at once; past that, reloading the page is the way.
const maxCatchUp = 200

// sseStream is one server-sent events response.
type sseStream struct {
	w  io.Writer
	rc *http.ResponseController
}

// startSSE answers with an event stream. The server's write timeout would
// cut a long-lived stream, so it is lifted for this response.
func startSSE(c echo.Context) *sseStream {
	rc := http.NewResponseController(c.Response())
	_ = rc.SetWriteDeadline(time.Time{})
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// Proxies such as nginx buffer responses unless told not to.
	h.Set("X-Accel-Buffering", "no")
	c.Response().WriteHeader(http.StatusOK)
	return &sseStream{w: c.Response(), rc: rc}
}

// stoppingKey is where WithStopping leaves the server's stopping signal.
type stoppingKey struct{}

// WithStopping returns ctx carrying stopping, which the server closes
// when it begins to shut down. Live views end then (their browsers
// reconnect, to another instance or after the restart), so shutdown waits
// only for the requests that have an answer to finish.
func WithStopping(ctx context.Context, stopping <-chan struct{}) context.Context {
	return context.WithValue(ctx, stoppingKey{}, stopping)
}

// Stopping returns the channel WithStopping put in ctx, or nil (which
// never closes) when there is none.
func Stopping(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(stoppingKey{}).(<-chan struct{})
	return ch
}

// errClientGone is what writing to a stream whose browser left returns:
// the end of a live view, not a failure worth logging.
var errClientGone = errors.New("the browser left the live view")

// comment sends a line EventSource ignores: a heartbeat, a hello.
func (s *sseStream) comment(text string) error {
	if _, err := fmt.Fprintf(s.w, ": %s\n\n", text); err != nil {
		return fmt.Errorf("%w: %w", errClientGone, err)
	}
	return s.flush()
}

// flush sends what was written so far.
func (s *sseStream) flush() error {
	if err := s.rc.Flush(); err != nil {
		return fmt.Errorf("%w: %w", errClientGone, err)
	}
	return nil
}

// send sends one event. Data may hold any line breaks: each line gets its
// own "data:" field, and EventSource joins them back with "\n".
func (s *sseStream) send(event, id, data string) error {
	var b strings.Builder
	b.WriteString("event: " + event + "\n")
	if id != "" {
		b.WriteString("id: " + id + "\n")
	}
	data = strings.ReplaceAll(strings.ReplaceAll(data, "\r\n", "\n"), "\r", "\n")
	for line := range strings.SplitSeq(data, "\n") {
		b.WriteString("data: " + line + "\n")
	}
	b.WriteString("\n")
	if _, err := io.WriteString(s.w, b.String()); err != nil {
		return fmt.Errorf("%w: %w", errClientGone, err)
	}
	return s.flush()
}

// run keeps a live view open until the browser leaves, the server stops
// (see WithStopping), the instructor is no longer signed in (checked at
// every heartbeat), the feed ends, or a handler fails: each event goes to
// onEvent, and each tick of tick (nil: none) to onTick.
func (h *Instructor) run(c echo.Context, s *sseStream, events <-chan live.Event, onEvent func(live.Event) error,
	tick <-chan time.Time, onTick func() error) error {
	loop := streamLoop{heartbeats: h.cfg.Heartbeats, alive: func() bool { return h.stillSignedIn(c) },
		onEvent: onEvent, tick: tick, onTick: onTick}
	if err := loop.run(c.Request().Context(), s, events); err != nil {
		return h.liveFailed(c.Request().Context(), err)
	}
	return nil
}

// streamLoop is what one server-sent-events stream does with what wakes
// it, shared by the instructors' live views and the players' announcements
// so that both stop, beat and fail alike.
type streamLoop struct {
	// heartbeats gives the ticker of the comments sent so that proxies
	// keep the connection, and the function that stops it.
	heartbeats func() (<-chan time.Time, func())
	// alive is asked at each heartbeat; false ends the stream (nil: always).
	alive func() bool
	// onEvent is given each event of the feed.
	onEvent func(live.Event) error
	// tick (nil: none) wakes onTick.
	tick   <-chan time.Time
	onTick func() error
}

// run keeps the stream open until the browser leaves, the server stops
// (see WithStopping), alive says no, the feed ends (all nil), or sending
// fails (that error).
func (l streamLoop) run(ctx context.Context, s *sseStream, events <-chan live.Event) error {
	heartbeat, stop := l.heartbeats()
	defer stop()
	stopping := Stopping(ctx)
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-stopping:
			return nil
		case <-heartbeat:
			if l.alive != nil && !l.alive() {
				return nil
			}
			err = s.comment("heartbeat")
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			err = l.onEvent(ev)
		case <-l.tick:
			err = l.onTick()
		}
		if err != nil {
			return err
		}
	}
}

// submissionsLive streams the submissions that match the view's filters
// as they are recorded, each as a table row rendered like the page's. It
// first sends what was recorded since the row the page (or, on reconnect,
// the stream) showed last, so nothing falls in between.
func (h *Instructor) submissionsLive(c echo.Context) error {
	ctx := c.Request().Context()
	sq := parseSubmissionQuery(h.cfg.Quests.Catalog(), c.QueryParams())
	if err := h.resolveCohort(ctx, &sq); err != nil {
		return err
	}
	if len(sq.errors) > 0 {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	// from is the newest id the page showed (0 for an empty page); a
	// reconnecting EventSource says which row it received last.
	after := int64(-1)
	if id, err := strconv.ParseInt(c.QueryParam(qFrom), 10, 64); err == nil && id >= 0 {
		after = id
	}
	if id, err := strconv.ParseInt(c.Request().Header.Get("Last-Event-ID"), 10, 64); err == nil && id > after {
		after = id
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := h.cfg.Live.Subscribe(ctx)
	s := startSSE(c)
	if err := s.comment("questgate live submissions"); err != nil {
		return nil
	}
	sent := map[int64]bool{}
	if after >= 0 {
		missed, err := h.catchUp(ctx, sq.filter, after)
		if err != nil {
			return h.liveFailed(ctx, err)
		}
		// Oldest first: each row goes on top of the previous one.
		for i := len(missed) - 1; i >= 0; i-- {
			if err := h.sendRow(ctx, s, missed[i]); err != nil {
				return h.liveFailed(ctx, err)
			}
			sent[missed[i].ID] = true
		}
	}
	return h.run(c, s, events, func(ev live.Event) error {
		if ev.Kind != live.Submission || sent[ev.SubmissionID] {
			return nil
		}
		row, err := h.cfg.Data.AnySubmission(ctx, ev.SubmissionID)
		if errors.Is(err, quest.ErrNotFound) {
			return nil // erased since: its player was deleted
		}
		if err != nil || !sq.filter.Matches(row) {
			return err
		}
		return h.sendRow(ctx, s, row)
	}, nil, nil)
}

// catchUp returns what matches f above after, newest first: the newest
// maxCatchUp of them, should the gap be longer.
func (h *Instructor) catchUp(ctx context.Context, f quest.SubmissionFilter, after int64) ([]quest.SubmissionRow, error) {
	rows, err := h.cfg.Data.ListSubmissions(ctx, f, 0, maxCatchUp)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		if r.ID <= after {
			return rows[:i], nil
		}
	}
	return rows, nil
}

// sendRow sends a submission as the view's table row, id included so that
// a reconnecting EventSource says where it stopped.
func (h *Instructor) sendRow(ctx context.Context, s *sseStream, row quest.SubmissionRow) error {
	var b bytes.Buffer
	if err := templates.SubmissionRow(h.view([]quest.SubmissionRow{row})[0]).Render(ctx, &b); err != nil {
		return err
	}
	return s.send("submission", strconv.FormatInt(row.ID, 10), b.String())
}

// stillSignedIn re-checks, at each heartbeat, that the stream's browser
// is still signed in as its instructor: signing out, the end of the
// sign-in (InstructorSignIn) and removing the instructor all end their
// open live views. The request's session was read once, when the stream
// began, so it is read again from the store under the same token: signing
// out renews the token, and the old one then names no session. Nothing is
// written: this request's session, committed when the stream ends, stays
// as it was read.
func (h *Instructor) stillSignedIn(c echo.Context) bool {
	ctx := c.Request().Context()
	// A context without this request's session, else Load returns it.
	fresh, err := h.sm.Load(context.Background(), h.sm.Token(ctx))
	if err != nil {
		h.cfg.Log.WarnContext(ctx, "live view: reading the session failed, stream ended", "error", err)
		return false
	}
	id := instructorOf(c).ID
	if id == 0 || h.sm.GetInt64(fresh, instructorSessionKey) != id || h.cfg.Now().Unix() >= h.sm.GetInt64(fresh, instructorUntilKey) {
		return false
	}
	in, err := h.cfg.Data.Instructor(ctx, id)
	return err == nil && in.ID != 0
}

// concerns reports whether an event changes the progress of cohortID
// (every cohort for 0). A player erased or whose cohort cannot be read
// counts as a change: a needless refresh costs less than a stale view.
func (h *Instructor) concerns(ctx context.Context, ev live.Event, cohortID int64) bool {
	if cohortID == 0 {
		return true
	}
	p, err := h.cfg.Data.Player(ctx, ev.PlayerID)
	return err != nil || p.CohortID == cohortID
}

// liveFailed ends a stream that broke: the response has started, so the
// error is logged here rather than by the error handler; a browser that
// left is no failure.
func (h *Instructor) liveFailed(ctx context.Context, err error) error {
	if ctx.Err() == nil && !errors.Is(err, errClientGone) {
		h.cfg.Log.ErrorContext(ctx, "live view broke off", "error", err)
	}
	return nil
}
