package handlers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/questgate/questgate/handlers"
	"github.com/questgate/questgate/internal/testkit/fakeclock"
	"github.com/questgate/questgate/quest"
)

// sseEvent is one server-sent event as a client reads it.
type sseEvent struct {
	name, id, data string
}

// stream is an open event stream read in the background.
type stream struct {
	events   chan sseEvent
	comments chan string
	close    func()
}

// openStream opens path as an EventSource would, with the client's
// cookies, and returns once the server has said hello (it subscribes
// before it does), so what the test does next is seen.
func (e *ienv) openStream(path string, headers ...string) *stream {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	setHeaders(req, headers)
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		e.t.Fatalf("stream %s: status %d, %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &stream{events: make(chan sseEvent, 16), comments: make(chan string, 16),
		close: func() { cancel(); resp.Body.Close() }}
	e.t.Cleanup(s.close)
	go func() {
		defer close(s.events)
		r := bufio.NewReader(resp.Body)
		var ev sseEvent
		var data []string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if ev.name != "" {
					ev.data = strings.Join(data, "\n")
					s.events <- ev
				}
				ev, data = sseEvent{}, nil
			case strings.HasPrefix(line, ":"):
				select {
				case s.comments <- strings.TrimSpace(line[1:]):
				default:
				}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "id: "):
				ev.id = line[len("id: "):]
			case strings.HasPrefix(line, "data: "):
				data = append(data, line[len("data: "):])
			}
		}
	}()
	select {
	case <-s.comments:
	case <-time.After(10 * time.Second):
		e.t.Fatal("the stream never said hello")
	}
	return s
}

// next returns the next event, failing the test if none comes.
func (s *stream) next(t *testing.T) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event came")
	}
	return sseEvent{}
}

// row parses a submission event's row.
func row(t *testing.T, ev sseEvent) *goquery.Selection {
	t.Helper()
	if ev.name != "submission" {
		t.Fatalf("event %q, want submission", ev.name)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader("<table><tbody>" + ev.data + "</tbody></table>"))
	if err != nil {
		t.Fatal(err)
	}
	r := doc.Find(`[data-testid="submission"]`)
	if r.Length() != 1 {
		t.Fatalf("event holds %d rows: %s", r.Length(), ev.data)
	}
	return r
}

func TestLiveSubmissionsArriveFiltered(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	ada, adaID := e.newPlayer()
	bob, bobID := e.newPlayer()
	e.twilio.verify = passing("my own words")
	e.signIn()

	page := e.get("/instructor/submissions?player=" + bobID)
	live := page.attr("live", "sse-connect")
	if live == "" || page.doc.Find(`#submission-rows[sse-swap="submission"]`).Length() != 1 {
		t.Fatalf("the first page does not stream: %q", live)
	}
	s := e.openStream(live)

	// Ada's attempt does not match the view's filter; Bob's does, and it
	// arrives through a real HACK, rendered like the page's rows.
	ada.post("/objectives/send-sms/hack", url.Values{"sid": {"SM" + strings.Repeat("a", 32)}})
	bob.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}, "X-Forwarded-For", "203.0.113.9")
	r := row(t, s.next(t))
	if got := r.AttrOr("data-player", ""); got != bobID {
		t.Fatalf("first event is %s's submission, want Bob's (%s)", got, bobID)
	}
	if got := r.AttrOr("data-reason", ""); got != "awarded" {
		t.Errorf("reason %q", got)
	}
	if got := strings.TrimSpace(r.Find(`[data-testid="submission-body"]`).Text()); got != "my own words" {
		t.Errorf("body %q", got)
	}
	if got := strings.TrimSpace(r.Find(`[data-testid="submission-ip"]`).Text()); got != "127.0.0.1" {
		t.Errorf("IP %q, want the player's address", got)
	}
	_ = adaID

	// Leaving closes the subscription on the server.
	ctx := e.subs.last()
	s.close()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Error("the server kept the stream's subscription after the client left")
	}
}

func TestLiveSubmissionsCatchUp(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, pl := e.newPlayer()
	e.signIn()
	shown := e.record(pl, quest.NotFound, "SM1", nil)
	page := e.get("/instructor/submissions")
	live, _ := url.Parse(page.attr("live", "sse-connect"))
	if live.Query().Get("from") != strconv.FormatInt(shown.ID, 10) {
		t.Fatalf("live URL %q does not start after the top row", live)
	}
	// Recorded after the page was read, before its stream started.
	missed := e.record(pl, quest.NotFound, "SM2", nil)
	s := e.openStream(live.String())
	if got := row(t, s.next(t)).AttrOr("data-id", ""); got != strconv.FormatInt(missed.ID, 10) {
		t.Errorf("caught-up row %s, want %d", got, missed.ID)
	}
	s.close()

	// A reconnecting EventSource names the last row it received.
	again := e.record(pl, quest.InvalidSID, "SM3", nil)
	s = e.openStream(live.String(), "Last-Event-ID", strconv.FormatInt(missed.ID, 10))
	ev := s.next(t)
	if got := row(t, ev).AttrOr("data-id", ""); got != strconv.FormatInt(again.ID, 10) || ev.id != got {
		t.Errorf("after reconnecting: row %s (event id %q), want %d", got, ev.id, again.ID)
	}
}

