package e2e

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/questgate/questgate/locale"
)

// tourStop is one page a player sees, in one state, reached from the stop
// before it.
type tourStop struct {
	name string
	// reach takes the player there from the previous stop.
	reach func(p *tab, s *tourState)
}

// tourState carries what a stop learns for the next ones.
type tourState struct {
	account, token string
	// sid is the message the player won with, for the instructor to find.
	sid string
	// email and password are the instructor's.
	email, password string
}

// playerTour walks through every page a player sees. For each stop, in
// each language and on a phone and a desktop, TestTour takes a screenshot,
// runs axe-core, checks every control is labelled and presses Tab through
// the page to check the focus can be seen. instructorTour follows it, in
// a browser of its own; the embed widget (issue 5) joins as a stop on its
// example page when it lands.
var playerTour = []tourStop{
	{"home", func(p *tab, _ *tourState) { p.open("/") }},
	{"credentials", func(p *tab, _ *tourState) {
		p.follow("open the credentials page", click(testID("nav-credentials")))
	}},
	{"credentials-sandbox", func(p *tab, s *tourState) {
		p.follow("go home", click(testID("nav-home")))
		s.account, s.token = p.useSandboxAccount()
	}},
	{"objective-locked", func(p *tab, _ *tourState) {
		p.openObjective("send-mms")
		if got := attr(p, "read the state", testID("hack-state"), "data-state"); got != "locked" {
			p.t.Errorf("send-mms before send-sms is %q, want locked", got)
		}
	}},
	{"objective", func(p *tab, _ *tourState) { p.openObjective("send-sms") }},
	{"result-failed", func(p *tab, _ *tourState) {
		res := p.hack("paste an unknown SID and press HACK", p.pasteSID(unknownSID()), click(p.hackButton()))
		p.wantResult("FAILED", res, "failed", "not_found")
	}},
	{"attempt-failed", func(p *tab, _ *tourState) {
		p.follow("open the failed attempt", click(chromedp.CSS(`[data-testid="attempt"][data-reason="not_found"] a`)))
	}},
	{"result-success", func(p *tab, s *tourState) {
		p.openObjective("send-sms")
		s.sid = sendSMS(p.t, s.account, s.token, p.tr("app_name")+" e2e tour")
		res := p.hack("paste the SID and press HACK", p.pasteSID(s.sid), click(p.hackButton()))
		p.wantResult("SUCCESS", res, "success", "awarded")
	}},
	{"attempt-success", func(p *tab, _ *tourState) {
		p.follow("open the winning attempt", click(chromedp.CSS(`[data-testid="attempt"][data-reason="awarded"] a`)))
	}},
	{"result-rate-limited", func(p *tab, _ *tourState) {
		p.openObjective("make-call")
		// Ten wrong answers in a row, sent as the form sends them, use up
		// the objective's budget of failures; the next HACK is paused.
		n := run(p, "send ten wrong answers", chromedp.Evaluate[int](`(async () => {
			const form = document.querySelector('[data-testid="hack-panel"] form');
			let n = 0;
			for (let i = 0; i < 10; i++) {
				const body = new URLSearchParams(new FormData(form));
				body.set("sid", "CA" + String(i).padStart(32, "0"));
				const r = await fetch(form.getAttribute("hx-post"), {method: "POST", body});
				if (r.ok) n++;
			}
			return n;
		})()`, chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
		if n != 10 {
			p.t.Errorf("%d of 10 wrong answers were answered 200", n)
		}
		p.expectHTTPError("/objectives/make-call/hack") // the 429, on purpose
		// The call's field has the call's label: found by its id here.
		field := chromedp.CSS("#sid")
		res := p.hack("press HACK once more", chromedp.Focus(field, chromedp.NodeVisible), selectAll(),
			paste(field, "CA"+strings.Repeat("f", 32)), click(p.hackButton()))
		p.wantResult("paused", res, "failed", "rate_limited")
	}},
	{"home-progress", func(p *tab, _ *tourState) {
		p.follow("go back to the objectives", click(testID("nav-home")))
	}},
	{"profile", func(p *tab, _ *tourState) {
		p.follow("open the profile", click(testID("nav-profile")))
	}},
	{"join", func(p *tab, _ *tourState) {
		p.open(joinPath(p.t))
	}},
	{"profile-joined", func(p *tab, _ *tourState) {
		p.do("type a name", paste(byLabel(p.tr("profile.field.display_name")), "Ada"))
		p.follow("press "+p.tr("join.button"), click(buttonNamed("join-form", p.tr("join.button"))))
		if got := attr(p, "read the notice", testID("notice"), "role"); got != "status" {
			p.t.Errorf("the joined notice has role %q", got)
		}
	}},
	{"home-joined", func(p *tab, _ *tourState) {
		p.follow("go back to the objectives", click(testID("to-objectives")))
		if got := p.text("read the player line", testID("quest-player")); !strings.Contains(got, "Ada") {
			p.t.Errorf("the quest map's player line reads %q, want the player's name", got)
		}
	}},
	{"not-found", func(p *tab, _ *tourState) {
		p.expectHTTPError("/objectives/no-such-objective")
		if status := p.open("/objectives/no-such-objective"); status != http.StatusNotFound {
			p.t.Errorf("an unknown objective answers %d, want 404", status)
		}
	}},
}

// instructorTour walks through the dashboard after playerTour, as an
// instructor looking at what that player did: signing in (with a wrong
// password first), the submissions
// (with rows), the player's winning submission, the player, the progress.
var instructorTour = []tourStop{
	{"instructor-login", func(p *tab, s *tourState) {
		s.email, s.password = addInstructor(p.t)
		p.open("/instructor/login")
	}},
	{"instructor-login-wrong", func(p *tab, s *tourState) {
		p.expectHTTPError("/instructor/login")
		p.do("type the email", paste(byLabel(p.tr("instructor.login.email")), s.email))
		p.do("type a wrong password", paste(byLabel(p.tr("instructor.login.password")), "not "+s.password))
		p.follow("press "+p.tr("instructor.login.submit"), click(buttonNamed("login-form", p.tr("instructor.login.submit"))))
		if got := attr(p, "read the error", testID("login-error"), "role"); got != "alert" {
			p.t.Errorf("a wrong password's error has role %q, want alert so a screen reader announces it", got)
		}
		if got, want := p.text("read the error", testID("login-error")), p.tr("instructor.login.wrong"); got != want {
			p.t.Errorf("a wrong password shows %q, want %q", got, want)
		}
	}},
	{"instructor-submissions", func(p *tab, s *tourState) {
		p.signIn(s.email, s.password)
		if row := run(p, "find the player's submission", chromedp.Evaluate[*submissionRow](findRowJS(s.sid))); row == nil {
			p.t.Errorf("the submissions do not list the player's winning SID %s", s.sid)
		}
	}},
	{"instructor-submission", func(p *tab, s *tourState) {
		p.follow("open the submission's details", click(rowLink(s.sid, "submission-link")))
	}},
	{"instructor-player", func(p *tab, _ *tourState) {
		p.follow("open the player's page", click(chromedp.CSS(`[data-testid="detail-player"] a`)))
	}},
	{"instructor-progress", func(p *tab, _ *tourState) {
		p.follow("open the progress", click(testID("nav-progress")))
	}},
	{"instructor-progress-stuck", func(p *tab, _ *tourState) {
		// The tour's player failed make-call ten times in a row: stuck.
		p.do("pick the stuck state", chromedp.Evaluate[chromedp.Void](`document.getElementById("f-state").value = "stuck"`))
		p.follow("apply the filter", click(testID("progress-filter-apply")))
		if n := run(p, "count the stuck rows", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="progress-row"][data-state="stuck"]').length`)); n == 0 {
			p.t.Error("the stuck filter lists nobody, want the tour's player")
		}
	}},
	{"instructor-progress-search", func(p *tab, _ *tourState) {
		p.do("type a name", chromedp.Evaluate[chromedp.Void](`document.getElementById("f-name").value = "nobody by this name"`))
		p.follow("search", click(testID("progress-filter-apply")))
	}},
	{"instructor-announcements", func(p *tab, _ *tourState) {
		p.follow("open the announcements", click(testID("nav-announcements")))
	}},
}

// joinPath makes a cohort with the questgate command, as an instructor
// does, and returns its join link's path.
func joinPath(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, suite.bin, "cohort", "create", "--data-dir", suite.data, "--name", "Tour "+t.Name())
	cmd.Env = cleanEnv(os.Environ())
	out, err := cmd.CombinedOutput()
	m := regexp.MustCompile(`/join/[A-Za-z0-9]+`).FindString(string(out))
	if err != nil || m == "" {
		t.Fatalf("questgate cohort create: %v\n%s", err, out)
	}
	return m
}

