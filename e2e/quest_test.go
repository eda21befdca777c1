package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/questgate/questgate/locale"
)

// The player's side as a quest (issue 15): the state line in view after
// every answer, at the sizes laptops and phones have; a first win leading
// on to the next objective; a repeat; the answer without JavaScript as
// the attempt's own page; the page's own curl example, run as printed,
// pasted whole.

// stateScreens are the sizes the state line is measured at: two laptops
// and a phone.
var stateScreens = []viewport{
	{name: "1280x720", width: 1280, height: 720},
	{name: "1366x768", width: 1366, height: 768},
	{name: "390x844", width: 390, height: 844, mobile: true},
}

// stateLine is where the hack interface's state line is on screen.
type stateLine struct {
	Top     float64 `json:"top"`
	Bottom  float64 `json:"bottom"`
	Height  float64 `json:"height"`
	Visible bool    `json:"visible"`
	State   string  `json:"state"`
}

// stateLineJS measures the state line: inside the window, and not cut off
// by a scrolling box around it (the hack interface scrolls on its own on
// wide screens).
const stateLineJS = `(() => {
	const l = document.querySelector('[data-testid="hack-state-line"]');
	if (!l) return {top: 0, bottom: 0, height: innerHeight, visible: false, state: ""};
	const r = l.getBoundingClientRect();
	let visible = r.top >= 0 && r.bottom <= innerHeight && r.height > 0;
	for (let e = l.parentElement; e && e !== document.body; e = e.parentElement) {
		if (!/(auto|scroll|hidden)/.test(getComputedStyle(e).overflowY)) continue;
		const b = e.getBoundingClientRect();
		if (r.top < b.top || r.bottom > b.bottom) visible = false;
	}
	const s = document.querySelector('[data-testid="hack-state"]');
	return {top: r.top, bottom: r.bottom, height: innerHeight, visible, state: s ? s.dataset.state : ""};
})()`

// wantStateInView fails unless the state line shows state inside the
// window, and saves what the window shows as states/<name>.png.
func (p *tab) wantStateInView(name, state string) {
	p.t.Helper()
	got := run(p, name+": measure the state line", chromedp.Evaluate[stateLine](stateLineJS))
	p.t.Logf("%s: state line %s at %.0f–%.0f px of %.0f", name, got.State, got.Top, got.Bottom, got.Height)
	if !got.Visible || got.State != state {
		p.failureScreenshot(name)
		p.t.Errorf("%s: the state line (%s) is at %.0f–%.0f px of a %.0f px window, want %s inside it",
			name, got.State, got.Top, got.Bottom, got.Height, state)
	}
	png := run(p, name+": screenshot", chromedp.CaptureScreenshot())
	path := filepath.Join(suite.artifacts, "states", fileName(name)+".png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
		_ = os.WriteFile(path, png, 0o644)
	}
}

// TestStateLineInView plays the states of the hack interface at each
// size, in English and French, with JavaScript: FAILED, then SUCCESS with
// the Next objective button to the objective it unlocked, then a repeat;
// and without JavaScript, where the answer is the attempt's own page,
// which reloads without posting again.
func TestStateLineInView(t *testing.T) {
	for _, lang := range locale.Supported {
		for _, screen := range stateScreens {
			t.Run(lang+"/"+screen.name, func(t *testing.T) {
				p := newTab(t, tabOptions{lang: lang, screen: screen})
				account, token := p.ownAccount()
				name := lang + "-" + screen.name
				res := p.hack("paste an unknown SID and press HACK", p.pasteSID(unknownSID()), click(p.hackButton()))
				p.wantResult("unknown SID", res, "failed", "not_found")
				p.wantStateInView(name+"-failed", "failed")

				sid := sendSMS(t, account, token, "e2e "+name)
				res = p.hack("paste the SID and press HACK", p.pasteSID(sid), click(p.hackButton()))
				p.wantResult("HACK", res, "success", "awarded")
				p.wantStateInView(name+"-success", "success")
				next := attr(p, "read the Next objective button", testID("next-objective"), "data-objective")
				unlocked := attr(p, "read what the win unlocked", chromedp.CSS(`[data-testid="result-unlocked"] a`), "data-objective")
				if next == "" || next != unlocked {
					t.Errorf("Next objective leads to %q, want the first objective unlocked, %q", next, unlocked)
				}

				res = p.hack("paste the same SID again", p.pasteSID(sid), click(p.hackButton()))
				p.wantResult("repeat", res, "success", "already_awarded")
				p.wantStateInView(name+"-repeat", "success")
				if n := run(p, "look for a success block", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="success"], [data-testid="next-objective"]').length`)); n != 0 {
					t.Errorf("a repeat shows the success block (%d elements): it should be quiet", n)
				}

				// The repeat's result still leads on: the attempts list
				// links to the win, whose page has the button.
				p.open("/objectives/send-sms")
				p.follow("open the winning attempt", click(chromedp.CSS(`[data-testid="attempt"][data-reason="awarded"] a`)))
				p.follow("press Next objective", click(testID("next-objective")))
				if loc := p.location(); !strings.HasSuffix(loc, "/objectives/"+next) {
					t.Errorf("Next objective opened %s, want /objectives/%s", loc, next)
				}
				if got := attr(p, "read the next objective's state", testID("hack-state"), "data-state"); got != "ready" {
					t.Errorf("the next objective's hack interface is %q, want ready (unlocked)", got)
				}
			})
			if screen.name == "1366x768" {
				continue
			}
			t.Run(lang+"/"+screen.name+"/no-js", func(t *testing.T) {
				p := newTab(t, tabOptions{lang: lang, screen: screen, noJS: true})
				account, token := p.ownAccount()
				name := lang + "-" + screen.name + "-nojs"
				res := p.hack("paste an unknown SID and press HACK", p.pasteSID(unknownSID()), click(p.hackButton()))
				p.wantResult("unknown SID", res, "failed", "not_found")
				loc := p.location()
				if !regexp.MustCompile(`/submissions/\d+(#hack-panel)?$`).MatchString(loc) {
					t.Errorf("without JavaScript the answer is at %s, want the attempt's page (Post/Redirect/Get)", loc)
				}
				p.wantStateInView(name+"-failed", "failed")

				sid := sendSMS(t, account, token, "e2e "+name)
				res = p.hack("paste the SID and press HACK", p.pasteSID(sid), click(p.hackButton()))
				p.wantResult("HACK", res, "success", "awarded")
				p.wantStateInView(name+"-success", "success")
				before := res.Attempts
				p.do("reload the attempt's page", chromedp.Reload())
				again := run(p, "read the result again", chromedp.Evaluate[hackResult](readResultJS))
				if again.Reason != "awarded" || again.Attempts != before {
					t.Errorf("after a reload: %s with %d attempts, want awarded with %d (nothing posted again)", again.Reason, again.Attempts, before)
				}
				p.follow("press Next objective", click(testID("next-objective")))
				if got := attr(p, "read the next objective's state", testID("hack-state"), "data-state"); got != "ready" {
					t.Errorf("the next objective's hack interface is %q, want ready", got)
				}
			})
		}
	}
}

