package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/secrets"
	"github.com/questgate/questgate/store"
)

// The instructor's workshop day (issue 18): the wall on a projector, an
// announcement reaching an open page, a hint taken, the event's end, and
// who is stuck.

// projector is the wall's screen.
var projector = viewport{name: "projector", width: 1920, height: 1080}

// workshopStore opens the running suite server's database, as an
// operator's script would, for what no page does (an API player's
// credentials and cohort).
func workshopStore(t *testing.T) *store.Store {
	t.Helper()
	keys, err := secrets.Source{Dir: suite.data, Getenv: func(string) string { return "" }}.Load()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(suite.data, "questgate.db"), store.WithSecrets(keys.Ring, nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// workshopCohort creates a cohort of its own for a test.
func workshopCohort(t *testing.T, st *store.Store) quest.Cohort {
	t.Helper()
	var b [3]byte
	_, _ = rand.Read(b[:])
	co, err := quest.NewPlayers(st).CreateCohort(context.Background(), "Workshop "+hex.EncodeToString(b[:]))
	if err != nil {
		t.Fatal(err)
	}
	return co
}

// apiKey creates a game's API key with `questgate apikey create` and
// returns its id and the key itself.
func apiKey(t *testing.T) (id, key string) {
	t.Helper()
	out, err := exec.Command(suite.bin, "apikey", "create", "--name", "Workshop game", "--data-dir", suite.data).CombinedOutput()
	if err != nil {
		t.Fatalf("apikey create: %v\n%s", err, out)
	}
	k := regexp.MustCompile(`Bearer …\):\s+(\S+)`).FindStringSubmatch(string(out))
	kid := regexp.MustCompile(`kid (key_[a-z0-9]+)\)`).FindStringSubmatch(string(out))
	if k == nil || kid == nil {
		t.Fatalf("apikey create printed no key:\n%s", out)
	}
	return kid[1], k[1]
}

// apiVerify asks the JSON API to verify sid for the game's player, as a
// game's server does, and returns the verdict's reason.
func apiVerify(t *testing.T, key, player, name, sid string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"objective": "send-sms", "sid": sid, "player": map[string]string{"id": player, "name": name}})
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, suite.srv.URL+"/api/v1/verifications", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Reason string `json:"reason"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return v.Reason
}

// gamePlayerIn gives a game's player a sandbox account and puts them in a
// cohort under name, as an operator's script would.
func gamePlayerIn(t *testing.T, st *store.Store, keyID, player, name string, co quest.Cohort) (account, token string) {
	t.Helper()
	account, token = gamePlayerAccount(t, keyID, player, name)
	apiPlayer, err := st.APIPlayer(context.Background(), keyID, player, name)
	id := apiPlayer.ID
	if err != nil {
		t.Fatal(err)
	}
	if err := st.JoinCohort(context.Background(), id, co.ID, name); err != nil {
		t.Fatal(err)
	}
	return account, token
}

// joinCohort takes a player's tab through the cohort's join link.
func (p *tab) joinCohort(co quest.Cohort, name string) {
	p.t.Helper()
	p.open(quest.JoinPath(co))
	p.do("type the display name", paste(chromedp.CSS(`input[name="display_name"]`), name))
	p.follow("press "+p.tr("join.button"), click(testID("join")))
}

// waitFor polls js (an expression that is null until what it waits for
// is there) with a timeout that bounds a hang only, and returns how long
// it took.
func waitFor[T any](p *tab, step, js string) (T, time.Duration) {
	start := time.Now()
	v := run(p, step, chromedp.Poll[T](js, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(stepTimeout)))
	return v, time.Since(start)
}

// shoot saves a screenshot of the tab under workshop/.
func (p *tab) shootWorkshop(name string) {
	p.t.Helper()
	path := filepath.Join(suite.artifacts, "workshop", name+".png")
	if err := p.saveScreenshot(path); err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
	}
}

// TestWorkshopWallAnnouncementAndHint runs the day: the wall on a
// projector updates when a game completes an objective through the API;
// an announcement reaches a player's open page; the hint the player
// reveals shows on the instructor's page of them.
func TestWorkshopWallAnnouncementAndHint(t *testing.T) {
	email, password := addInstructor(t)
	st := workshopStore(t)
	co := workshopCohort(t, st)
	keyID, key := apiKey(t)
	account, token := gamePlayerIn(t, st, keyID, "e2e-wall-ada", "Ada Lovelace", co)

	teacher := newTab(t, tabOptions{})
	teacher.open("/instructor/login")
	teacher.signIn(email, password)
	cohortPage := "/instructor/cohorts/" + strconv.FormatInt(co.ID, 10)
	teacher.open(cohortPage)
	teacher.shootWorkshop("cohort")
	teacher.checkAxe("cohort with workshop")
	teacher.checkLabels("cohort with workshop")

	wall := teacher.sibling()
	wall.do("make the tab a projector", chromedp.EmulateViewport(projector.width, projector.height))
	wall.open("/instructor/wall?cohort=" + strconv.FormatInt(co.ID, 10) + "&names=names")
	wall.do("mark the wall", chromedp.Evaluate[chromedp.Void](noReloadJS))

	sid := sendSMS(t, account, token, "Hello from the workshop")
	if r := apiVerify(t, key, "e2e-wall-ada", "Ada Lovelace", sid); r != "awarded" {
		t.Fatalf("the API answers %q, want awarded", r)
	}
	type tick struct {
		Text     string `json:"text"`
		Done     string `json:"done"`
		Reloaded bool   `json:"reloaded"`
	}
	got, took := waitFor[tick](wall, "wait for the wall to show the completion", `(() => {
		const t = document.querySelector('[data-testid="wall-tick"]');
		if (!t) return null;
		const bar = document.querySelector('[data-testid="wall-bar"][data-objective="send-sms"]');
		return {text: t.innerText.trim(), done: bar ? bar.dataset.done : "", reloaded: !window.__e2eNoReload};
	})()`)
	t.Logf("the wall showed the API's completion %s after the API answered", took.Round(time.Millisecond))
	if want := wall.tr("workshop.wall.completed", map[string]any{"Who": "Ada Lovelace", "Objective": "Send an SMS"}); got.Text != want || got.Done != "1" || got.Reloaded {
		t.Errorf("the wall reads %+v, want %q, 1 done, updated in place", got, want)
	}
	wall.shootWorkshop("wall-1920x1080")
	wall.checkAxe("wall")
	wall.do("a 1280x720 projector", chromedp.EmulateViewport(1280, 720))
	wall.shootWorkshop("wall-1280x720")
	if n := run(wall, "count the wall's controls", chromedp.Evaluate[int](`document.querySelectorAll("main a, main button, main input, main select, main textarea").length`)); n != 0 {
		t.Errorf("the wall has %d controls the audience could trigger", n)
	}
	if w := run(wall, "measure the wall", chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); w > 0 {
		t.Errorf("the wall scrolls sideways by %d px at 1280x720", w)
	}

	// A player with the objective's page open hears the announcement.
	player := newTab(t, tabOptions{})
	player.open("/objectives/send-sms")
	player.joinCohort(co, "Grace Hopper")
	player.open("/objectives/send-sms")
	player.do("mark the objective page", chromedp.Evaluate[chromedp.Void](noReloadJS))
	message := "Break in 5 minutes: finish your SMS"
	teacher.open(cohortPage)
	teacher.do("type the announcement", paste(byLabel(teacher.tr("workshop.announce.body")), message))
	teacher.follow("press "+teacher.tr("workshop.announce.send"), click(testID("announce-send")))
	type heard struct {
		Text     string `json:"text"`
		Reloaded bool   `json:"reloaded"`
	}
	h, took := waitFor[heard](player, "wait for the announcement", `(() => {
		const a = document.querySelector('[data-testid="announcement"] .announcement-body');
		return a ? {text: a.innerText.trim(), reloaded: !window.__e2eNoReload} : null;
	})()`)
	t.Logf("the announcement reached the open page %s after it was sent", took.Round(time.Millisecond))
	if h.Text != message || h.Reloaded {
		t.Errorf("the player's page shows %+v, want %q without a reload", h, message)
	}

	// The player reveals the first hint; the instructor sees it taken.
	player.follow("press "+player.tr("workshop.hints.reveal", map[string]any{"N": 1}), click(testID("reveal-hint")))
	if got := player.text("read the hint", chromedp.CSS(`[data-testid="hint"][data-stage="1"] .markdown`)); !strings.Contains(got, "SM") {
		t.Errorf("the first hint reads %q", got)
	}
	player.shootWorkshop("objective-announcement-hint")
	player.checkAxe("objective with a hint")
	player.open("/")
	player.checkAxe("objectives with announcements")
	rows, _, err := st.ProgressPage(context.Background(), quest.ProgressQuery{CohortID: co.ID, Name: "Grace Hopper", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var graceID string
	for _, r := range rows {
		if r.Player.DisplayName == "Grace Hopper" {
			graceID = r.Player.ID
		}
	}
	teacher.open("/instructor/players/" + graceID)
	if got := run(teacher, "read the hints taken", chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid="hint-reveal"]')].map(r => r.dataset.objective + "#" + r.dataset.stage).join(",")`)); got != "send-sms#1" {
		t.Errorf("the instructor's page of the player lists hints %q, want send-sms#1", got)
	}
	teacher.open("/instructor/announcements")
	teacher.checkAxe("announcements")
	teacher.checkLabels("announcements")
}

