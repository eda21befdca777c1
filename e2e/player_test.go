package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/questgate/questgate/catalog"
)

// The player's scenarios. The instructor's ("sees a new submission appear
// live", issue 4) are in instructor_test.go. The embedding platform's ("the
// example page receives the completion message from the widget", issue 5)
// goes in a file of its own beside this one when that feature lands,
// reusing newTab, the server and the flows in flows_test.go; its page
// joins the tour in tour_test.go for screenshots and accessibility.

// TestNewPlayerWinsWithSandboxAccount is the first visit of a player with
// no Twilio account: take a sandbox account, send a message with it the
// way the curl example does, paste the SID and press HACK.
func TestNewPlayerWinsWithSandboxAccount(t *testing.T) {
	p := newTab(t, tabOptions{})
	p.open("/")
	if got := attr(p, "read the account notice", testID("account-notice"), "data-account"); got != "sandbox-pending" {
		t.Errorf("a new player's home page shows the %q account notice, want sandbox-pending", got)
	}
	account, token := p.useSandboxAccount()
	body := "Ahoy from a real browser"
	sid := sendSMS(t, account, token, body)

	p.openObjective("send-sms")
	if got := attr(p, "read the account notice", testID("account-notice"), "data-account"); got != "sandbox" {
		t.Errorf("after choosing a sandbox account the objective shows the %q account notice, want sandbox", got)
	}
	// Copied from the JSON answer, quotes included.
	res := p.hack("paste the SID and press HACK", p.pasteSID(`"`+sid+`"`), click(p.hackButton()))
	p.wantResult("HACK", res, "success", "awarded")
	if res.Body != body {
		t.Errorf("the result shows the body %q, want %q", res.Body, body)
	}
	if res.Field != "" {
		t.Errorf("after SUCCESS the SID field still holds %q, want it empty for the next objective", res.Field)
	}
	if got, want := p.text("read the XP gained", testID("result-xp")), p.tr("hack.xp_granted", map[string]any{"XP": objectiveXP(t, "send-sms")}); got != want {
		t.Errorf("the result shows %q, want %q", got, want)
	}

	p.follow("go back to the objectives", click(testID("nav-home")))
	if got := attr(p, "read the objective's state", chromedp.CSS(`[data-testid="objective"][data-objective="send-sms"]`), "data-state"); got != "done" {
		t.Errorf("the home page shows send-sms as %q, want done", got)
	}
}

// TestWrongSIDShowsFailedWithReason pastes what beginners paste by
// mistake, one after the other in the same page, as a player retrying does.
func TestWrongSIDShowsFailedWithReason(t *testing.T) {
	p := newTab(t, tabOptions{})
	account, _ := p.ownAccount()
	tests := []struct {
		name   string
		pasted string
		reason string
	}{
		{"the Account SID", account, "wrong_resource"},
		{"a message of another account", unknownSID(), "not_found"},
		{"not a SID at all", "my message was sent!", "invalid_sid"},
	}
	for i, tt := range tests {
		res := p.hack("paste "+tt.name+" and press HACK", p.pasteSID(tt.pasted), click(p.hackButton()))
		p.wantResult(tt.name, res, "failed", tt.reason)
		if res.Field != tt.pasted {
			t.Errorf("%s: after FAILED the SID field holds %q, want what was pasted (%q) to fix it", tt.name, res.Field, tt.pasted)
		}
		if res.Attempts != i+1 {
			t.Errorf("%s: the page lists %d attempts, want %d", tt.name, res.Attempts, i+1)
		}
		if got := attr(p, "read the SID field's state", p.sidField(), "aria-invalid"); got != "true" {
			t.Errorf("%s: the SID field has aria-invalid=%q after FAILED, want true", tt.name, got)
		}
	}
}

