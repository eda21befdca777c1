package handlers_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/questgate/questgate/quest"
)

// workshopEnv is a dashboard with the workshop day on, its clock at
// exportDay unless now is given, and the instructor signed in.
func workshopEnv(t *testing.T, now func() time.Time) *ienv {
	t.Helper()
	e := newInstructorEnv(t, instructorOptions{workshop: true, now: now, wallEvery: 5 * time.Millisecond})
	e.signIn()
	return e
}

func cohortPath(c quest.Cohort) string { return "/instructor/cohorts/" + strconv.FormatInt(c.ID, 10) }

func TestEventWindowRefusesAttemptsAndExtendsLive(t *testing.T) {
	e := workshopEnv(t, nil)
	e.twilio.verify = passing("my own words")
	ada, adaID := e.newPlayer()
	co := e.cohortIn("Paris day", adaID)

	// A refused form changes nothing and says why, in the page's language.
	p := e.post(cohortPath(co)+"/event", url.Values{"start": {"2026-11-25T09:00"}, "end": {"2026-11-25T08:00"},
		"time_zone": {"Europe/Paris"}, "stuck_failures": {"3"}, "stuck_minutes": {"10"}}, accept("fr")...)
	if p.status != http.StatusUnprocessableEntity || p.text("event-error") != squash(e.msg("fr", "workshop.event.error.ends_first")) {
		t.Fatalf("end before start: %d %q", p.status, p.text("event-error"))
	}
	if ev, _ := e.store.CohortEvent(context.Background(), co.ID); !ev.End.IsZero() {
		t.Fatalf("a refused form saved %+v", ev)
	}

	// The event ended at 10:30 Paris time, 09:30 UTC; the clock says 10:00 UTC.
	p = e.post(cohortPath(co)+"/event", url.Values{"start": {"2026-11-25T08:00"}, "end": {"2026-11-25T10:30"},
		"time_zone": {"Europe/Paris"}, "stuck_failures": {"3"}, "stuck_minutes": {"10"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("saving the event: %d", p.status)
	}
	ev, err := e.store.CohortEvent(context.Background(), co.ID)
	if err != nil || !ev.End.Equal(time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)) {
		t.Fatalf("stored event %+v, %v; want the end in UTC", ev, err)
	}
	page := e.get(cohortPath(co))
	if page.attr("event-end", "data-testid") == "" || page.find("cohort-event").Find(`input[name="end"]`).AttrOr("value", "") != "2026-11-25T10:30" {
		t.Errorf("the form does not show the end back in Paris time: %q", page.find("cohort-event").Find(`input[name="end"]`).AttrOr("value", ""))
	}

	for _, lang := range []string{"en", "fr"} {
		r := ada.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}, accept(lang)...)
		if got := r.attr("result-reason", "data-reason"); got != string(quest.EventEnded) {
			t.Errorf("%s: reason %q, want event_ended", lang, got)
		}
		if !strings.Contains(r.doc.Text(), e.msg(lang, "reason.event_ended.title")) {
			t.Errorf("%s: the page does not say the event ended", lang)
		}
		home := ada.get("/", accept(lang)...)
		if got := home.attr("event-state", "data-state"); got != "workshop.event.ended" {
			t.Errorf("%s: banner state %q", lang, got)
		}
	}
	subs, err := e.store.RecentSubmissions(context.Background(), adaID, "send-sms", 10)
	if err != nil || len(subs) != 0 {
		t.Fatalf("refused attempts were recorded: %+v, %v", subs, err)
	}
	prog := e.get("/instructor/progress?cohort=" + strconv.FormatInt(co.ID, 10))
	if n := prog.find("stuck-player").Length(); n != 0 {
		t.Errorf("%d stuck players after refusals", n)
	}

	// Extending from the cohort's page reopens it at once.
	if p := e.post(cohortPath(co)+"/event/extend", url.Values{"minutes": {"30"}}); p.status != http.StatusSeeOther {
		t.Fatalf("extend: %d", p.status)
	}
	if ev, _ := e.store.CohortEvent(context.Background(), co.ID); !ev.End.Equal(exportDay.Add(30 * time.Minute)) {
		t.Errorf("extended end %v, want 30 minutes from now", ev.End)
	}
	if r := ada.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}); r.attr("result-reason", "data-reason") != string(quest.Awarded) {
		t.Errorf("after extending: %q", r.attr("result-reason", "data-reason"))
	}
	if p := e.post(cohortPath(co)+"/event/extend", url.Values{"minutes": {"100000"}}); p.status != http.StatusUnprocessableEntity {
		t.Errorf("extending by months: %d", p.status)
	}
}

