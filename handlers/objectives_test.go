package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/questgate/questgate/quest"
)

func TestLockedObjectives(t *testing.T) {
	e := newEnv(t, options{})
	home := e.get("/", accept("fr")...)
	card := home.doc.Find(`[data-testid="objective"][data-objective="send-mms"]`)
	if got, _ := card.Attr("data-state"); got != "locked" {
		t.Errorf("send-mms card state = %q, want locked", got)
	}
	if got := strings.TrimSpace(card.Find(`[data-testid="objective-state"]`).Text()); got != e.msg("fr", "home.state_locked") {
		t.Errorf("badge = %q", got)
	}
	if got := card.Find(`[data-testid="objective-locked-by"]`).Text(); !strings.Contains(got, "Envoyer un SMS") {
		t.Errorf("locked-by = %q, want the French title of send-sms", got)
	}

	p := e.get("/objectives/send-mms")
	if p.status != http.StatusOK || p.attr("hack-state", "data-state") != "locked" {
		t.Fatalf("send-mms page: %d, state %q", p.status, p.attr("hack-state", "data-state"))
	}
	if _, disabled := p.doc.Find("#hack-button").Attr("disabled"); !disabled {
		t.Error("HACK is not disabled on a locked objective")
	}
	if href := p.attr("prerequisite", "href"); href != "/objectives/send-sms" {
		t.Errorf("prerequisite link = %q", href)
	}

	// A POST anyway is refused, localised, without asking Twilio (the
	// fake fails the test if it is called).
	r := e.post("/objectives/send-mms/hack", url.Values{"sid": {"MM" + strings.Repeat("b2", 16)}}, accept("fr")...)
	if r.attr("result-reason", "data-reason") != string(quest.Locked) || r.attr("hack-state", "data-state") != "locked" {
		t.Fatalf("locked HACK: reason %q state %q", r.attr("result-reason", "data-reason"), r.attr("hack-state", "data-state"))
	}
	if got, want := r.text("result-help"), e.msg("fr", "reason.locked.help"); got != want {
		t.Errorf("help = %q, want %q", got, want)
	}

	// Once send-sms is done, send-mms unlocks.
	e.twilio.verify = passing("my own words")
	e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}})
	if got := e.get("/").doc.Find(`[data-objective="send-mms"]`).AttrOr("data-state", ""); got != "tried" {
		t.Errorf("after send-sms: send-mms state %q, want tried (unlocked, one refused attempt)", got)
	}
	if p := e.get("/objectives/send-mms"); p.attr("hack-state", "data-state") != "ready" || p.find("objective-locked").Length() != 0 {
		t.Errorf("unlocked page still locked")
	}
}

func TestObjectiveVisitIsRecordedForTheChecks(t *testing.T) {
	e := newEnv(t, options{})
	e.saveCredentials(quest.Credentials{AccountSID: testAccountSID, Secret: testSecret})
	if _, err := e.store.RecordAttempt(context.Background(), quest.Submission{PlayerID: e.playerID(), ObjectiveID: "send-sms",
		RawSID: testMessageSID, SID: testMessageSID}, &quest.Award{XP: 100}); err != nil {
		t.Fatal(err)
	}
	first := e.get("/objectives/make-call")
	if first.status != http.StatusOK || first.text("sample-url") == "" || first.find("sample-body").Length() != 0 {
		t.Fatalf("make-call page: status %d, url %q", first.status, first.text("sample-url"))
	}
	if got := first.doc.Find(`label[for="sid"]`).Text(); got != e.msg("en", "hack.label_call") {
		t.Errorf("label = %q", got)
	}
	if code := first.find("example-curl").Text(); !strings.Contains(code, "/Calls.json") || !strings.Contains(code, "Url=") {
		t.Errorf("curl example does not place a call:\n%s", code)
	}
	opened, err := e.store.OpenObjective(context.Background(), e.playerID(), "make-call")
	if err != nil {
		t.Fatal(err)
	}
	var got *quest.PlayerFacts
	e.twilio.verify = func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		got = req.Player
		return quest.Verdict{Reason: quest.CreatedBeforeOpened, SID: quest.Normalize(req.SID)}, nil
	}
	r := e.post("/objectives/make-call/hack", url.Values{"sid": {"CA" + strings.Repeat("c3", 16)}})
	if got == nil || !got.OpenedAt.Equal(opened) {
		t.Errorf("verifier got player %+v, want opened at %v", got, opened)
	}
	if r.text("result-help") != e.msg("en", "reason.created_before_opened.help") {
		t.Errorf("help = %q", r.text("result-help"))
	}
}