// TestEnterSubmits is the newcomer who runs the curl command the objective
// page shows, pastes the SID and presses Enter rather than clicking.
func TestEnterSubmits(t *testing.T) {
	for _, js := range []struct {
		name string
		noJS bool
	}{{"with JavaScript", false}, {"without JavaScript", true}} {
		t.Run(js.name, func(t *testing.T) {
			p := newTab(t, tabOptions{noJS: js.noJS})
			sid := p.ownSMS("Sent with the page's curl command")
			p.open("/objectives/send-sms")
			res := p.hack("paste the SID and press Enter", p.pasteSID(sid), pressKey(kb.Enter))
			p.wantResult("Enter", res, "success", "awarded")
		})
	}
}

// TestHackButtonIsDisabledWhileChecking holds questgate's answer in the
// browser (the DevTools Fetch domain pauses the request), so the page is
// looked at while checking, for as long as needed and without sleeping.
func TestHackButtonIsDisabledWhileChecking(t *testing.T) {
	p := newTab(t, tabOptions{})
	sid := p.ownSMS("Checking takes a moment")
	p.open("/objectives/send-sms")
	p.do("paste the SID", p.pasteSID(sid))

	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	p.do("hold the HACK request in the browser", call(fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
		{URLPattern: "*/objectives/send-sms/hack", RequestStage: fetch.RequestStageRequest}}}))
	p.do("press HACK", chromedp.Evaluate[chromedp.Void](markPanelJS), click(p.hackButton()))
	var held fetch.RequestID
	for ev, err := range paused {
		if err != nil {
			p.fail("wait for the HACK request", err)
		}
		held = ev.RequestID
		break
	}

	busy := run(p, "look at the page while checking", chromedp.Evaluate[struct {
		Disabled bool   `json:"disabled"`
		Shown    string `json:"shown"`
	}](`(() => {
		const b = document.getElementById("hack-button");
		const shown = [...document.querySelectorAll('[data-testid="hack-panel"] .hack-state')].filter(e => e.checkVisibility());
		return {disabled: !!b && b.disabled, shown: shown.map(e => e.innerText.trim()).join(" | ")};
	})()`))
	if !busy.Disabled {
		t.Error("the HACK button is enabled while questgate checks the SID: a second press would send it again")
	}
	if want := p.tr("hack.state_hacking"); busy.Shown != want {
		t.Errorf("while checking the state reads %q, want %q alone", busy.Shown, want)
	}
	if t.Failed() {
		p.failureScreenshot("while checking")
	}

	p.do("let questgate answer",
		call(fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: held}),
		call(fetch.Disable, cdp.Empty{}),
		chromedp.Poll[chromedp.Void](newResultJS, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(stepTimeout)),
	)
	res := run(p, "read the result", chromedp.Evaluate[hackResult](readResultJS))
	p.wantResult("HACK", res, "success", "awarded")
	if enabled := run(p, "read the button", chromedp.Evaluate[bool](`!document.getElementById("hack-button").disabled`)); !enabled {
		t.Error("the HACK button stays disabled after the answer")
	}
}

