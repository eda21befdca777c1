package handlers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/quest"
)

// ids lists the data-id of the page's submission rows, in order.
func ids(p page) []int64 {
	var out []int64
	p.find("submission").Each(func(_ int, s *goquery.Selection) {
		id, _ := strconv.ParseInt(s.AttrOr("data-id", ""), 10, 64)
		out = append(out, id)
	})
	return out
}

// seedMany records n attempts alternating between two players and over a
// few reasons; it returns the players and the submissions, oldest first.
func seedMany(e *ienv, n int) (ada, bob string, subs []quest.Submission) {
	_, ada = e.newPlayer()
	_, bob = e.newPlayer()
	reasons := []quest.Reason{quest.NotFound, quest.InvalidSID, quest.UpstreamUnavailable, quest.SampleBody}
	for i := range n {
		pl := ada
		if i%2 == 1 {
			pl = bob
		}
		sid := fmt.Sprintf("SM%032x", 0xabc000+i)
		subs = append(subs, e.record(pl, reasons[i%len(reasons)], sid, &quest.Message{Status: "delivered", Body: "body " + strconv.Itoa(i)}))
	}
	return ada, bob, subs
}

func TestSubmissionsPagesNewestFirst(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, _, subs := seedMany(e, 120)
	e.signIn()

	first := e.get("/instructor/submissions")
	got := ids(first)
	if len(got) != 50 || got[0] != subs[119].ID || got[49] != subs[70].ID {
		t.Fatalf("first page: %d rows from %v", len(got), got)
	}
	if first.find("live").Length() != 1 || first.attr("page-newer", "href") != "" {
		t.Errorf("first page: live %d, newer link %q", first.find("live").Length(), first.attr("page-newer", "href"))
	}
	second := e.get(first.attr("page-older", "href"))
	if got := ids(second); len(got) != 50 || got[0] != subs[69].ID {
		t.Fatalf("second page starts at %v", got[:1])
	}
	if second.find("live").Length() != 0 {
		t.Error("an older page streams live rows")
	}
	third := e.get(second.attr("page-older", "href"))
	if got := ids(third); len(got) != 20 || got[19] != subs[0].ID || third.attr("page-older", "href") != "" {
		t.Fatalf("last page: %d rows, older link %q", len(got), third.attr("page-older", "href"))
	}
	back := e.get(third.attr("page-newer", "href"))
	if diff := cmp.Diff(ids(second), ids(back)); diff != "" {
		t.Errorf("newer from the last page is not the second page (-want +got):\n%s", diff)
	}
	// Newer from the second page is the first page, with its live rows.
	top := e.get(back.attr("page-newer", "href"))
	if top.status != http.StatusSeeOther || top.header.Get("Location") != "/instructor/submissions" {
		t.Errorf("newer from the second page: %d to %q", top.status, top.header.Get("Location"))
	}
}

