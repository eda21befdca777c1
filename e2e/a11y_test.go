package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeSource is axe-core, vendored with its licence in testdata/axe.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// axeTags are the rule sets axe runs: WCAG 2.2 A and AA, and its best
// practices (headings, landmarks), which it rates no higher than moderate.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// axeViolation is one failed axe rule with the elements that fail it.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// blocking reports whether a violation fails the test: serious and
// critical ones stop some players from using the page.
func (v axeViolation) blocking() bool { return v.Impact == "serious" || v.Impact == "critical" }

func (v axeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  [%s] %s: %s (%s)\n", v.Impact, v.ID, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "      at %s\n        %s\n", n.Target, clip(n.HTML, 200))
		for _, line := range strings.Split(strings.TrimSpace(n.Summary), "\n") {
			fmt.Fprintf(&b, "        %s\n", line)
		}
	}
	return b.String()
}

// checkAxe runs axe-core on the page as it is now, saves its findings as
// JSON under axe/, fails the test on serious and critical violations and
// logs the others.
func (p *tab) checkAxe(page string) {
	p.t.Helper()
	violations := p.axe(page)
	report, _ := json.MarshalIndent(violations, "", "  ")
	path := filepath.Join(suite.artifacts, "axe", fileName(p.t.Name())+"--"+fileName(page)+".json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
		_ = os.WriteFile(path, report, 0o644)
	}
	var blocking, other strings.Builder
	for _, v := range violations {
		if v.blocking() {
			blocking.WriteString(v.String())
		} else {
			other.WriteString(v.String())
		}
	}
	if other.Len() > 0 {
		p.t.Logf("%s: axe-core reports minor or moderate issues (not failing):\n%s", page, other.String())
	}
	if blocking.Len() > 0 {
		p.failureScreenshot(page + " axe")
		p.t.Errorf("%s: axe-core finds serious or critical accessibility violations:\n%s(report: %s)", page, blocking.String(), path)
	}
}

// axe injects axe-core into the page, unless it is there already, and
// returns its violations. The source is evaluated as a script of its own
// through DevTools, so a strict Content-Security-Policy neither blocks it
// nor needs loosening for the tests.
func (p *tab) axe(page string) []axeViolation {
	p.t.Helper()
	if !run(p, page+": look for axe-core", chromedp.Evaluate[bool](`typeof window.axe === "object"`)) {
		run(p, page+": load axe-core", chromedp.Evaluate[bool](axeSource+"\n;true"))
	}
	tags, _ := json.Marshal(axeTags)
	return run(p, page+": run axe-core", chromedp.Evaluate[[]axeViolation](`axe.run(document, {
		resultTypes: ["violations"],
		runOnly: {type: "tag", values: `+string(tags)+`},
	}).then(r => r.violations.map(v => ({
		id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
		nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary || ""})),
	})))`, chromedp.EvalAwaitPromise))
}

// interactiveRoles are the roles of controls a player operates; each
// needs an accessible name, or a screen reader announces "button" alone.
var interactiveRoles = []string{"button", "link", "textbox", "searchbox", "combobox", "checkbox", "radio",
	"listbox", "switch", "slider", "spinbutton", "menuitem", "tab", "DisclosureTriangle"}

// fieldRoles are the roles of fields that need a real label: a
// placeholder disappears as soon as one types, and a title is not shown
// to touch screens.
var fieldRoles = []string{"textbox", "searchbox", "combobox", "spinbutton"}

// checkLabels fails the test for every control a screen reader cannot
// name (see unlabelled).
func (p *tab) checkLabels(page string) {
	p.t.Helper()
	if problems := p.unlabelled(page); len(problems) > 0 {
		p.t.Errorf("%s: controls a screen reader cannot name:\n%s", page, strings.Join(problems, "\n"))
	}
}