// tours are the walks TestTour takes, each in a browser of its own.
var tours = [][]tourStop{playerTour, instructorTour}

// screens are the widths every page is checked at.
var screens = []viewport{phone, desktop}

// TestTour visits every page in every language at phone and desktop
// widths. Screenshots go to artifacts/e2e/screenshots, with an index.html
// to look at them side by side; axe-core reports to artifacts/e2e/axe.
func TestTour(t *testing.T) {
	shots := map[string]string{} // "stop/lang/screen" → path relative to the artifacts
	for _, lang := range locale.Supported {
		for _, screen := range screens {
			t.Run(lang+"/"+screen.name, func(t *testing.T) {
				var state tourState
				var order strings.Builder
				n := 0
				for _, tour := range tours {
					p := newTab(t, tabOptions{lang: lang, screen: screen})
					for _, stop := range tour {
						n++
						stop.reach(p, &state)
						if t.Failed() {
							return
						}
						rel := filepath.Join("screenshots", fmt.Sprintf("%s-%s", lang, screen.name), fmt.Sprintf("%02d-%s.png", n, stop.name))
						if err := p.saveScreenshot(filepath.Join(suite.artifacts, rel)); err != nil {
							t.Errorf("%s: screenshot: %v", stop.name, err)
						}
						shots[stop.name+"/"+lang+"/"+screen.name] = rel
						p.checkFits(stop.name)
						p.checkFieldSizes(stop.name)
						p.checkAxe(stop.name)
						p.checkLabels(stop.name)
						fmt.Fprintf(&order, "## %s\n%s\n\n", stop.name, strings.Join(p.checkFocusVisible(stop.name), "\n"))
					}
				}
				path := filepath.Join(suite.artifacts, "focus-order", lang+"-"+screen.name+".txt")
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
					_ = os.WriteFile(path, []byte(order.String()), 0o644)
				}
			})
		}
	}
	if len(shots) > 0 {
		writeIndex(t, shots)
	}
}