func TestSubmissionsFiltersCombine(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	ada, bob, subs := seedMany(e, 40)
	e.signIn()

	tests := []struct {
		name  string
		query url.Values
		want  func(s quest.Submission) bool
	}{
		{"player", url.Values{"player": {ada}}, func(s quest.Submission) bool { return s.PlayerID == ada }},
		{"player and reason", url.Values{"player": {bob}, "reason": {"invalid_sid"}},
			func(s quest.Submission) bool { return s.PlayerID == bob && s.Reason == quest.InvalidSID }},
		{"outcome", url.Values{"outcome": {"upstream"}}, func(s quest.Submission) bool { return s.Reason == quest.UpstreamUnavailable }},
		{"objective and outcome", url.Values{"objective": {"send-sms"}, "outcome": {"rejected"}},
			func(s quest.Submission) bool { return s.Reason != quest.UpstreamUnavailable }},
		{"SID prefix, any case", url.Values{"sid": {strings.ToLower(subs[7].SID[:33])}},
			func(s quest.Submission) bool { return strings.HasPrefix(s.SID, subs[7].SID[:33]) }},
		{"dates around now", url.Values{"since": {"2000-01-01"}, "until": {"2999-12-31"}}, func(quest.Submission) bool { return true }},
		{"dates before", url.Values{"until": {"2000-01-01"}}, func(quest.Submission) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := e.get("/instructor/submissions?" + tt.query.Encode())
			if p.status != http.StatusOK {
				t.Fatalf("status %d", p.status)
			}
			var want []int64
			for i := len(subs) - 1; i >= 0; i-- {
				if tt.want(subs[i]) {
					want = append(want, subs[i].ID)
				}
			}
			if diff := cmp.Diff(want, ids(p)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			// The form shows the filters back, and the export keeps them.
			for name := range tt.query {
				if v := p.doc.Find(`[name="` + name + `"]`).First(); v.Is("input") && v.AttrOr("value", "") != tt.query.Get(name) {
					t.Errorf("field %s shows %q", name, v.AttrOr("value", ""))
				}
			}
			export, _ := url.Parse(p.attr("export-csv", "href"))
			if diff := cmp.Diff(tt.query, export.Query()); diff != "" {
				t.Errorf("export link drops filters (-want +got):\n%s", diff)
			}
			if len(want) == 0 && p.find("submissions-empty").Length() != 1 {
				t.Error("no empty-state row")
			}
		})
	}
}