func TestAnnouncementsReachOpenPages(t *testing.T) {
	e := workshopEnv(t, nil)
	ada, adaID := e.newPlayer()
	_, bobID := e.newPlayer()
	co := e.cohortIn("Lyon day", adaID)
	other := e.cohortIn("Nice day", bobID)
	ada.get("/") // the stream needs a player
	s := e.as(ada.client).openStream("/live/announcements")

	if p := e.post(cohortPath(other)+"/announce", url.Values{"body": {"Nice only"}}); p.status != http.StatusSeeOther {
		t.Fatalf("announce to another cohort: %d", p.status)
	}
	if p := e.post(cohortPath(co)+"/announce", url.Values{"body": {"Break at <b>10:30</b>"}}); p.status != http.StatusSeeOther {
		t.Fatalf("announce: %d", p.status)
	}
	ev := s.next(t)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(ev.data))
	if err != nil {
		t.Fatal(err)
	}
	if ev.name != "announcement" || strings.TrimSpace(doc.Find(".announcement-body").Text()) != "Break at <b>10:30</b>" {
		t.Fatalf("stream sent %s %q; want the cohort's announcement, escaped", ev.name, ev.data)
	}

	// Without JavaScript: the next page shows it, the objectives page lists it.
	home := ada.get("/")
	if got := strings.TrimSpace(home.find("announcement").Find(".announcement-body").Text()); got != "Break at <b>10:30</b>" {
		t.Errorf("banner %q", got)
	}
	if n := home.find("announcement-item").Length(); n != 1 {
		t.Errorf("objectives page lists %d announcements, want 1 (not Nice's)", n)
	}

	// To everyone, from the announcements page; the list says who sent each.
	if p := e.post("/instructor/announcements", url.Values{"cohort": {""}, "body": {"Lunch!"}}); p.status != http.StatusSeeOther {
		t.Fatalf("announce to everyone: %d", p.status)
	}
	if ev := s.next(t); !strings.Contains(ev.data, "Lunch!") {
		t.Errorf("everyone's announcement: %q", ev.data)
	}
	list := e.get("/instructor/announcements")
	if n := list.find("announcement-sent").Length(); n != 3 || list.text("announcement-sender") != instructorEmail {
		t.Errorf("list has %d rows, sender %q", n, list.text("announcement-sender"))
	}
	if p := e.post("/instructor/announcements", url.Values{"body": {strings.Repeat("x", quest.MaxAnnouncement+1)}}, accept("fr")...); p.status != http.StatusUnprocessableEntity ||
		p.text("announce-error") != squash(e.msg("fr", "workshop.announce.error.too_long", map[string]any{"Max": quest.MaxAnnouncement})) {
		t.Errorf("too long: %d %q", p.status, p.text("announce-error"))
	}
	if n := e.get("/instructor/announcements").find("announcement-sent").Length(); n != 3 {
		t.Errorf("a refused announcement was kept: %d rows", n)
	}
}

func TestHintsRevealedInOrderAndShownToInstructors(t *testing.T) {
	e := workshopEnv(t, nil)
	ada, adaID := e.newPlayer()
	if p := ada.get("/objectives/send-sms"); p.find("hint").Length() != 0 || p.find("reveal-hint").Length() != 1 {
		t.Fatalf("before any reveal: %d hints, %d buttons", p.find("hint").Length(), p.find("reveal-hint").Length())
	}
	ada.post("/objectives/send-sms/hints", url.Values{"stage": {"2"}})
	if p := ada.get("/objectives/send-sms"); p.find("hint").Length() != 0 {
		t.Fatal("hint 2 was revealed before hint 1")
	}
	if p := ada.post("/objectives/send-sms/hints", url.Values{"stage": {"1"}}); p.status != http.StatusSeeOther {
		t.Fatalf("reveal: %d", p.status)
	}
	p := ada.get("/objectives/send-sms", accept("fr")...)
	if p.find("hint").Length() != 1 || !strings.Contains(p.find("hint").Text(), "Le SID est dans la réponse") {
		t.Fatalf("hint 1 in French: %q", p.find("hint").Text())
	}
	if got := p.text("reveal-hint"); got != e.msg("fr", "workshop.hints.reveal_cost", map[string]any{"N": 2, "XP": 10}) {
		t.Errorf("next button %q", got)
	}
	pl := e.get("/instructor/players/" + adaID)
	r := pl.find("hint-reveal")
	if r.Length() != 1 || r.AttrOr("data-objective", "") != "send-sms" || r.AttrOr("data-stage", "") != "1" {
		t.Errorf("instructor sees %d reveals", r.Length())
	}
}