// writeIndex writes artifacts/e2e/index.html: one row per stop, one
// column per language and width, so a reviewer compares them at a glance.
func writeIndex(t *testing.T, shots map[string]string) {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>questgate e2e screenshots</title>\n" +
		"<style>body{font-family:sans-serif;margin:1rem}table{border-collapse:collapse}td,th{vertical-align:top;padding:.5rem;border:1px solid #ccc}" +
		"img{display:block;max-width:100%}td.phone{width:220px}td.desktop{width:420px}</style></head><body>\n" +
		"<h1>questgate pages, as the browser tests saw them</h1>\n<table><tr><th>page</th>")
	for _, lang := range locale.Supported {
		for _, screen := range screens {
			fmt.Fprintf(&b, "<th>%s, %s</th>", lang, screen.name)
		}
	}
	b.WriteString("</tr>\n")
	for _, stop := range slices.Concat(tours...) {
		fmt.Fprintf(&b, "<tr><th>%s</th>", html.EscapeString(stop.name))
		for _, lang := range locale.Supported {
			for _, screen := range screens {
				rel, ok := shots[stop.name+"/"+lang+"/"+screen.name]
				if !ok {
					b.WriteString("<td>(none)</td>")
					continue
				}
				u := html.EscapeString(filepath.ToSlash(rel))
				fmt.Fprintf(&b, `<td class="%s"><a href="%s"><img src="%s" alt="%s, %s, %s" loading="lazy"></a></td>`,
					screen.name, u, u, html.EscapeString(stop.name), lang, screen.name)
			}
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table></body></html>\n")
	if err := os.WriteFile(filepath.Join(suite.artifacts, "index.html"), []byte(b.String()), 0o644); err != nil {
		t.Errorf("write the screenshots' index: %v", err)
	}
}

// checkFits fails the test when the page is wider than the screen: on a
// phone that means scrolling sideways to read a line. It names the
// elements that stick out.
func (p *tab) checkFits(page string) {
	p.t.Helper()
	wide := run(p, page+": measure the page", chromedp.Evaluate[[]string](`(() => {
		const w = document.documentElement.clientWidth;
		if (document.documentElement.scrollWidth <= w) return [];
		// What sticks out, unless a scrolling box (a code example) holds it;
		// the innermost such element names the culprit.
		const clipped = e => {
			for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
				if (getComputedStyle(a).overflowX !== "visible") return true;
			}
			return false;
		};
		const out = [...document.querySelectorAll("body *")]
			.filter(e => e.getBoundingClientRect().right > w + 1 && !clipped(e));
		return out.filter(e => !out.some(o => o !== e && e.contains(o))).map(e => e.outerHTML.slice(0, 200));
	})()`))
	if len(wide) > 0 {
		p.t.Errorf("%s: the page is wider than the %dpx screen, because of:\n  %s", page, p.opts.screen.width, strings.Join(wide, "\n  "))
	}
}

// minFieldHeight is the least height, in CSS pixels, of a field a player
// types in or picks from: app.css draws them 2.75rem (44px) tall, a
// target a thumb hits; a field the style sheet forgot keeps the browser's
// own, about 20px, hard to hit on a phone and out of place beside the
// others.
const minFieldHeight = 40

// checkFieldSizes fails the test for every visible field of the page
// shorter than minFieldHeight, naming it.
func (p *tab) checkFieldSizes(page string) {
	p.t.Helper()
	small := run(p, page+": measure the fields", chromedp.Evaluate[[]string](`(() => {
		const fields = document.querySelectorAll(
			'input:not([type="hidden"]):not([type="checkbox"]):not([type="radio"]):not([type="submit"]):not([type="button"]), select, textarea');
		return [...fields].filter(f => {
			const r = f.getBoundingClientRect();
			return r.width > 0 && r.height > 0 && r.height < `+fmt.Sprint(minFieldHeight)+`;
		}).map(f => f.outerHTML.slice(0, 160) + " (" + Math.round(f.getBoundingClientRect().height) + "px)");
	})()`))
	if len(small) > 0 {
		p.t.Errorf("%s: fields shorter than %dpx, hard to hit on a phone:\n  %s", page, minFieldHeight, strings.Join(small, "\n  "))
	}
}
