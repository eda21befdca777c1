package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// This file holds what a player does, step by step, for the scenarios and
// the tour to share. Elements are found as a person finds them: a field by
// its label, a button by its name, or else by the data-testid the
// templates set; never by layout or by a form's hidden plumbing (CSRF
// fields and headers, htmx attributes), which may change.

// jsString quotes s for JavaScript source.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// byLabel finds the form field whose <label> reads text. It fails to find
// a field that has a label not tied to it, as a screen reader would.
func byLabel(text string) chromedp.JSPath {
	return chromedp.JSPath(`[...document.querySelectorAll("label")].find(l => l.innerText.trim() === ` +
		jsString(text) + `)?.control`)
}

// buttonNamed finds the button that reads name inside the element marked
// with data-testid scope.
func buttonNamed(scope, name string) chromedp.JSPath {
	return chromedp.JSPath(`[...document.querySelectorAll('[data-testid="` + scope + `"] button')].find(b => b.innerText.trim() === ` +
		jsString(name) + `)`)
}

// selectAll selects the focused field's text as Ctrl+A does, so the next
// paste replaces it.
func selectAll() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
			p := input.DispatchKeyEventParams{Type: typ, Key: "a", Code: "KeyA", WindowsVirtualKeyCode: 65,
				Modifiers: int64(kb.ModifierCtrl)}
			if typ == input.DispatchKeyEventTypeRawKeyDown {
				p.Commands = []string{"selectAll"}
			}
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// sidField is the hack interface's SID field, found by its label.
func (p *tab) sidField() chromedp.JSPath { return byLabel(p.tr("hack.label")) }

// hackButton is the HACK button, found by its name.
func (p *tab) hackButton() chromedp.JSPath { return buttonNamed("hack-panel", p.tr("hack.button")) }

// pasteSID replaces what the SID field holds with sid, as a player who
// selects the field's text and pastes does.
// It checks the field then holds exactly sid, as the player would see.
func (p *tab) pasteSID(sid string) chromedp.Action[chromedp.Void] {
	field := p.sidField()
	return chromedp.Steps(
		chromedp.Focus(field, chromedp.NodeVisible), selectAll(), paste(field, sid),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			got, err := chromedp.Evaluate[string](`(`+string(field)+`)?.value ?? ""`)(ctx, t)
			if err == nil && got != sid {
				err = fmt.Errorf("after pasting %q the SID field holds %q", sid, got)
			}
			return err
		}),
	)
}

// hackResult is what the hack interface shows after an attempt.
type hackResult struct {
	// State is the interface's state (data-state: ready, success,
	// failed) and StateText the word shown for it.
	State     string `json:"state"`
	StateText string `json:"stateText"`
	// Reason is the outcome's code (data-reason) and Title its words.
	Reason string `json:"reason"`
	Title  string `json:"title"`
	// Help says what happened and what to do next.
	Help string `json:"help"`
	// Body is the verified message's body, when one was found.
	Body string `json:"body"`
	// Field is what the SID field holds afterwards.
	Field string `json:"field"`
	// Attempts counts the rows of "Your last attempts".
	Attempts int `json:"attempts"`
}

const readResultJS = `(() => {
	const q = s => document.querySelector(s);
	const text = s => { const e = q(s); return e ? e.innerText.trim() : ""; };
	const state = q('[data-testid="hack-state"]');
	const reason = q('[data-testid="result-reason"]');
	const field = q('[data-testid="hack-panel"] input[name="sid"]');
	return {
		state: state ? state.dataset.state : "",
		stateText: text('[data-testid="hack-state"]'),
		reason: reason ? reason.dataset.reason : "",
		title: text('[data-testid="result-reason"]'),
		help: text('[data-testid="result-help"]'),
		body: text('[data-testid="message-body"]'),
		field: field ? field.value : "",
		attempts: document.querySelectorAll('[data-testid="attempt"]').length,
	};
})()`

// markPanel remembers the hack state element and its state, so that
// waitResult can tell a fresh answer from the one already shown.
const markPanelJS = `(() => {
	const s = document.querySelector('[data-testid="hack-state"]');
	window.__e2eState = s;
	window.__e2eStateValue = s ? s.dataset.state : "";
	return true;
})()`

// newResultJS is true once the hack interface shows an answer to the
// attempt just made, and the player can go on from it: htmx swapped in a
// new panel (or app.js changed the state after an error htmx does not
// swap), no request is running, and the result holds the focus, which
// app.js moves there once htmx has settled the panel. The focus is the
// condition itself rather than htmx's classes, so that a next step that
// presses Tab starts from the result, as a keyboard player does, and
// cannot race app.js for the focus.
const newResultJS = `(() => {
	const s = document.querySelector('[data-testid="hack-state"]');
	const r = document.querySelector('[data-testid="result"]');
	return !!s && !!r && document.activeElement === r && !document.querySelector(".htmx-request") &&
		(s !== window.__e2eState || s.dataset.state !== window.__e2eStateValue);
})()`

