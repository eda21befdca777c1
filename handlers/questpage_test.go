package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/questgate/questgate/quest"
)

// TestHackWithoutJavaScriptIsPostRedirectGet: a plain form HACK answers
// 303 to the attempt's own page, which shows the same result and can be
// reloaded without posting again; the form's address, opened, leads to
// the objective instead of a 405.
func TestHackWithoutJavaScriptIsPostRedirectGet(t *testing.T) {
	e := newEnv(t, options{})
	e.twilio.verify = rejecting(quest.NotFound)
	e.noFollow = true
	p := e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}, accept("fr")...)
	loc := p.header.Get("Location")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/submissions/") {
		t.Fatalf("plain HACK: %d to %q, want 303 to the attempt", p.status, loc)
	}
	for range 2 { // a reload shows the same, and records nothing
		a := e.get(loc, accept("fr")...)
		if a.status != http.StatusOK || a.attr("hack-state", "data-state") != "failed" || a.attr("result-reason", "data-reason") != string(quest.NotFound) {
			t.Fatalf("attempt page: %d state %q reason %q", a.status, a.attr("hack-state", "data-state"), a.attr("result-reason", "data-reason"))
		}
		if got, _ := a.doc.Find("#sid").Attr("value"); got != testMessageSID {
			t.Errorf("the field holds %q, want the paste to fix", got)
		}
		if a.find("attempt").Length() != 1 {
			t.Errorf("%d attempts listed after reloading, want 1", a.find("attempt").Length())
		}
		if got := a.find("hack-steps").Find(`[data-step="twilio"]`).AttrOr("data-status", ""); got != "failed" {
			t.Errorf("the Twilio step is %q, want failed (Twilio found nothing)", got)
		}
	}
	// htmx still gets the panel in place.
	if h := e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}, htmx...); h.status != http.StatusOK || h.find("hack-panel").Length() != 1 {
		t.Errorf("htmx HACK: %d", h.status)
	}
	if g := e.get("/objectives/send-sms/hack"); g.status != http.StatusSeeOther || g.header.Get("Location") != "/objectives/send-sms#hack-panel" {
		t.Errorf("GET of the form's address: %d to %q", g.status, g.header.Get("Location"))
	}
}

// TestFirstWinLeadsOn: the first win shows the XP, what it unlocked and
// a Next objective button to an unlocked objective, on the live panel and
// on the attempt's page; a repeat shows its result quietly.
func TestFirstWinLeadsOn(t *testing.T) {
	e := newEnv(t, options{})
	e.twilio.verify = passing("my own words")
	for _, where := range []string{"htmx", "page"} {
		var h []string
		if where == "htmx" {
			h = htmx
		}
		p := e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}, h...)
		if where == "htmx" {
			if p.find("success").Length() != 1 || p.find("result-unlocked").Find("a").Length() == 0 {
				t.Fatalf("first win: no success block with unlocked objectives:\n%s", p.find("result").Text())
			}
			next := p.attr("next-objective", "href")
			unlocked := p.find("result-unlocked").Find("a").First().AttrOr("href", "")
			if next == "" || next != unlocked {
				t.Errorf("Next objective leads to %q, want the first unlocked %q", next, unlocked)
			}
			if o := e.get(next); o.find("objective-locked").Length() != 0 || o.attr("hack-state", "data-state") != "ready" {
				t.Errorf("the next objective %s is not open", next)
			}
			continue
		}
		// The repeat, as a plain form: quiet.
		if p.attr("result-reason", "data-reason") != string(quest.AlreadyAwarded) || p.find("success").Length() != 0 || p.find("next-objective").Length() != 0 {
			t.Errorf("repeat: reason %q, success block %d", p.attr("result-reason", "data-reason"), p.find("success").Length())
		}
		if p.text("message-body") != "my own words" {
			t.Errorf("repeat's page shows body %q, want the win's", p.text("message-body"))
		}
	}
	// The win's own page still shows what it granted.
	subs, err := e.store.RecentSubmissions(t.Context(), e.playerID(), "send-sms", 5)
	if err != nil {
		t.Fatal(err)
	}
	won := subs[len(subs)-1]
	if p := e.get("/submissions/" + itoa(won.ID)); p.find("success").Length() != 1 || p.text("result-xp") == "" {
		t.Errorf("the winning attempt's page shows no success block")
	}
}

// TestPastedAnswerIsPickedOut: pasting Twilio's whole JSON answer checks
// the message's SID, and the result says it was picked out.
func TestPastedAnswerIsPickedOut(t *testing.T) {
	e := newEnv(t, options{})
	var checked string
	e.twilio.verify = func(ctx context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		checked = req.SID
		return passing("hi")(ctx, req)
	}
	answer := `{"account_sid": "` + testAccountSID + `", "body": "hi", "sid": "` + testMessageSID + `", "status": "queued"}`
	p := e.post("/objectives/send-sms/hack", url.Values{"sid": {answer}}, append(htmx, accept("fr")...)...)
	if checked != testMessageSID || p.attr("result-reason", "data-reason") != string(quest.Awarded) {
		t.Fatalf("checked %q, reason %q", checked, p.attr("result-reason", "data-reason"))
	}
	if got, want := p.text("result-picked"), e.msg("fr", "hack.picked.json", map[string]any{"SID": testMessageSID}); got != squash(want) {
		t.Errorf("picked note %q, want %q", got, want)
	}
}

// TestQuestMap: the objectives page is the quest's path, step by step,
// with the player's name, workshop and XP progress; each objective links
// to the ones it needs.
func TestQuestMap(t *testing.T) {
	e := newEnv(t, options{})
	c := newCohort(t, e, "Lyon")
	e.get("/objectives/send-sms")
	e.post("/join/"+c.JoinCode, url.Values{"display_name": {"Ada"}})
	p := e.get("/", accept("en")...)
	if got, want := p.text("quest-player"), e.msg("en", "questmap.player", map[string]any{"Name": "Ada"})+" "+e.msg("en", "questmap.cohort", map[string]any{"Name": "Lyon"}); got != want {
		t.Errorf("player line %q, want %q", got, want)
	}
	if v, _ := p.find("quest-progress").Attr("value"); v != "0" {
		t.Errorf("progress %q, want 0", v)
	}
	tiers := p.find("map-tier")
	if tiers.Length() < 2 {
		t.Fatalf("%d steps on the map, want the path", tiers.Length())
	}
	first := tiers.First().Find(`[data-testid="objective"]`)
	if first.First().AttrOr("data-objective", "") != "send-sms" {
		t.Errorf("step 1 starts with %q", first.First().AttrOr("data-objective", ""))
	}
	mms := p.doc.Find(`[data-objective="send-mms"]`)
	if mms.AttrOr("data-state", "") != "locked" || mms.Find(`[data-testid="objective-needs"] a[href="#map-send-sms"]`).Length() != 1 {
		t.Errorf("send-mms: state %q, needs %q", mms.AttrOr("data-state", ""), mms.Find(`[data-testid="objective-needs"]`).Text())
	}
}
