package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// stepTimeout bounds one step a person takes (open a page, click, read
// something). Steps take milliseconds; the margin is for a loaded CI
// machine, not for waiting on purpose.
const stepTimeout = 20 * time.Second

// startBrowser starts Chromium headless with a fresh profile and no
// network beyond loopback in use: nothing phones home (background
// networking, component updates, sync, QUIC are off). It returns the
// chromedp context owning the browser and a func that stops it.
func startBrowser(path, profile string, out io.Writer) (context.Context, func(), error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox, // root on CI machines; the pages are our own
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.CombinedOutput(out),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	stop := func() {
		_ = chromedp.Cancel(ctx)
		cancelCtx()
		cancelAlloc()
	}
	// The first Do starts the browser and binds its life to ctx, so it
	// cannot carry a timeout itself: a watchdog bounds it instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			stop()
			return nil, nil, err
		}
	case <-time.After(60 * time.Second):
		stop()
		return nil, nil, errors.New("the browser did not start within 60s")
	}
	return ctx, stop, nil
}

// viewport is a screen size a player uses.
type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

var (
	desktop = viewport{name: "desktop", width: 1280, height: 800}
	phone   = viewport{name: "phone", width: 390, height: 844, mobile: true}
)

// tabOptions describe the player's browser.
type tabOptions struct {
	// lang is the browser's language, sent as Accept-Language: "en"
	// (default) or "fr".
	lang string
	// noJS turns JavaScript off, as some players and schools do.
	noJS bool
	// screen is the viewport, desktop by default.
	screen viewport
	// srv is the questgate server the tab opens pages of, the suite's
	// by default.
	srv *server
}

// tab is one player's browser: a fresh browser context (no cookies, so a
// new player) with one tab. Its steps time out on their own and fail the
// test naming the step, with a screenshot of what the page showed.
type tab struct {
	t    *testing.T
	ctx  context.Context
	opts tabOptions

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
	// expected are addresses whose HTTP error the test provokes on
	// purpose; the browser logs it, and that is no fault of the page.
	expected []string
	shot     bool // a failure screenshot was taken
}

// newTab opens a fresh browser context for t, or skips t when there is no
// browser. It is closed, and checked for console errors, when t ends.
func newTab(t *testing.T, o tabOptions) *tab {
	t.Helper()
	if suite.skip != "" {
		t.Skip(suite.skip)
	}
	if o.lang == "" {
		o.lang = "en"
	}
	if o.screen.name == "" {
		o.screen = desktop
	}
	if o.srv == nil {
		o.srv = suite.srv
	}
	ctx, cancel := chromedp.NewContext(suite.browser, chromedp.WithNewBrowserContext())
	return openTab(t, ctx, cancel, o)
}

// sibling opens another tab in p's browser context: the same person
// (same cookies, so the same session) looking at a second page at once.
// It is closed, and checked for console errors, when the test ends.
func (p *tab) sibling() *tab {
	p.t.Helper()
	ctx, cancel := chromedp.NewContext(p.ctx)
	return openTab(p.t, ctx, cancel, p.opts)
}

// openTab opens the tab of ctx, set up as o says, for t.
func openTab(t *testing.T, ctx context.Context, cancel context.CancelFunc, o tabOptions) *tab {
	t.Helper()
	p := &tab{t: t, ctx: ctx, opts: o}

	// The first Do opens the tab; like the browser's, it is watched
	// rather than given a timeout.
	opened := make(chan error, 1)
	go func() { opened <- chromedp.Do(ctx) }()
	select {
	case err := <-opened:
		if err != nil {
			cancel()
			t.Fatalf("open a browser tab: %v", err)
		}
	case <-time.After(stepTimeout):
		cancel()
		t.Fatalf("open a browser tab: no tab within %s", stepTimeout)
	}

	messages := chromedp.Console(ctx)
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for m, err := range messages {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m)
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() && !p.shot {
			p.failureScreenshot("end")
		}
		cancel()
		<-collected
		p.checkConsole()
	})

	accept := map[string]string{"en": "en-US,en;q=0.9", "fr": "fr-FR,fr;q=0.9,en;q=0.5"}[o.lang]
	if accept == "" {
		t.Fatalf("no Accept-Language for %q", o.lang)
	}
	emulate := []chromedp.EmulateViewportOption{}
	if o.screen.mobile {
		emulate = append(emulate, chromedp.EmulateMobile)
	}
	// A player's window keeps the focus while they press Tab round the
	// page. Headless Chromium's does not quite: Tab past the last control
	// hands the focus to the browser, which tells the page it lost the
	// focus, and the next Tab takes it back to the skip link; on a loaded
	// machine that news can arrive after the skip link has the focus. A
	// page without the focus matches neither :focus nor :focus-visible,
	// so the focus check saw, now and then, a skip link with no outline,
	// off screen. Focus emulation keeps the page focused and active
	// whatever the browser says, as a player's window is.
	p.do("set up the browser ("+o.lang+", "+o.screen.name+")",
		call(emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}),
		chromedp.EmulateViewport(o.screen.width, o.screen.height, emulate...),
		call(network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": accept}}),
		call(emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: o.noJS}),
	)
	return p
}

