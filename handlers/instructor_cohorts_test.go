package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/questgate/questgate/quest"
)

// cohortIn creates a cohort through the dashboard's store and puts the
// players in it, as their join links would.
func (e *ienv) cohortIn(name string, playerIDs ...string) quest.Cohort {
	e.t.Helper()
	ctx := context.Background()
	c, err := e.store.CreateCohort(ctx, quest.Cohort{Name: name, JoinCode: strings.ToUpper(strings.ReplaceAll(name, " ", ""))[:4] + "2345"})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, id := range playerIDs {
		if err := e.store.JoinCohort(ctx, id, c.ID, ""); err != nil {
			e.t.Fatal(err)
		}
	}
	return c
}

func TestCohortCreateRenameArchive(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	e.signIn()
	if p := e.get("/instructor/cohorts"); p.status != http.StatusOK || p.find("cohorts-empty").Length() != 1 {
		t.Fatalf("empty list: %d", p.status)
	}
	p := e.post("/instructor/cohorts", url.Values{"name": {"  Lyon, 25 November  "}})
	if p.status != http.StatusSeeOther || !strings.HasSuffix(p.header.Get("Location"), "?created=1") {
		t.Fatalf("create: %d to %q", p.status, p.header.Get("Location"))
	}
	cohortPage := strings.TrimSuffix(p.header.Get("Location"), "?created=1")
	p = e.get(p.header.Get("Location"))
	code := p.text("join-code")
	if p.text("cohort-title") != e.msg("en", "cohorts.cohort_title", map[string]any{"Name": "Lyon, 25 November"}) ||
		p.attr("cohort-notice", "data-notice") != "cohorts.notice.created" || len(code) != 8 {
		t.Fatalf("new cohort's page: title %q, notice %q, code %q", p.text("cohort-title"), p.attr("cohort-notice", "data-notice"), code)
	}
	joinURL := publicURL + "/join/" + code
	if p.text("join-url") != joinURL || p.attr("copy-join-url", "data-copy") != "join-url" {
		t.Errorf("join link %q (copy button for %q), want %q", p.text("join-url"), p.attr("copy-join-url", "data-copy"), joinURL)
	}

	// A player joins with the link; the list counts them.
	player, playerID := e.newPlayer()
	if p := player.post("/join/"+code, url.Values{"display_name": {"Ada"}}); p.status != http.StatusSeeOther {
		t.Fatalf("join: %d", p.status)
	}
	list := e.get("/instructor/cohorts")
	row := list.find("cohort")
	if row.Length() != 1 || list.text("cohort-name") != "Lyon, 25 November" || list.text("cohort-code") != code ||
		list.text("cohort-join-url") != joinURL || list.text("cohort-players") != "1" || row.AttrOr("data-archived", "") != "false" {
		t.Errorf("list: %d rows, %q %q %q %q", row.Length(), list.text("cohort-name"), list.text("cohort-code"), list.text("cohort-join-url"), list.text("cohort-players"))
	}

	// Renaming keeps the link.
	p = e.post(cohortPage+"/rename", url.Values{"name": {"Lyon (day 1)"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != cohortPage+"?renamed=1" {
		t.Fatalf("rename: %d to %q", p.status, p.header.Get("Location"))
	}
	p = e.get(cohortPage)
	if p.text("cohort-title") != e.msg("en", "cohorts.cohort_title", map[string]any{"Name": "Lyon (day 1)"}) || p.text("join-code") != code {
		t.Errorf("after renaming: %q, code %q", p.text("cohort-title"), p.text("join-code"))
	}

	// Archived, the link refuses newcomers; reopened, it takes them again.
	if p := e.post(cohortPage+"/archive", nil); p.status != http.StatusSeeOther || p.header.Get("Location") != cohortPage+"?archived=1" {
		t.Fatalf("archive: %d to %q", p.status, p.header.Get("Location"))
	}
	if p := e.get(cohortPage); p.find("cohort-archived").Length() != 1 || p.find("cohort-unarchive").Length() != 1 {
		t.Error("an archived cohort's page does not say so, or offers no way back")
	}
	if p := e.get("/instructor/cohorts"); p.attr("cohort", "data-archived") != "true" {
		t.Error("the list does not show the cohort archived")
	}
	late, lateID := e.newPlayer()
	if p := late.post("/join/"+code, url.Values{"display_name": {"Bob"}}); p.status != http.StatusGone {
		t.Errorf("joining an archived cohort: %d, want 410", p.status)
	}
	if pl, _ := e.store.Player(context.Background(), lateID); pl.CohortID != 0 {
		t.Error("a player joined an archived cohort")
	}
	if pl, _ := e.store.Player(context.Background(), playerID); pl.CohortID == 0 {
		t.Error("archiving took the cohort's players out")
	}
	if p := e.post(cohortPage+"/unarchive", nil); p.status != http.StatusSeeOther || p.header.Get("Location") != cohortPage+"?unarchived=1" {
		t.Fatalf("unarchive: %d to %q", p.status, p.header.Get("Location"))
	}
	if p := late.post("/join/"+code, url.Values{"display_name": {"Bob"}}); p.status != http.StatusSeeOther {
		t.Errorf("joining a reopened cohort: %d", p.status)
	}
	if p := e.get("/instructor/cohorts/999"); p.status != http.StatusNotFound {
		t.Errorf("no such cohort: %d", p.status)
	}
	if p := e.post("/instructor/cohorts/999/archive", nil); p.status != http.StatusNotFound {
		t.Errorf("archiving no such cohort: %d", p.status)
	}
}

func TestCohortNameRefused(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	e.signIn()
	kept := e.cohortIn("Kept name")
	for _, tc := range []struct {
		name, typed, problem string
	}{
		{"empty", "", "required"},
		{"blank", "   ", "required"},
		{"too long", strings.Repeat("é", 81), "too_long"},
		{"line break", "Lyon\nParis", "control"},
		{"zero-width only", "\u200B\u200B", "invisible"},
	} {
		for _, action := range []struct{ what, path string }{
			{"create", "/instructor/cohorts"},
			{"rename", "/instructor/cohorts/" + strconv.FormatInt(kept.ID, 10) + "/rename"},
		} {
			t.Run(action.what+" "+tc.name, func(t *testing.T) {
				p := e.post(action.path, url.Values{"name": {tc.typed}}, accept("fr")...)
				want := e.msg("fr", "cohorts.error.name."+tc.problem, map[string]any{"Max": 80})
				if p.status != http.StatusUnprocessableEntity || p.text("cohort-error") != want {
					t.Errorf("status %d, error %q; want 422 and %q", p.status, p.text("cohort-error"), want)
				}
				if got := p.doc.Find(`input[name="name"]`).AttrOr("value", ""); got != tc.typed {
					t.Errorf("the form lost what was typed: %q", got)
				}
			})
		}
	}
	if p := e.postRaw("/instructor/cohorts", "other=1"); p.status != http.StatusUnprocessableEntity || p.attr("cohort-error", "data-error") != "form.missing" {
		t.Errorf("a form without the name: %d %q", p.status, p.attr("cohort-error", "data-error"))
	}
	list, err := e.store.ListCohorts(context.Background())
	if err != nil || len(list) != 1 || list[0].Name != "Kept name" {
		t.Errorf("refused names changed the cohorts: %+v %v", list, err)
	}
}

func TestSubmissionsFilteredByCohort(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, ada := e.newPlayer()
	_, bob := e.newPlayer()
	_, cyd := e.newPlayer()
	morning := e.cohortIn("Morning", ada)
	evening := e.cohortIn("Evening", bob)
	e.record(ada, quest.NotFound, "SMada", nil)
	e.record(bob, quest.NotFound, "SMbob", nil)
	e.record(cyd, quest.NotFound, "SMcyd", nil)
	if err := e.store.SetArchived(context.Background(), evening.ID, true); err != nil {
		t.Fatal(err)
	}
	e.signIn()

	id := strconv.FormatInt(morning.ID, 10)
	p := e.get("/instructor/submissions?cohort=" + id)
	if p.status != http.StatusOK || p.find("submission").Length() != 1 || p.attr("submission", "data-player") != ada {
		t.Fatalf("morning's submissions: %d, %d rows", p.status, p.find("submission").Length())
	}
	if got := p.doc.Find(`select[name="cohort"] option[selected]`).AttrOr("value", ""); got != id {
		t.Errorf("the filter shows cohort %q, want %s", got, id)
	}
	if got := strings.TrimSpace(p.doc.Find(`select[name="cohort"] option[value="` + strconv.FormatInt(evening.ID, 10) + `"]`).Text()); got != e.msg("en", "cohorts.filter.archived", map[string]any{"Name": "Evening"}) {
		t.Errorf("archived cohort offered as %q", got)
	}
	for _, link := range []string{"export-csv", "live"} {
		attr := map[string]string{"export-csv": "href", "live": "sse-connect"}[link]
		u, err := url.Parse(p.attr(link, attr))
		if err != nil || u.Query().Get("cohort") != id {
			t.Errorf("%s %q does not keep the cohort", link, p.attr(link, attr))
		}
	}

	_, rows := readCSV(t, e, "/instructor/submissions.csv?cohort="+id)
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	if len(rows) != 2 || rows[1][col[e.msg("en", "instructor.csv.player_id")]] != ada || rows[1][col[e.msg("en", "instructor.csv.cohort")]] != "Morning" {
		t.Errorf("morning's CSV: %q", rows)
	}
	_, rows = readCSV(t, e, "/instructor/submissions.csv")
	cohorts := map[string]string{}
	for _, r := range rows[1:] {
		cohorts[r[col[e.msg("en", "instructor.csv.player_id")]]] = r[col[e.msg("en", "instructor.csv.cohort")]]
	}
	if cohorts[ada] != "Morning" || cohorts[bob] != "Evening" || cohorts[cyd] != "" || len(cohorts) != 3 {
		t.Errorf("cohort column: %v", cohorts)
	}

	for _, bad := range []string{"999", "abc", "-1"} {
		p := e.get("/instructor/submissions?cohort="+bad, accept("fr")...)
		if p.status != http.StatusBadRequest || p.attr("filter-error", "data-field") != "cohort" ||
			p.text("filter-error") != e.msg("fr", "cohorts.filter.error") {
			t.Errorf("cohort %q: %d, error %q on %q", bad, p.status, p.text("filter-error"), p.attr("filter-error", "data-field"))
		}
		if p := e.get("/instructor/submissions.csv?cohort=" + bad); p.status != http.StatusBadRequest {
			t.Errorf("CSV of cohort %q: %d", bad, p.status)
		}
	}
}

func TestProgressByCohort(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, ada := e.newPlayer()
	_, bob := e.newPlayer()
	_, cyd := e.newPlayer()
	morning := e.cohortIn("Morning", ada, cyd)
	e.cohortIn("Evening", bob)
	e.record(ada, quest.SampleBody, "SM1", nil)
	e.record(bob, quest.NotFound, "SM2", nil)
	e.record(bob, quest.NotFound, "SM3", nil)
	e.record(cyd, quest.Awarded, testMessageSID, &quest.Message{Status: "delivered"})
	e.signIn()

	id := strconv.FormatInt(morning.ID, 10)
	p := e.get("/instructor/progress?cohort=" + id)
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	players := map[string]bool{}
	p.find("progress-row").Each(func(_ int, s *goquery.Selection) { players[s.AttrOr("data-player", "")] = true })
	if len(players) != 2 || !players[ada] || !players[cyd] {
		t.Errorf("morning's matrix shows %v", players)
	}
	stat := p.doc.Find(`[data-testid="objective-stat"][data-objective="send-sms"]`)
	done, failing, notStarted := stat.Find(`[data-testid="stat-done"]`).Text(), stat.Find(`[data-testid="stat-failing"]`).Text(), stat.Find(`[data-testid="stat-not-started"]`).Text()
	if done != "1" || failing != "1" || notStarted != "0" {
		t.Errorf("morning's send-sms: done %s, failing %s, not started %s", done, failing, notStarted)
	}
	var reasons []string
	stat.Find(`[data-testid="top-failure"]`).Each(func(_ int, s *goquery.Selection) { reasons = append(reasons, s.AttrOr("data-reason", "")) })
	if len(reasons) != 1 || reasons[0] != string(quest.SampleBody) {
		t.Errorf("morning's failure reasons %v: bob's not-found should not count", reasons)
	}
	if u, _ := url.Parse(stat.Find(`[data-testid="top-failure"] a`).AttrOr("href", "")); u == nil || u.Query().Get("cohort") != id {
		t.Errorf("a failure reason's link leaves the cohort: %v", u)
	}
	for link, attr := range map[string]string{"live": "data-progress-live", "export-csv": "href", "progress-refresh": "href"} {
		if u, err := url.Parse(p.attr(link, attr)); err != nil || u.Query().Get("cohort") != id {
			t.Errorf("%s %q does not keep the cohort", link, p.attr(link, attr))
		}
	}

	_, rows := readCSV(t, e, "/instructor/progress.csv?cohort="+id)
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[0]] = r[2]
	}
	if rows[0][2] != e.msg("en", "instructor.csv.cohort") || len(got) != 2 || got[ada] != "Morning" || got[cyd] != "Morning" {
		t.Errorf("morning's progress CSV: %q", rows)
	}
	if p := e.get("/instructor/progress?cohort=999", accept("fr")...); p.status != http.StatusBadRequest ||
		p.text("filter-error") != e.msg("fr", "cohorts.filter.error") || p.find("matrix").Length() != 0 {
		t.Errorf("no such cohort: %d %q", p.status, p.text("filter-error"))
	}
	if p := e.get("/instructor/progress.csv?cohort=x"); p.status != http.StatusBadRequest {
		t.Errorf("CSV of a bad cohort: %d", p.status)
	}
}

func TestLiveViewsFollowTheCohort(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{progressEvery: 5 * time.Millisecond, heartbeat: 50 * time.Millisecond})
	ada, adaID := e.newPlayer()
	bob, bobID := e.newPlayer()
	morning := e.cohortIn("Morning", adaID)
	e.cohortIn("Evening", bobID)
	e.twilio.verify = passing("my own words")
	e.signIn()

	p := e.get("/instructor/submissions?cohort=" + strconv.FormatInt(morning.ID, 10))
	s := e.openStream(p.attr("live", "sse-connect"))
	// Bob hacks first, in the evening cohort: only Ada's attempt arrives.
	bob.post("/objectives/send-sms/hack", url.Values{"sid": {"SM" + strings.Repeat("b", 32)}})
	ada.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}})
	if got := row(t, s.next(t)).AttrOr("data-player", ""); got != adaID {
		t.Errorf("first live row is %s's, want Ada's (%s)", got, adaID)
	}

	// The progress stream of a cohort refreshes for its own players only:
	// a regrade in the evening cohort sends nothing before the heartbeats
	// that follow it (each many refresh periods later); Ada's does.
	ps := e.openStream(progressLiveURL(e, morning.ID))
	if err := e.quests.Regrade(context.Background(), quest.Regrade{PlayerID: bobID, ObjectiveID: "send-mms",
		InstructorID: e.instructor.ID, Award: true, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case <-ps.comments:
		case ev := <-ps.events:
			t.Fatalf("the morning's progress refreshed for an evening player: %q", ev.name)
		case <-time.After(10 * time.Second):
			t.Fatal("no heartbeat")
		}
	}
	if err := e.quests.Regrade(context.Background(), quest.Regrade{PlayerID: adaID, ObjectiveID: "send-mms",
		InstructorID: e.instructor.ID, Award: true, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	if ev := ps.next(t); ev.name != "player" || !strings.Contains(ev.data, adaID) {
		t.Errorf("event %q %q, want Ada's row", ev.name, ev.data)
	}
}

// progressLiveURL is the progress page's live stream for a cohort, as the page links it.
func progressLiveURL(e *ienv, cohortID int64) string {
	e.t.Helper()
	p := e.get("/instructor/progress?cohort=" + strconv.FormatInt(cohortID, 10))
	return p.attr("live", "data-progress-live")
}

func TestPlayerPageShowsTheCohort(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, ada := e.newPlayer()
	_, bob := e.newPlayer()
	c := e.cohortIn("Morning", ada)
	e.signIn()
	p := e.get("/instructor/players/"+ada, accept("fr")...)
	if p.text("player-cohort-link") != "Morning" || p.attr("player-cohort-link", "href") != "/instructor/cohorts/"+strconv.FormatInt(c.ID, 10) {
		t.Errorf("ada's cohort: %q to %q", p.text("player-cohort-link"), p.attr("player-cohort-link", "href"))
	}
	if p.find("audit-empty").Length() != 1 {
		t.Error("the audit log is gone from the player's page")
	}
	if p := e.get("/instructor/players/"+bob, accept("fr")...); p.find("player-cohort-link").Length() != 0 ||
		!strings.Contains(p.text("player-cohort"), e.msg("fr", "cohorts.player.none")) {
		t.Errorf("bob has no cohort, page says %q", p.text("player-cohort"))
	}
}