func TestStuckPlayersOnProgressAndWall(t *testing.T) {
	e := workshopEnv(t, nil)
	_, adaID := e.newPlayer()
	_, bobID := e.newPlayer()
	ctx := context.Background()
	if err := e.store.SetDisplayName(ctx, adaID, "Ada Lovelace"); err != nil {
		t.Fatal(err)
	}
	co := e.cohortIn("Brest day", adaID, bobID)
	for range 3 {
		e.record(adaID, quest.NotFound, "SM1", nil)
	}
	e.record(bobID, quest.NotFound, "SM2", nil)
	p := e.get("/instructor/progress?cohort=" + strconv.FormatInt(co.ID, 10))
	rows := p.find("stuck-player")
	if rows.Length() != 1 || rows.AttrOr("data-player", "") != adaID {
		t.Fatalf("stuck: %d rows", rows.Length())
	}
	if got := rows.Find(`[data-testid="stuck-reason"]`).AttrOr("data-reason", ""); got != string(quest.NotFound) {
		t.Errorf("last reason %q", got)
	}
	if href := rows.Find(`[data-testid="stuck-attempts"]`).AttrOr("href", ""); !strings.Contains(href, "player="+adaID) {
		t.Errorf("attempts link %q", href)
	}
	// Without a cohort the rule is unknown: nothing is listed.
	if n := e.get("/instructor/progress").find("stuck").Length(); n != 0 {
		t.Error("stuck list without a cohort")
	}

	hidden := e.get("/instructor/wall?cohort=" + strconv.FormatInt(co.ID, 10) + "&names=hidden")
	if hidden.status != http.StatusOK || hidden.text("wall-stuck") != e.msg("en", "workshop.wall.stuck", map[string]any{"N": 1}) {
		t.Errorf("hidden wall: %d %q", hidden.status, hidden.text("wall-stuck"))
	}
	if n := hidden.find("wall").Find("a, button, input, form").Length(); n != 0 {
		t.Errorf("the wall has %d controls", n)
	}
	named := e.get("/instructor/wall?cohort=" + strconv.FormatInt(co.ID, 10) + "&names=names")
	if named.find("wall-stuck").Length() != 0 {
		t.Error("the stuck count shows beside names")
	}
}

func TestWallUpdatesLive(t *testing.T) {
	e := workshopEnv(t, nil)
	e.twilio.verify = passing("my own words")
	ada, adaID := e.newPlayer()
	if err := e.store.SetDisplayName(context.Background(), adaID, "Ada Lovelace"); err != nil {
		t.Fatal(err)
	}
	co := e.cohortIn("Lille day", adaID)
	wall := e.get("/instructor/wall?cohort=" + strconv.FormatInt(co.ID, 10) + "&names=initials")
	if wall.status != http.StatusOK || wall.find("wall-tick").Length() != 0 {
		t.Fatalf("empty wall: %d", wall.status)
	}
	s := e.openStream(wall.attr("wall", "data-wall-live"))
	ada.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}})
	ev := s.next(t)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(ev.data))
	if err != nil {
		t.Fatal(err)
	}
	tick := strings.TrimSpace(doc.Find(`[data-testid="wall-tick"]`).Text())
	if ev.name != "wall" || !strings.HasPrefix(tick, "A. L.") || strings.Contains(ev.data, "Lovelace") {
		t.Errorf("wall event %s, tick %q: want initials only", ev.name, tick)
	}
	if got := doc.Find(`[data-objective="send-sms"]`).AttrOr("data-done", ""); got != "1" {
		t.Errorf("send-sms bar done = %q", got)
	}
	if p := e.get("/instructor/wall?cohort=999"); p.status != http.StatusNotFound {
		t.Errorf("wall of no cohort: %d", p.status)
	}
}