func TestRegisterNumbers(t *testing.T) {
	e := newEnv(t, options{})
	r := e.post("/credentials/numbers", url.Values{"number": {"+33 6 12 34 56 78"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/credentials?number_added=1" {
		t.Fatalf("add: %d %q", r.status, r.header.Get("Location"))
	}
	p := e.get("/credentials?number_added=1", accept("fr")...)
	if p.attr("number", "data-number") != "+33612345678" || p.text("notice") != e.msg("fr", "numbers.added") {
		t.Errorf("numbers %q notice %q", p.attr("number", "data-number"), p.text("notice"))
	}

	bad := e.post("/credentials/numbers", url.Values{"number": {"06 12 34 56 78"}}, accept("fr")...)
	if bad.status != http.StatusUnprocessableEntity || bad.text("error-number") != e.msg("fr", "numbers.error.format") {
		t.Errorf("bad number: %d %q", bad.status, bad.text("error-number"))
	}
	if v, _ := bad.doc.Find("#number").Attr("value"); v != "06 12 34 56 78" {
		t.Errorf("the field lost what was typed: %q", v)
	}
	if got, _ := bad.doc.Find("#number").Attr("aria-invalid"); got != "true" {
		t.Error("the field is not marked invalid")
	}

	rm := e.post("/credentials/numbers/delete", url.Values{"number": {"+33612345678"}})
	if rm.status != http.StatusSeeOther {
		t.Fatalf("remove: %d", rm.status)
	}
	if p := e.get("/credentials"); p.find("number").Length() != 0 || p.find("numbers-none").Length() != 1 {
		t.Error("number still listed after removal")
	}
}

func TestInstructionsAreMarkdown(t *testing.T) {
	e := newEnv(t, options{})
	p := e.get("/objectives/reply-sms", accept("en")...)
	ins := p.find("instructions")
	if ins.Find("strong").Length() == 0 || ins.Find("ul li").Length() < 2 || ins.Find("code").Length() == 0 {
		t.Errorf("instructions are not rendered Markdown:\n%s", ins.Text())
	}
	if p.find("objective-limit").Length() != 1 || !strings.Contains(p.text("objective-limit"), "10 minutes") {
		t.Errorf("limit notice = %q", p.text("objective-limit"))
	}
}

// TestObjectivePageShowsOnlyTheSectionsItHas: a kind whose requests take
// several steps (a Messaging Service, a Verify verification) lists no
// sample values and has no ready-to-run examples: its instructions show
// each step. Its page then has neither section, rather than a heading
// with nothing under it and an introduction to examples that are not
// there, which would send a beginner looking for them. A one-request
// kind keeps both.
func TestObjectivePageShowsOnlyTheSectionsItHas(t *testing.T) {
	tests := []struct {
		objective string
		sections  bool
	}{
		{"send-sms", true},
		{"make-call", true},
		{"wire-number", true},
		{"messaging-service", false},
		{"verify-phone", false},
	}
	e := newEnv(t, options{sandbox: true})
	for _, lang := range []string{"en", "fr"} {
		for _, tt := range tests {
			t.Run(lang+"/"+tt.objective, func(t *testing.T) {
				p := e.get("/objectives/"+tt.objective, accept(lang)...)
				if p.status != http.StatusOK {
					t.Fatalf("status %d", p.status)
				}
				samples, examples := p.find("samples"), p.find("examples")
				if tt.sections {
					if samples.Find("dt").Length() == 0 || examples.Find("details").Length() == 0 {
						t.Errorf("%d sample values and %d examples, want some of each", samples.Find("dt").Length(), examples.Find("details").Length())
					}
					return
				}
				if samples.Length() != 0 || examples.Length() != 0 || p.doc.Find("#samples-heading, #examples-heading").Length() != 0 {
					t.Errorf("the page shows a section with nothing in it: %d samples lists, %d examples sections",
						samples.Length(), examples.Length())
				}
				if p.find("instructions").Find("pre").Length() == 0 {
					t.Error("the instructions show no steps to run")
				}
			})
		}
	}
}