// unlabelled reads Chromium's accessibility tree, as assistive technology
// does, and lists every control without a name and every field whose name
// comes only from a placeholder or title.
func (p *tab) unlabelled(page string) []string {
	p.t.Helper()
	tree := run(p, page+": read the accessibility tree", chromedp.Action[accessibility.GetFullAXTreeResult](
		func(ctx context.Context, t *chromedp.Target) (accessibility.GetFullAXTreeResult, error) {
			return cdp.Call(ctx, t, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		}))
	var problems []string
	for _, n := range tree.Nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		var role string
		_ = json.Unmarshal(n.Role.Value, &role)
		if !slices.Contains(interactiveRoles, role) {
			continue
		}
		name, source := axName(n)
		switch {
		case name == "":
			problems = append(problems, fmt.Sprintf("  %s without a name: %s", role, p.outerHTML(n.BackendDOMNodeID)))
		case slices.Contains(fieldRoles, role) && (strings.HasPrefix(source, "placeholder") || strings.Contains(source, ":title")):
			problems = append(problems, fmt.Sprintf("  %s named %q by its %s only, not by a label: %s", role, name, source, p.outerHTML(n.BackendDOMNodeID)))
		}
	}
	return problems
}

// outerHTML is an element's markup, shortened, to point at it in messages.
func (p *tab) outerHTML(id cdp.BackendNodeID) string {
	html := run(p, "describe an element", chromedp.Action[string](func(ctx context.Context, t *chromedp.Target) (string, error) {
		r, err := cdp.Call(ctx, t, dom.GetOuterHTML, dom.GetOuterHTMLParams{BackendNodeID: id})
		return r.OuterHTML, err
	}))
	return clip(html, 160)
}

// axName is a node's accessible name and where it comes from
// ("relatedElement:label", "contents", "placeholder"…).
func axName(n *accessibility.Node) (name, source string) {
	if n.Name == nil {
		return "", ""
	}
	_ = json.Unmarshal(n.Name.Value, &name)
	for _, s := range n.Name.Sources {
		if s.Superseded || s.Value == nil {
			continue
		}
		var v string
		if json.Unmarshal(s.Value.Value, &v) == nil && strings.TrimSpace(v) != "" {
			source = string(s.Type)
			if s.NativeSource != "" {
				source += ":" + string(s.NativeSource)
			}
			if s.Attribute != "" {
				source += ":" + s.Attribute
			}
			break
		}
	}
	return strings.TrimSpace(name), source
}

// focusInfo describes the focused element and how its focus shows.
type focusInfo struct {
	Key      int     `json:"key"`
	Body     bool    `json:"body"`
	HTML     string  `json:"html"`
	Visible  bool    `json:"visible"`
	Outline  string  `json:"outline"`
	Width    float64 `json:"width"`
	Shadow   string  `json:"shadow"`
	OnScreen bool    `json:"onScreen"`
	// PageFocused is document.hasFocus(): a page without the focus
	// matches neither :focus nor :focus-visible, whatever it styles.
	PageFocused bool `json:"pageFocused"`
}