func TestRosterImportIsIdempotent(t *testing.T) {
	e := workshopEnv(t, nil)
	co := e.cohortIn("Rennes day")
	roster := "name,email\nAda Lovelace, ada@example.com\n=cmd|x, \nGrace Hopper\n"
	links := func() [][]string {
		t.Helper()
		p := e.post(cohortPath(co)+"/roster", url.Values{"roster": {roster}})
		if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("import: %d %s\n%s", p.status, p.header.Get("Content-Type"), p.body)
		}
		recs, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	first, second := links(), links()
	if len(first) != 4 || first[1][0] != "Ada Lovelace" || first[1][1] != "ada@example.com" || first[2][0] != "'=cmd|x" {
		t.Fatalf("links = %q", first)
	}
	for i := range first {
		if first[i][2] != second[i][2] {
			t.Errorf("line %d: link changed on re-import: %s, %s", i, first[i][2], second[i][2])
		}
	}
	p := e.post(cohortPath(co)+"/roster", url.Values{"roster": {"Ada\nBob, not an address\n"}}, accept("fr")...)
	if p.status != http.StatusUnprocessableEntity || p.text("roster-error") != squash(e.msg("fr", "workshop.roster.error.email", map[string]any{"Line": 2})) {
		t.Errorf("bad e-mail: %d %q", p.status, p.text("roster-error"))
	}

	// The personal link opens the cohort's join page with the name filled in.
	link, _ := url.Parse(first[3][2])
	player := e.as(newBrowser(t))
	join := player.get(link.Path)
	if join.status != http.StatusOK || join.doc.Find(`input[name="display_name"]`).AttrOr("value", "") != "Grace Hopper" {
		t.Errorf("personal link: %d, name %q", join.status, join.doc.Find(`input[name="display_name"]`).AttrOr("value", ""))
	}
	before := e.rows("players")
	if p := e.as(newBrowser(t)).get("/join/me/unknown-token"); p.status != http.StatusNotFound {
		t.Errorf("unknown link: %d", p.status)
	}
	if after := e.rows("players"); after != before {
		t.Errorf("an unknown link made %d players", after-before)
	}
}

// The API and the widget honour a cohort's event window like the pages.
func TestEventWindowInTheAPIAndTheWidget(t *testing.T) {
	e := newEnv(t, options{sandbox: true, events: true})
	e.sandbox.verify = passing("hello")
	key, apiKey := e.newKey()
	_, k := e.newKey()
	full, err := e.store.APIKeyByID(t.Context(), k.ID)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	co, err := e.store.CreateCohort(ctx, quest.Cohort{Name: "API day", JoinCode: "APID2345"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SaveEvent(ctx, quest.Event{CohortID: co.ID, End: e.clock.Now().Add(-time.Minute), TimeZone: "UTC",
		Stuck: quest.StuckRule{Failures: 3, Minutes: 10}}); err != nil {
		t.Fatal(err)
	}
	// The API's player, and the widget's (another key's), in the cohort.
	for _, p := range []struct{ keyID, id string }{{apiKey.ID, "game-player-42"}, {full.ID, "p42"}} {
		apiPlayer, err := e.store.APIPlayer(ctx, p.keyID, p.id, "Ada")
		id := apiPlayer.ID
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.SaveCredentials(ctx, quest.Credentials{PlayerID: id, AccountSID: testAccountSID, Secret: testSecret, Sandbox: true}); err != nil {
			t.Fatal(err)
		}
		if err := e.store.JoinCohort(ctx, id, co.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, lang := range []string{"en", "fr"} {
		r := e.api("POST", "/api/v1/verifications", key, verifyBody, "Accept-Language", lang)
		if r.status != http.StatusOK || r.str("reason") != string(quest.EventEnded) || r.str("title") != e.msg(lang, "reason.event_ended.title") {
			t.Errorf("API in %s: %d %s %q", lang, r.status, r.str("reason"), r.str("title"))
		}
	}
	tok := e.widgetToken(full, full.SigningSecret, time.Hour)
	page := e.get("/embed/objectives/send-sms?token=" + url.QueryEscape(tok))
	form := url.Values{"sid": {testMessageSID}}
	page.doc.Find(`form input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		if name, _ := s.Attr("name"); name != "_csrf" {
			form.Set(name, s.AttrOr("value", ""))
		}
	})
	p := e.postNoCSRF("/embed/objectives/send-sms/hack", form.Encode())
	if got := p.attr("result-reason", "data-reason"); got != string(quest.EventEnded) {
		t.Errorf("widget: reason %q, want event_ended", got)
	}
	if n := e.rows("submissions"); n != 0 {
		t.Errorf("%d submissions recorded outside the event", n)
	}
}