// hack runs trigger (click HACK, press Enter) and waits for the answer:
// with JavaScript, the panel htmx swaps in place; without, the new page.
func (p *tab) hack(step string, trigger ...chromedp.Action[chromedp.Void]) hackResult {
	p.t.Helper()
	if p.opts.noJS {
		if status := p.follow(step, trigger...); status != http.StatusOK {
			p.t.Errorf("%s: HTTP %d, want 200", step, status)
		}
	} else {
		p.do(step,
			chromedp.Evaluate[chromedp.Void](markPanelJS),
			chromedp.Steps(trigger...),
			chromedp.Poll[chromedp.Void](newResultJS, chromedp.WithPollingTimeout(stepTimeout)),
		)
	}
	return run(p, step+": read the result", chromedp.Evaluate[hackResult](readResultJS))
}

// wantResult checks an attempt's outcome as the player reads it: the state
// word and the reason's title in the page's language, and some help.
func (p *tab) wantResult(step string, got hackResult, state, reason string) {
	p.t.Helper()
	title, _, _ := templates.ReasonMessageIDs(quest.Reason(reason), "")
	want := hackResult{State: state, StateText: p.tr("hack.state_" + state), Reason: reason, Title: p.tr(title)}
	if got.State != want.State || got.StateText != want.StateText || got.Reason != want.Reason || got.Title != want.Title {
		p.failureScreenshot(step)
		p.t.Fatalf("%s: the hack interface shows\n  %s %q, reason %s %q\nwant\n  %s %q, reason %s %q\nhelp: %q",
			step, got.State, got.StateText, got.Reason, got.Title,
			want.State, want.StateText, want.Reason, want.Title, got.Help)
	}
	if got.Help == "" {
		p.t.Errorf("%s: no help under %q: a player must be told what happened and what to do", step, got.Title)
	}
}

// useSandboxAccount goes from wherever the player is to the credentials
// page through the navigation, presses "Use a sandbox account", and reads
// the Account SID and Auth Token the page shows, as a player copies them:
// the token is masked until they press the reveal control.
func (p *tab) useSandboxAccount() (account, token string) {
	p.t.Helper()
	p.follow("open the credentials page from the navigation", click(testID("nav-credentials")))
	p.follow("press "+p.tr("credentials.sandbox_button"), click(buttonNamed("sandbox", p.tr("credentials.sandbox_button"))))
	if got, want := p.text("read the notice", testID("notice")), p.tr("credentials.sandbox_created"); got != want {
		p.t.Fatalf("after choosing a sandbox account the page says %q, want %q", got, want)
	}
	account = p.text("read the Account SID", testID("saved-account-sid"))
	if shown := p.text("read the masked token", testID("saved-secret")); regexp.MustCompile(`[0-9a-f]{32}`).MatchString(shown) {
		p.t.Errorf("the credentials page shows the token %q before the player asks", shown)
	}
	p.do("press "+p.tr("credentials.reveal"), click(chromedp.CSS(`[data-testid="reveal-secret"] summary`)))
	token = p.text("read the Auth Token", testID("saved-secret-value"))
	if !strings.HasPrefix(account, "AC") || len(token) != 32 {
		p.t.Fatalf("the credentials page shows Account SID %q and token %q, want AC… and 32 characters", account, token)
	}
	return account, token
}

// openObjective goes home through the navigation and opens the objective
// by its link on the card.
func (p *tab) openObjective(id string) {
	p.t.Helper()
	p.follow("open the objectives from the navigation", click(testID("nav-home")))
	p.follow("open objective "+id, click(chromedp.CSS(`[data-testid="objective"][data-objective="`+id+`"] a[href="/objectives/`+id+`"]`)))
}

// sendSMS sends a text message through the sandbox exactly as the
// objective's curl command does, and returns its SID.
func sendSMS(t *testing.T, account, token, body string) string {
	t.Helper()
	form := url.Values{"From": {"+15017122661"}, "Body": {body}, "To": {"+15558675310"}}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		suite.srv.URL+"/sandbox/2010-04-01/Accounts/"+account+"/Messages.json", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(account, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("send a message through the sandbox: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("send a message through the sandbox: %s\n%s", resp.Status, readAll(resp.Body))
	}
	var msg struct {
		SID string `json:"sid"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&msg); err != nil || !strings.HasPrefix(msg.SID, "SM") {
		t.Fatalf("send a message through the sandbox: no SID in the answer (%v)", err)
	}
	return msg.SID
}

// ownAccount opens the objective the server's start-up help names, as a
// newcomer does, and reads the sandbox account its curl example uses: the
// player's own, made on their first visit.
func (p *tab) ownAccount() (account, token string) {
	p.t.Helper()
	p.open("/objectives/send-sms")
	code := p.text("read the curl example", chromedp.CSS(`[data-testid="example-curl"] code`))
	m := regexp.MustCompile(`-u '(AC[0-9a-f]{32}):([0-9a-f]{32})'`).FindStringSubmatch(code)
	if m == nil {
		p.t.Fatalf("the objective's curl example uses no sandbox account of the player's:\n%s", code)
	}
	return m[1], m[2]
}

// ownSMS sends a message with the player's own sandbox account, as a
// newcomer running the objective page's curl command does.
func (p *tab) ownSMS(body string) string {
	p.t.Helper()
	account, token := p.ownAccount()
	return sendSMS(p.t, account, token, body)
}

// unknownSID is a well-formed message SID that no account holds.
func unknownSID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "SM" + hex.EncodeToString(b[:])
}