// TestFrenchPlayer plays in French, chosen by the browser's language and
// by the language switcher.
func TestFrenchPlayer(t *testing.T) {
	t.Run("browser language", func(t *testing.T) {
		p := newTab(t, tabOptions{lang: "fr"})
		p.open("/")
		p.wantLanguage("home page", "fr")
		if got, want := p.text("read the title", "h1"), p.tr("home.title"); got != want {
			t.Errorf("the French home page's title is %q, want %q", got, want)
		}
		sid := p.ownSMS("Bonjour depuis le bac à sable")
		p.openObjective("send-sms")
		p.wantLanguage("objective page", "fr")
		res := p.hack("coller le SID et appuyer sur HACK", p.pasteSID(sid), click(p.hackButton()))
		p.wantResult("HACK", res, "success", "awarded")
		res = p.hack("coller le SID d'un autre compte", p.pasteSID(unknownSID()), click(p.hackButton()))
		p.wantResult("HACK", res, "failed", "not_found")
	})

	t.Run("language switcher", func(t *testing.T) {
		p := newTab(t, tabOptions{lang: "en"})
		p.open("/objectives/send-sms")
		p.wantLanguage("objective page", "en")
		english := p.text("read the title", testID("objective-title"))

		p.follow("choose "+trIn("fr", "lang.fr"), click(testID("lang-fr")))
		if loc := p.location(); !strings.HasSuffix(loc, "/objectives/send-sms") {
			t.Errorf("switching language leads to %s, want the same objective page", loc)
		}
		p.wantLanguage("objective page after switching", "fr")
		if french := p.text("read the title", testID("objective-title")); french == english {
			t.Errorf("the objective's title stays %q in French", french)
		}
		if got, want := p.text("read the hack heading", chromedp.CSS("#hack-heading")), trIn("fr", "hack.heading"); got != want {
			t.Errorf("the hack interface is titled %q, want %q", got, want)
		}

		// The choice outlives the page, although the browser asks for English.
		p.follow("open the objectives", click(testID("nav-home")))
		p.wantLanguage("home page after switching", "fr")

		p.follow("choose "+trIn("en", "lang.en"), click(testID("lang-en")))
		p.wantLanguage("home page after switching back", "en")
	})
}

// wantLanguage checks the page is in lang: the document says so (screen
// readers pick their voice from it), the switcher marks it, and the page
// uses that language's words.
func (p *tab) wantLanguage(page, lang string) {
	p.t.Helper()
	got := run(p, "read the page's language", chromedp.Evaluate[struct {
		Lang    string `json:"lang"`
		Current string `json:"current"`
		Nav     string `json:"nav"`
	}](`({
		lang: document.documentElement.lang,
		current: document.querySelector('[data-testid="lang-switcher"] [aria-current="true"]')?.getAttribute("lang") ?? "",
		nav: document.querySelector('[data-testid="nav-home"]')?.innerText.trim() ?? "",
	})`))
	if got.Lang != lang || got.Current != lang || got.Nav != trIn(lang, "layout.home") {
		p.t.Errorf("%s: <html lang=%q>, switcher marks %q, navigation reads %q; want %s and %q",
			page, got.Lang, got.Current, got.Nav, lang, trIn(lang, "layout.home"))
	}
}

// TestWithoutJavaScript is the whole first visit with JavaScript off:
// every form is a real form, so nothing needs scripts.
func TestWithoutJavaScript(t *testing.T) {
	p := newTab(t, tabOptions{noJS: true})
	p.open("/")
	if htmx := run(p, "check that scripts are off", chromedp.Evaluate[string](`typeof htmx`)); htmx != "undefined" {
		t.Fatalf("htmx is loaded (%s): JavaScript is not off", htmx)
	}
	account, token := p.useSandboxAccount()
	body := "No scripts needed"
	sid := sendSMS(t, account, token, body)
	p.openObjective("send-sms")

	res := p.hack("paste a wrong SID and press HACK", p.pasteSID(account), click(p.hackButton()))
	p.wantResult("wrong SID", res, "failed", "wrong_resource")
	if loc := p.location(); !strings.HasSuffix(loc, "#hack-panel") {
		t.Errorf("the answer opens at %s, want the hack interface (#hack-panel) in view", loc)
	}

	res = p.hack("paste the SID and press HACK", p.pasteSID(sid), click(p.hackButton()))
	p.wantResult("HACK", res, "success", "awarded")
	if res.Body != body {
		t.Errorf("the result shows the body %q, want %q", res.Body, body)
	}
}

// objectiveXP is what the catalog says an objective is worth.
func objectiveXP(t *testing.T, id string) int {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	o, ok := cat.Get(id)
	if !ok {
		t.Fatalf("no objective %q in the catalog", id)
	}
	return o.XP
}

// attr is an attribute of the first element sel finds ("" when absent).
func attr[S chromedp.Selectable](p *tab, step string, sel S, name string) string {
	p.t.Helper()
	return run(p, step, chromedp.AttributeValue(sel, name, chromedp.NodeReady)).Value
}