func TestSubmissionsFilterErrors(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	seedMany(e, 3)
	e.signIn()
	p := e.get("/instructor/submissions?since=25/11/2026&objective=nope&until=2026-01-01&reason=guess", accept("fr")...)
	if p.status != http.StatusBadRequest {
		t.Fatalf("status %d", p.status)
	}
	got := map[string]string{}
	p.find("filter-error").Each(func(_ int, s *goquery.Selection) {
		got[s.AttrOr("data-field", "")] = strings.TrimSpace(s.Text())
	})
	want := map[string]string{
		"since":     e.msg("fr", "instructor.filter.error.date"),
		"objective": e.msg("fr", "instructor.filter.error.objective"),
		"reason":    e.msg("fr", "instructor.filter.error.reason"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if p.find("submission").Length() != 0 {
		t.Error("rows shown despite the errors")
	}
	if p := e.get("/instructor/submissions?since=2026-11-25&until=2026-11-24"); p.status != http.StatusBadRequest ||
		p.attr("filter-error", "data-field") != "until" {
		t.Errorf("reversed range: %d, %q", p.status, p.attr("filter-error", "data-field"))
	}
	if p := e.get("/instructor/submissions?before=abc"); p.status != http.StatusBadRequest {
		t.Errorf("bad page: %d", p.status)
	}
}

func TestSubmissionRowShowsWhatTwilioReturned(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, pl := e.newPlayer()
	sub := e.record(pl, quest.Awarded, testMessageSID, &quest.Message{Status: "delivered", Direction: "outbound-api",
		To: "+15558675310", From: "+15017122661", Body: `<script>alert("x")</script> hi`})
	e.signIn()
	p := e.get("/instructor/submissions")
	row := p.find("submission")
	if row.Length() != 1 {
		t.Fatalf("%d rows", row.Length())
	}
	cell := func(id string) string {
		return squash(row.Find(`[data-testid="` + id + `"]`).First().Text())
	}
	for id, want := range map[string]string{
		"submission-sid":     testMessageSID,
		"submission-reason":  e.msg("en", "reason.awarded.title"),
		"submission-status":  "delivered",
		"submission-body":    `<script>alert("x")</script> hi`,
		"submission-ip":      "198.51.100.7",
		"submission-latency": "120 ms",
	} {
		if got := cell(id); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if strings.Contains(p.body, "<script>alert") {
		t.Error("the message body reached the page as markup")
	}
	if href := row.Find(`[data-testid="submission-player"] a`).AttrOr("href", ""); href != "/instructor/players/"+pl {
		t.Errorf("player link %q", href)
	}
	d := e.get(row.Find(`[data-testid="submission-link"]`).AttrOr("href", ""))
	if d.status != http.StatusOK || d.attr("submission-detail", "data-id") != strconv.FormatInt(sub.ID, 10) ||
		d.text("detail-body") != `<script>alert("x")</script> hi` {
		t.Errorf("detail page: %d, id %q, body %q", d.status, d.attr("submission-detail", "data-id"), d.text("detail-body"))
	}
	if got := e.get("/instructor/submissions/999999").status; got != http.StatusNotFound {
		t.Errorf("unknown submission: %d", got)
	}
}

// readCSV downloads path and parses it, checking the byte-order mark.
func readCSV(t *testing.T, e *ienv, path string) (http.Header, [][]string) {
	t.Helper()
	resp, err := e.client.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d", path, resp.StatusCode)
	}
	if !bytes.HasPrefix(b, []byte("\uFEFF")) {
		t.Errorf("%s: no UTF-8 byte-order mark", path)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header, rows
}

func TestSubmissionsCSVIsSpreadsheetSafe(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, ada := e.newPlayer()
	_, bob := e.newPlayer()
	e.record(bob, quest.NotFound, "SMbob", nil)
	for _, raw := range []string{`=HYPERLINK("http://evil.example","x")`, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "SMfine"} {
		e.record(ada, quest.InvalidSID, raw, &quest.Message{Body: "=cmd|' /C calc'!A0", Status: "sent"})
	}
	e.signIn()
	h, rows := readCSV(t, e, "/instructor/submissions.csv?player="+ada)
	if got, want := h.Get("Content-Disposition"), `attachment; filename="questgate-submissions-2026-11-25.csv"`; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	if len(rows) != 8 {
		t.Fatalf("%d rows, want a heading and 7 (bob's filtered out)", len(rows))
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	raw, body := col[e.msg("en", "instructor.csv.raw_sid")], col[e.msg("en", "instructor.csv.body")]
	var gotRaw []string
	for _, r := range rows[1:] {
		gotRaw = append(gotRaw, r[raw])
		if r[body] != "'=cmd|' /C calc'!A0" {
			t.Errorf("body cell %q not neutralised", r[body])
		}
		if r[col[e.msg("en", "instructor.csv.player_id")]] != ada {
			t.Errorf("row of another player: %v", r)
		}
	}
	want := []string{"SMfine", "'\r=1", "'\t=1", "'@SUM(A1)", "'-2+3", "'+1+1", `'=HYPERLINK("http://evil.example","x")`}
	if diff := cmp.Diff(want, gotRaw); diff != "" {
		t.Errorf("pasted SIDs (-want +got):\n%s", diff)
	}
	// French headings for a French instructor.
	e.get("/lang/fr")
	if _, rows := readCSV(t, e, "/instructor/submissions.csv"); rows[0][col[e.msg("en", "instructor.csv.body")]] != e.msg("fr", "instructor.csv.body") {
		t.Errorf("French headings: %v", rows[0])
	}
}

func TestProgressCSV(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, ada := e.newPlayer()
	_, bob := e.newPlayer()
	e.record(ada, quest.NotFound, "SM1", nil)
	awarded := e.record(ada, quest.Awarded, testMessageSID, &quest.Message{Status: "delivered"})
	e.record(bob, quest.NotFound, "SM2", nil)
	e.signIn()
	h, rows := readCSV(t, e, "/instructor/progress.csv")
	if !strings.Contains(h.Get("Content-Disposition"), "questgate-progress-2026-11-25.csv") {
		t.Errorf("Content-Disposition %q", h.Get("Content-Disposition"))
	}
	byPlayer := map[string][]string{}
	for _, r := range rows[1:] {
		byPlayer[r[0]] = r
	}
	// Player id, name, cohort and XP, then three columns per objective.
	if want := 4 + 3*len(e.quests.Catalog().All()); len(rows) != 3 || len(rows[0]) != want {
		t.Fatalf("rows (want %d columns): %q", want, rows)
	}
	if got := byPlayer[ada][3:7]; !cmp.Equal(got, []string{"100", awarded.CreatedAt.UTC().Format("2006-01-02 15:04:05"), "", "2"}) {
		t.Errorf("ada: %q", got)
	}
	if got := byPlayer[bob][3:7]; !cmp.Equal(got, []string{"0", "", "", "1"}) {
		t.Errorf("bob: %q", got)
	}
}

func TestRegradeIsAuditedOnThePlayerPage(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, pl := e.newPlayer()
	e.signIn()
	path := "/instructor/players/" + pl
	regrade := func(action, reason string) page {
		return e.post(path+"/regrade", url.Values{"objective": {"send-sms"}, "action": {action}, "reason": {reason}}, accept("fr")...)
	}
	if p := regrade("award", "   "); p.status != http.StatusUnprocessableEntity || p.attr("regrade-error", "data-error") != "instructor.regrade.error.reason" {
		t.Fatalf("no reason: %d %q", p.status, p.attr("regrade-error", "data-error"))
	}
	p := regrade("award", "saw the SMS on their phone")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != path+"?regraded=award" {
		t.Fatalf("award: %d to %q", p.status, p.header.Get("Location"))
	}
	if p := regrade("award", "again"); p.attr("regrade-error", "data-error") != "instructor.regrade.error.already_held" ||
		p.doc.Find(`textarea[name="reason"]`).Text() != "again" {
		t.Errorf("awarding twice: %q, reason kept %q", p.attr("regrade-error", "data-error"), p.doc.Find(`textarea[name="reason"]`).Text())
	}
	if p := regrade("revoke", "shared one SID with a friend"); p.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.status)
	}
	if p := regrade("revoke", "again"); p.attr("regrade-error", "data-error") != "instructor.regrade.error.not_held" {
		t.Errorf("revoking twice: %q", p.attr("regrade-error", "data-error"))
	}
	page := e.get(path+"?regraded=revoke", accept("fr")...)
	if page.text("player-notice") != e.msg("fr", "instructor.regrade.revoked") {
		t.Errorf("notice %q", page.text("player-notice"))
	}
	var got [][3]string
	page.find("audit-entry").Each(func(_ int, s *goquery.Selection) {
		text := func(id string) string { return strings.TrimSpace(s.Find(`[data-testid="` + id + `"]`).Text()) }
		got = append(got, [3]string{text("audit-who"), text("audit-action"), text("audit-reason")})
	})
	want := [][3]string{
		{instructorEmail, e.msg("fr", "instructor.audit.revoke"), "shared one SID with a friend"},
		{instructorEmail, e.msg("fr", "instructor.audit.award"), "saw the SMS on their phone"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}
}

func TestManualAwardShowsInProgress(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, ada := e.newPlayer()
	_, bob := e.newPlayer()
	_, cyd := e.newPlayer()
	e.record(bob, quest.NotFound, "SM1", nil)
	e.record(bob, quest.NotFound, "SM2", nil)
	e.record(bob, quest.SampleBody, "SM3", nil)
	e.signIn()
	e.post("/instructor/players/"+ada+"/regrade", url.Values{"objective": {"send-sms"}, "action": {"award"}, "reason": {"by hand"}})
	p := e.get("/instructor/progress")
	cell := func(player string) *goquery.Selection {
		return p.doc.Find(`[data-testid="progress-row"][data-player="` + player + `"] [data-testid="progress-cell"]`)
	}
	for pl, want := range map[string]string{ada: "done", bob: "stuck", cyd: "new"} {
		if got := cell(pl).AttrOr("data-state", ""); got != want {
			t.Errorf("cell of %s: %q, want %q", pl, got, want)
		}
	}
	if cell(ada).Find(`[data-testid="manual"]`).Length() != 1 {
		t.Error("the manual award is not marked")
	}
	stat := p.doc.Find(`[data-testid="objective-stat"][data-objective="send-sms"]`)
	text := func(id string) string { return strings.TrimSpace(stat.Find(`[data-testid="` + id + `"]`).Text()) }
	if text("stat-done") != "1" || text("stat-failing") != "1" || text("stat-not-started") != "1" {
		t.Errorf("counts %s/%s/%s", text("stat-done"), text("stat-failing"), text("stat-not-started"))
	}
	// The latest failure of bob, the one who is not done, is sample_body.
	if got := stat.Find(`[data-testid="top-failure"]`).First(); got.AttrOr("data-reason", "") != "sample_body" ||
		!strings.Contains(got.Text(), e.msg("en", "reason.sample_body.title")) {
		t.Errorf("top failure %q", got.Text())
	}
	if first := p.find("progress-row").First().AttrOr("data-player", ""); first != bob {
		t.Errorf("first row %s, want the stuck one, %s", first, bob)
	}
	if text("stat-stuck") != "1" {
		t.Errorf("stuck on send-sms: %s", text("stat-stuck"))
	}
}

// TestProgressFindsFiltersAndPages: a name search, a state filter and
// pages of 50 with links, all plain GETs.
func TestProgressFindsFiltersAndPages(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	var ids []string
	for range 52 {
		_, id := e.newPlayer()
		ids = append(ids, id)
	}
	e.record(ids[7], quest.NotFound, "SM1", nil)
	e.signIn()
	p := e.get("/instructor/progress")
	if n := p.find("progress-row").Length(); n != 50 || p.attr("next-page", "href") != "/instructor/progress?page=2" {
		t.Fatalf("first page: %d rows, next %q", n, p.attr("next-page", "href"))
	}
	p2 := e.get(p.attr("next-page", "href"))
	if n := p2.find("progress-row").Length(); n != 2 || p2.attr("prev-page", "href") != "/instructor/progress?page=1" || p2.find("next-page").Length() != 0 {
		t.Errorf("second page: %d rows", n)
	}
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"state=in_progress", 1},
		{"state=not_started", 50}, // 51, a page of 50
		{"state=done", 0},
		{"state=bogus", 50},
		{"q=" + url.QueryEscape(strings.Repeat("é", 200)), 0},
	} {
		if n := e.get("/instructor/progress?" + tc.query).find("progress-row").Length(); n != tc.want {
			t.Errorf("%s: %d rows, want %d", tc.query, n, tc.want)
		}
	}
}

func TestProgressFindsAPlayerByName(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, ada := e.newPlayer()
	e.newPlayer()
	if err := e.store.SetDisplayName(context.Background(), ada, "Ada Lovelace"); err != nil {
		t.Fatal(err)
	}
	e.signIn()
	p := e.get("/instructor/progress?q=LOVE")
	if p.find("progress-row").Length() != 1 || p.find("progress-row").AttrOr("data-player", "") != ada || p.attr("name-filter", "value") != "LOVE" {
		t.Errorf("search: %d rows", p.find("progress-row").Length())
	}
}

func TestReverifyRecordsANewAttempt(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	pe, pl := e.newPlayer()
	pe.saveCredentials(quest.Credentials{AccountSID: testAccountSID, Secret: testSecret})
	calls := 0
	e.twilio.verify = func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		calls++
		if req.Credentials.AccountSID != testAccountSID {
			t.Errorf("verified with %q, not the player's account", req.Credentials.AccountSID)
		}
		return quest.Verdict{Reason: quest.NotFound, SID: quest.Normalize(req.SID)}, nil
	}
	pe.post("/objectives/send-sms/hack", url.Values{"sid": {" " + testMessageSID + " "}})
	first, err := e.store.ListSubmissions(context.Background(), quest.SubmissionFilter{PlayerID: pl}, 0, 10)
	if err != nil || len(first) != 1 {
		t.Fatalf("%d submissions, %v", len(first), err)
	}
	e.signIn()
	// Twilio has caught up since: the message is there now.
	e.twilio.verify = passing("my own words")
	p := e.post("/instructor/submissions/"+strconv.FormatInt(first[0].ID, 10)+"/reverify", nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("re-verify: %d", p.status)
	}
	d := e.get(p.header.Get("Location"))
	newID, _ := strconv.ParseInt(d.attr("submission-detail", "data-id"), 10, 64)
	if newID <= first[0].ID || d.attr("submission-detail", "data-reason") != "awarded" || d.text("submission-notice") == "" {
		t.Fatalf("after re-verify: submission %d, reason %q, notice %q", newID, d.attr("submission-detail", "data-reason"), d.text("submission-notice"))
	}
	if got := d.text("detail-raw-sid"); got != " "+testMessageSID+" " && got != testMessageSID {
		t.Errorf("re-verified SID %q", got)
	}
	// Re-verifying the winning one asks Twilio again (it does not answer
	// from the database) and records another attempt.
	before := calls
	e.post("/instructor/submissions/"+strconv.FormatInt(newID, 10)+"/reverify", nil)
	all, _ := e.store.ListSubmissions(context.Background(), quest.SubmissionFilter{PlayerID: pl}, 0, 10)
	if calls != before || len(all) != 3 || all[0].Reason != quest.AlreadyAwarded {
		t.Errorf("second re-verify: %d Twilio calls, %d submissions, newest %q", calls-before, len(all), all[0].Reason)
	}
}