// curlOutput runs the objective page's curl example exactly as printed,
// in a shell, and returns what it prints: Twilio's (here the sandbox's)
// JSON answer.
func curlOutput(t *testing.T, code string) string {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl on this machine")
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", code)
	cmd.Env = cleanEnv(os.Environ())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the curl example fails as printed: %v\n%s\n%s", err, code, out)
	}
	return string(out)
}

// TestCopiedExampleWins: a new player copies the page's curl example,
// runs it as printed (its body is their own, not the sample), pastes the
// whole JSON answer into the hack interface and wins; the page says which
// SID it picked out.
func TestCopiedExampleWins(t *testing.T) {
	for _, lang := range locale.Supported {
		t.Run(lang, func(t *testing.T) {
			p := newTab(t, tabOptions{lang: lang})
			p.open("/objectives/send-sms")
			code := p.text("read the curl example", chromedp.CSS(`[data-testid="example-curl"] code`))
			// A text field keeps one line: the browser drops the newlines.
			answer := strings.ReplaceAll(strings.TrimSpace(curlOutput(t, code)), "\n", "")
			sid := regexp.MustCompile(`"sid":\s*"(SM[0-9a-f]{32})"`).FindStringSubmatch(answer)
			if sid == nil {
				t.Fatalf("the curl example's answer holds no message SID:\n%s", answer)
			}
			res := p.hack("paste the whole answer and press HACK", p.pasteSID(answer), click(p.hackButton()))
			p.wantResult("pasted answer", res, "success", "awarded")
			if got, want := p.text("read what was picked", testID("result-picked")), p.tr("hack.picked.json", map[string]any{"SID": sid[1]}); got != want {
				t.Errorf("the result says %q, want %q", got, want)
			}
		})
	}
}

// TestCopiedGoExampleWins runs the page's Go example as printed (a whole
// program, against the sandbox through twilio-go) and pastes the SID it
// prints. It needs the go command and twilio-go in the module cache, as
// the machine that builds questgate has. The Python and Node.js examples
// run in TestCopiedPythonAndNodeExamplesWin where their Twilio libraries
// are installed (make deps-e2e, make deps-node), and are checked in
// package templates to carry the same values as these two everywhere.
func TestCopiedGoExampleWins(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on this machine")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	p := newTab(t, tabOptions{})
	p.open("/objectives/send-sms")
	code := run(p, "read the Go example", chromedp.Evaluate[string](`document.querySelector('[data-testid="example-go"] code').textContent`))
	dir := t.TempDir()
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	// questgate's own requirements, so the program builds offline from
	// the module cache with the twilio-go questgate uses.
	mod = regexp.MustCompile(`(?m)^module .*$`).ReplaceAll(mod, []byte("module example.com/player"))
	for name, data := range map[string][]byte{"go.mod": mod, "go.sum": sum, "main.go": []byte(code)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*stepTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "run", ".")
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(os.Environ()), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the Go example fails as printed: %v\n%s", err, out)
	}
	sid := strings.TrimSpace(string(out))
	if !regexp.MustCompile(`^SM[0-9a-f]{32}$`).MatchString(sid) {
		t.Fatalf("the Go example printed %q, want a message SID", out)
	}
	res := p.hack("paste the SID and press HACK", p.pasteSID(sid), click(p.hackButton()))
	p.wantResult("Go example", res, "success", "awarded")
}