// focusInfoJS numbers each element the first time it has focus, so a walk
// knows when Tab came back round.
const focusInfoJS = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body || el === document.documentElement) return {body: true};
	window.__e2eKeys = window.__e2eKeys || new WeakMap();
	window.__e2eNext = window.__e2eNext || 0;
	if (!window.__e2eKeys.has(el)) window.__e2eKeys.set(el, ++window.__e2eNext);
	const cs = getComputedStyle(el);
	const r = el.getBoundingClientRect();
	return {
		key: window.__e2eKeys.get(el),
		html: el.outerHTML.slice(0, 300),
		visible: el.matches(":focus-visible"),
		outline: cs.outlineStyle,
		width: parseFloat(cs.outlineWidth) || 0,
		shadow: cs.boxShadow,
		onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
		pageFocused: document.hasFocus(),
	};
})()`

// indicated reports whether the focus is visible: an outline of at least
// 2px or a box shadow, on an element in view.
func (f focusInfo) indicated() bool {
	return f.Visible && f.OnScreen && ((f.Outline != "none" && f.Width >= 2) || (f.Shadow != "" && f.Shadow != "none"))
}

// maxTabStops bounds a walk through a page with Tab: enough for the
// dashboard's submissions, 50 rows of three controls each.
const maxTabStops = 300

// checkFocusVisible fails the test for every stop of the page's tab
// order where the focus cannot be seen (see focusWalk), and returns the
// tab order, for the artifacts.
func (p *tab) checkFocusVisible(page string) []string {
	p.t.Helper()
	order, problems := p.focusWalk(page)
	if len(order) == 0 {
		p.t.Errorf("%s: Tab reaches nothing", page)
	}
	if len(problems) > 0 {
		p.t.Errorf("%s: the focus cannot be seen on:\n%s", page, strings.Join(problems, "\n"))
	}
	return order
}

// focusWalk presses Tab through the whole page, as a keyboard player does,
// until the focus comes back round, and lists the tab order and the stops
// where the focus cannot be seen.
func (p *tab) focusWalk(page string) (order, problems []string) {
	p.t.Helper()
	seen := map[int]bool{}
	last := 0
	for range maxTabStops {
		p.do(page+": press Tab", chromedp.KeyEvent(kb.Tab))
		info := run(p, page+": read the focus", chromedp.Evaluate[focusInfo](focusInfoJS))
		// Tab past the last control hands the focus to the browser (the
		// page reads body, without the focus); the next Tab brings it
		// back to the skip link.
		if info.Body {
			continue
		}
		// Tab walks through the parts of some fields (a date's day,
		// month and year) without the focus leaving the field.
		if info.Key == last {
			continue
		}
		last = info.Key
		if seen[info.Key] {
			break
		}
		seen[info.Key] = true
		order = append(order, clip(info.HTML, 120))
		switch {
		case !info.PageFocused:
			// A control focused in a page without the focus shows no
			// focus style, yet a player's window has the focus: the tab
			// must keep it (see openTab), or the walk judges what no
			// player sees.
			problems = append(problems, fmt.Sprintf("  %s: focused while the page has lost the focus (document.hasFocus() false), which no player sees",
				clip(info.HTML, 120)))
		case !info.indicated():
			problems = append(problems, fmt.Sprintf("  %s (focus-visible %v, outline %s %.0fpx, box-shadow %s, in view %v)",
				clip(info.HTML, 120), info.Visible, info.Outline, info.Width, info.Shadow, info.OnScreen))
		}
	}
	return order, problems
}

// clip shortens s to n characters for messages.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// TestAccessibilityChecksFindProblems spoils a page on purpose and expects
// every check to notice, so that a check that silently stops working (axe
// not loading, a changed protocol answer) cannot pass the real pages.
func TestAccessibilityChecksFindProblems(t *testing.T) {
	p := newTab(t, tabOptions{})
	p.open("/")
	run(p, "spoil the page", chromedp.Evaluate[bool](`(() => {
		const main = document.querySelector("main");
		const field = document.createElement("input");
		field.type = "text";
		field.placeholder = "only a placeholder";
		const bare = document.createElement("input");
		bare.type = "text";
		const button = document.createElement("button");
		button.className = "e2e-nameless";
		const pale = document.createElement("p");
		pale.textContent = "pale text";
		pale.style.color = "#eeeeee";
		const hidden = document.createElement("a");
		hidden.href = "#";
		hidden.textContent = "focus hidden";
		hidden.style.outline = "none";
		hidden.style.boxShadow = "none";
		main.append(field, bare, button, pale, hidden);
		return true;
	})()`))

	found := map[string]string{}
	for _, v := range p.axe("spoiled home") {
		found[v.ID] = v.Impact
	}
	for _, want := range []string{"label", "button-name", "color-contrast"} {
		if impact := found[want]; impact != "serious" && impact != "critical" {
			t.Errorf("axe-core does not report %s as serious or critical (found %v)", want, found)
		}
	}
	problems := strings.Join(p.unlabelled("spoiled home"), "\n")
	for _, want := range []string{"only a placeholder", "e2e-nameless"} {
		if !strings.Contains(problems, want) {
			t.Errorf("the label check misses %q; it reports:\n%s", want, problems)
		}
	}
	_, hidden := p.focusWalk("spoiled home")
	if !strings.Contains(strings.Join(hidden, "\n"), "focus hidden") {
		t.Errorf("the focus check misses the link without a focus style; it reports:\n%s", strings.Join(hidden, "\n"))
	}
}

// TestKeyboardPlayer plays with the keyboard alone: Tab to the SID field,
// paste, Tab to HACK, whose focus must show, and press Enter on it.
func TestKeyboardPlayer(t *testing.T) {
	p := newTab(t, tabOptions{})
	sid := p.ownSMS("Typed without a mouse")
	p.open("/objectives/send-sms")
	const isField = `document.activeElement?.name === "sid"`
	for range maxTabStops {
		if run(p, "look for the SID field", chromedp.Evaluate[bool](isField)) {
			break
		}
		p.do("press Tab", chromedp.KeyEvent(kb.Tab))
	}
	if !run(p, "look for the SID field", chromedp.Evaluate[bool](isField)) {
		p.fail("reach the SID field with Tab", fmt.Errorf("the field is not in the tab order"))
	}
	p.do("paste the SID", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: sid})
		return err
	}))
	p.do("press Tab", chromedp.KeyEvent(kb.Tab))
	f := run(p, "read the focus", chromedp.Evaluate[focusInfo](focusInfoJS))
	if !strings.Contains(f.HTML, `id="hack-button"`) {
		p.fail("Tab from the SID field", fmt.Errorf("the focus is on %s, want the HACK button", clip(f.HTML, 120)))
	}
	if !f.indicated() {
		p.failureScreenshot("HACK focused")
		t.Errorf("the focused HACK button shows no focus (focus-visible %v, outline %s %.0fpx, box-shadow %s, in view %v)",
			f.Visible, f.Outline, f.Width, f.Shadow, f.OnScreen)
	}
	res := p.hack("press Enter on HACK", chromedp.KeyEvent(kb.Enter))
	p.wantResult("HACK", res, "success", "awarded")
}

// TestHackResultIsAnnounced checks a screen reader hears the result: the
// result area is a live region before the attempt, holds the answer after
// it, and takes the focus, so that it is read even though htmx replaces
// the whole panel.
func TestHackResultIsAnnounced(t *testing.T) {
	p := newTab(t, tabOptions{})
	p.open("/objectives/send-sms")
	type region struct {
		Live    string `json:"live"`
		Text    string `json:"text"`
		Focused bool   `json:"focused"`
	}
	const readRegion = `(() => {
		const r = document.querySelector('[data-testid="result"]');
		return r ? {
			live: r.getAttribute("aria-live") || (["status", "alert"].includes(r.getAttribute("role")) ? "role" : ""),
			text: r.innerText.trim(),
			focused: document.activeElement === r,
		} : {live: "", text: "", focused: false};
	})()`
	if before := run(p, "read the result area", chromedp.Evaluate[region](readRegion)); before.Live == "" {
		t.Fatal("the hack interface has no live region for its result before the first attempt")
	}
	for _, attempt := range []struct {
		name, sid, state, reason string
	}{
		{"FAILED", unknownSID(), "failed", "not_found"},
		{"SUCCESS", p.ownSMS("Heard, not only seen"), "success", "awarded"},
	} {
		res := p.hack("paste a SID and press HACK ("+attempt.name+")", p.pasteSID(attempt.sid), click(p.hackButton()))
		p.wantResult(attempt.name, res, attempt.state, attempt.reason)
		after := run(p, "wait for the result to take the focus", chromedp.Poll[region](
			`(() => { const r = `+readRegion+`; return r.focused ? r : null; })()`,
			chromedp.WithPollingTimeout(stepTimeout)))
		if after.Live == "" || !strings.Contains(after.Text, res.Title) {
			t.Errorf("%s: the result area (aria-live %q) reads %q, want the result %q announced", attempt.name, after.Live, after.Text, res.Title)
		}
	}
}