// call makes an action of one protocol command.
func call[P, R any](cmd cdp.Command[P, R], params P) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cmd, params)
		return err
	})
}

// checkConsole fails the test for every error the page logged: uncaught
// exceptions, errors of scripts, and the browser's own errors such as a
// resource that failed to load or a Content-Security-Policy violation.
func (p *tab) checkConsole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []string
	for _, m := range p.console {
		if m.Source == "network" && slices.Contains(p.expected, m.URL) {
			continue
		}
		if m.Type == chromedp.ConsoleError || m.IsException() {
			errs = append(errs, fmt.Sprintf("  %s %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1))
		}
	}
	if len(errs) > 0 {
		p.t.Errorf("the browser console shows errors:\n%s", strings.Join(errs, "\n"))
	}
}

// expectHTTPError tells the console check that the test opens path on
// purpose although it answers an error status.
func (p *tab) expectHTTPError(path string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expected = append(p.expected, p.opts.srv.URL+path)
}

// do runs a step's actions within stepTimeout.
func (p *tab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	run(p, step, chromedp.Steps(actions...))
}

// run runs a step that returns a value, within stepTimeout.
func run[T any](p *tab, step string, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.fail(step, err)
	}
	return v
}

// fail stops the test at step, with a screenshot and the page's address.
func (p *tab) fail(step string, err error) {
	p.t.Helper()
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("timed out after %s (%w)", stepTimeout, err)
	}
	shot := p.failureScreenshot(step)
	p.t.Fatalf("step %q failed: %v\n  page: %s\n  screenshot: %s", step, err, p.location(), shot)
}

// location is the page's address, for failure messages.
func (p *tab) location() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return u
}

// failureScreenshot saves what the page shows under failures/ and
// returns its path.
func (p *tab) failureScreenshot(step string) string {
	p.shot = true
	path := filepath.Join(suite.artifacts, "failures", fileName(p.t.Name())+"--"+fileName(step)+".png")
	if err := p.saveScreenshot(path); err != nil {
		return "(none: " + err.Error() + ")"
	}
	return path
}

// saveScreenshot writes a full-page PNG to path.
func (p *tab) saveScreenshot(path string) error {
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileName turns a test or step name into a file name.
func fileName(s string) string {
	return strings.Trim(unsafeName.ReplaceAllString(s, "_"), "_")
}

// tr is the page's wording for id in the tab's language, read from
// questgate's own message files, so the tests follow wording changes and
// prove the page speaks the player's language.
func (p *tab) tr(id string, data ...map[string]any) string {
	return suite.locales.Localizer(p.opts.lang).T(id, data...)
}

// trIn is tr in another language, for a tab that switched language.
func trIn(lang, id string, data ...map[string]any) string {
	return suite.locales.Localizer(lang).T(id, data...)
}

// testID selects the element a template marks with data-testid.
func testID(id string) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf("[data-testid=%q]", id))
}

// open goes to path on the server and returns the HTTP status.
func (p *tab) open(path string) int64 {
	p.t.Helper()
	resp := run(p, "open "+path, chromedp.NavigateResponse(p.opts.srv.URL+path))
	return resp.Status
}

// follow runs a step that leads to a new page (a link, a form sent
// without JavaScript) and waits for it to load.
func (p *tab) follow(step string, trigger ...chromedp.Action[chromedp.Void]) int64 {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, trigger...)
	if err != nil {
		p.fail(step, err)
	}
	return resp.Status
}

// click clicks the first visible element sel finds, as a mouse does.
func click[S chromedp.Selectable](sel S) chromedp.Action[chromedp.Void] {
	return chromedp.Click(sel, chromedp.NodeVisible)
}

// paste puts text into the field sel finds as pasting does: focus, then
// the text arrives in one input event.
func paste[S chromedp.Selectable](sel S, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Focus(sel, chromedp.NodeVisible),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
			return err
		}),
	)
}

// pressKey presses one key (kb.Enter, kb.Tab) where the focus is.
func pressKey(key string) chromedp.Action[chromedp.Void] {
	return chromedp.KeyEvent(key)
}

// text is the visible text of the first element sel finds.
func (p *tab) text(step string, sel chromedp.CSS) string {
	p.t.Helper()
	return strings.TrimSpace(run(p, step, chromedp.Text(sel, chromedp.NodeReady)))
}