func TestDeletePlayerErasesEverything(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	pe, pl := e.newPlayer()
	pe.saveCredentials(quest.Credentials{AccountSID: testAccountSID, Secret: testSecret})
	e.record(pl, quest.Awarded, testMessageSID, &quest.Message{Status: "delivered"})
	e.signIn()
	confirm := e.get("/instructor/players/" + pl + "/delete")
	if confirm.status != http.StatusOK || confirm.find("delete-submit").Length() != 1 {
		t.Fatalf("confirmation page: %d", confirm.status)
	}
	if _, err := e.store.Player(context.Background(), pl); err != nil {
		t.Fatalf("the confirmation page deleted the player: %v", err)
	}
	p := e.post("/instructor/players/"+pl+"/delete", nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/instructor/progress?deleted=1" {
		t.Fatalf("delete: %d to %q", p.status, p.header.Get("Location"))
	}
	ctx := context.Background()
	if _, err := e.store.Player(ctx, pl); !errors.Is(err, quest.ErrNotFound) {
		t.Errorf("player: %v", err)
	}
	if _, err := e.store.Credentials(ctx, pl); !errors.Is(err, quest.ErrNotFound) {
		t.Errorf("credentials: %v", err)
	}
	if subs, _ := e.store.ListSubmissions(ctx, quest.SubmissionFilter{PlayerID: pl}, 0, 10); len(subs) != 0 {
		t.Errorf("%d submissions left", len(subs))
	}
	if awards, _ := e.store.Awards(ctx, pl); len(awards) != 0 {
		t.Errorf("awards left: %v", awards)
	}
	if got := e.get("/instructor/progress?deleted=1").text("progress-notice"); got != e.msg("en", "instructor.player.deleted") {
		t.Errorf("notice %q", got)
	}
	if got := e.get("/instructor/players/" + pl).status; got != http.StatusNotFound {
		t.Errorf("deleted player's page: %d", got)
	}
	if got := e.post("/instructor/players/"+pl+"/delete", nil).status; got != http.StatusNotFound {
		t.Errorf("deleting twice: %d", got)
	}
}