// TestWorkshopEventEndAndStuck: players who keep failing show as stuck,
// on the progress view and as a count on the wall without names; once the
// event has ended, attempts are refused in the player's language and
// counted nowhere.
func TestWorkshopEventEndAndStuck(t *testing.T) {
	email, password := addInstructor(t)
	st := workshopStore(t)
	co := workshopCohort(t, st)
	keyID, key := apiKey(t)
	gamePlayerIn(t, st, keyID, "e2e-stuck-linus", "Linus", co)
	for range 3 {
		if r := apiVerify(t, key, "e2e-stuck-linus", "Linus", unknownSID()); r != "not_found" {
			t.Fatalf("an unknown SID: %q", r)
		}
	}
	teacher := newTab(t, tabOptions{})
	teacher.open("/instructor/login")
	teacher.signIn(email, password)
	cohort := strconv.FormatInt(co.ID, 10)
	teacher.open("/instructor/progress?cohort=" + cohort)
	if got := run(teacher, "read who is stuck", chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid="stuck-player"]')].map(r => r.querySelector('[data-testid="stuck-reason"]').dataset.reason).join(",")`)); got != "not_found" {
		t.Errorf("the progress view lists stuck players' reasons %q, want not_found", got)
	}
	teacher.shootWorkshop("stuck")
	teacher.checkAxe("progress with stuck players")
	wall := teacher.sibling()
	wall.open("/instructor/wall?cohort=" + cohort + "&names=hidden")
	if got, want := wall.text("read the stuck count", testID("wall-stuck")), wall.tr("workshop.wall.stuck", map[string]any{"N": 1}); got != want {
		t.Errorf("the wall without names says %q, want %q", got, want)
	}
	wall.shootWorkshop("wall-hidden")

	players := map[string]*tab{}
	for _, lang := range []string{"en", "fr"} {
		o := tabOptions{lang: lang}
		if lang == "fr" {
			o.screen = phone
		}
		p := newTab(t, o)
		p.open("/objectives/send-sms")
		p.joinCohort(co, "Player "+lang)
		players[lang] = p
	}
	// The instructor ends the event: an end in the past, in UTC.
	teacher.open("/instructor/cohorts/" + cohort)
	teacher.do("set the end", chromedp.Evaluate[chromedp.Void](`(() => {
		document.querySelector('#event-end').value = "2020-01-01T10:00";
		document.querySelector('#event-zone').value = "UTC";
	})()`))
	teacher.follow("press "+teacher.tr("workshop.event.save"), click(testID("event-save")))
	if got := teacher.text("read the notice", testID("cohort-notice")); got != teacher.tr("workshop.notice.event_saved") {
		t.Errorf("after saving the page says %q", got)
	}
	for lang, p := range players {
		account, token := p.ownAccount()
		sid := sendSMS(t, account, token, "Too late, "+lang)
		res := p.hack("paste the SID and press HACK after the end", p.pasteSID(sid), click(p.hackButton()))
		if res.Reason != string(quest.EventEnded) || !strings.Contains(res.Title, p.tr("reason.event_ended.title")) {
			t.Errorf("%s: after the end the result is %+v, want %q", lang, res, p.tr("reason.event_ended.title"))
		}
		p.shootWorkshop("event-ended-" + lang)
	}
	if r := apiVerify(t, key, "e2e-stuck-linus", "Linus", unknownSID()); r != string(quest.EventEnded) {
		t.Errorf("the API after the end answers %q", r)
	}
	teacher.open("/instructor/progress?cohort=" + cohort)
	failing := teacher.text("read the failures", chromedp.CSS(`[data-testid="objective-stat"][data-objective="send-sms"] [data-testid="stat-failing"]`))
	if failing != "1" {
		t.Errorf("the progress counts %s players failing send-sms, want 1 (Linus, before the end)", failing)
	}
	subs, err := st.ListSubmissions(context.Background(), quest.SubmissionFilter{CohortID: co.ID, Reason: quest.EventEnded}, 0, 10)
	if err != nil || len(subs) != 0 {
		t.Errorf("refused attempts were recorded: %d, %v", len(subs), err)
	}
}