func TestLiveStreamsBeatAndRefresh(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{heartbeat: 10 * time.Millisecond, progressEvery: 10 * time.Millisecond})
	e.signIn()
	s := e.openStream("/instructor/progress/live")
	select {
	case c := <-s.comments:
		if c != "heartbeat" {
			t.Errorf("comment %q", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no heartbeat")
	}
	_, pl := e.newPlayer()
	if err := e.quests.Regrade(context.Background(), quest.Regrade{PlayerID: pl, ObjectiveID: "send-sms",
		InstructorID: e.instructor.ID, Award: true, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	// What changed, not a reload: the player's row, then the counts.
	ev := s.next(t)
	var delta struct{ Player, State, HTML string }
	if err := json.Unmarshal([]byte(ev.data), &delta); ev.name != "player" || err != nil || delta.Player != pl ||
		!strings.Contains(delta.HTML, `data-player="`+pl+`"`) || strings.Contains(delta.HTML, "<html") {
		t.Errorf("event %q %q (%v), want %s's row", ev.name, ev.data, err, pl)
	}
	ev = s.next(t)
	var counts struct {
		Players    int
		Objectives map[string]map[string]int
	}
	if err := json.Unmarshal([]byte(ev.data), &counts); ev.name != "summary" || err != nil || counts.Players != 1 ||
		counts.Objectives["send-sms"]["done"] != 1 {
		t.Errorf("event %q %q (%v), want the counts", ev.name, ev.data, err)
	}
	p := e.get("/instructor/progress")
	if p.attr("live", "data-progress-live") != "/instructor/progress/live" {
		t.Errorf("progress page: live %q", p.attr("live", "data-progress-live"))
	}
}

func TestRemovingAnInstructorEndsTheirLiveViews(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{heartbeat: 10 * time.Millisecond})
	e.signIn()
	s := e.openStream("/instructor/submissions/live")
	if err := e.store.RemoveInstructor(context.Background(), instructorEmail); err != nil {
		t.Fatal(err)
	}
	select {
	case _, open := <-s.events:
		if open {
			t.Error("an event came instead of the end")
		}
	case <-time.After(10 * time.Second):
		t.Error("the stream outlived its instructor")
	}
}

// TestLiveViewsEndWithTheSignIn: a live view re-checks the sign-in at each
// heartbeat, in the session store, and ends when the instructor signed
// out (in this browser or another tab) or the 12 h sign-in is over. The
// test ticks the heartbeat itself, on a fake clock.
func TestLiveViewsEndWithTheSignIn(t *testing.T) {
	for _, path := range []string{"/instructor/submissions/live", "/instructor/progress/live"} {
		for _, tc := range []struct {
			name  string
			then  func(t *testing.T, e *ienv, clock *fakeclock.Clock)
			alive bool
		}{
			{"still signed in", func(_ *testing.T, _ *ienv, clock *fakeclock.Clock) {
				clock.Advance(handlers.InstructorSignIn - time.Second)
			}, true},
			{"signed out", func(t *testing.T, e *ienv, _ *fakeclock.Clock) {
				if p := e.post("/instructor/logout", nil); p.status != http.StatusSeeOther {
					t.Fatalf("logout: %d", p.status)
				}
			}, false},
			{"sign-in over", func(_ *testing.T, _ *ienv, clock *fakeclock.Clock) { clock.Advance(handlers.InstructorSignIn) }, false},
		} {
			t.Run(path+" "+tc.name, func(t *testing.T) {
				clock := fakeclock.New(exportDay)
				ticks := make(chan time.Time)
				e := newInstructorEnv(t, instructorOptions{now: clock.Now, heartbeats: ticks})
				e.signIn()
				s := e.openStream(path)
				tc.then(t, e, clock)
				select {
				case ticks <- clock.Now():
				case <-time.After(10 * time.Second):
					t.Fatal("the stream never took its heartbeat")
				}
				select {
				case c := <-s.comments:
					if !tc.alive {
						t.Errorf("the stream went on (%q)", c)
					}
				case _, open := <-s.events:
					if open {
						t.Error("an event came instead of the heartbeat or the end")
					} else if tc.alive {
						t.Error("the stream of a signed-in instructor ended")
					}
				case <-time.After(10 * time.Second):
					t.Error("neither a heartbeat nor the end came")
				}
			})
		}
	}
}
