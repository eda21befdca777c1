package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The instructor's scenarios (issue 4). The embedding platform's ("the
// example page receives the completion message from the widget", issue 5)
// are in embed_test.go.

// addInstructor creates an instructor account as docs/instructors.md tells whoever
// runs the server to: `questgate instructor add --password-stdin` on the
// server's data folder, here while the server runs. Each test gets its own
// account, so the per-account sign-in limit never links two tests.
func addInstructor(t *testing.T) (email, password string) {
	t.Helper()
	return addInstructorTo(t, suite.data)
}

// addInstructorTo is addInstructor for the server of the data folder data.
func addInstructorTo(t *testing.T, data string) (email, password string) {
	t.Helper()
	if suite.skip != "" {
		t.Skip(suite.skip)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	email = "e2e-" + hex.EncodeToString(b[:]) + "@example.org"
	password = "a long passphrase " + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, suite.bin, "instructor", "--data-dir", data,
		"add", "--email", email, "--password-stdin")
	cmd.Env = cleanEnv(os.Environ())
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("questgate instructor add --email %s: %v\n%s", email, err, out)
	}
	return email, password
}

// signIn fills in the sign-in form the tab shows, as an instructor types
// (over what the fields hold, after a failed try), sends it, and checks
// the dashboard greets them by their email.
func (p *tab) signIn(email, password string) {
	p.t.Helper()
	emailField, passwordField := byLabel(p.tr("instructor.login.email")), byLabel(p.tr("instructor.login.password"))
	p.do("type the email", chromedp.Focus(emailField, chromedp.NodeVisible), selectAll(), paste(emailField, email))
	p.do("type the password", chromedp.Focus(passwordField, chromedp.NodeVisible), selectAll(), paste(passwordField, password))
	p.follow("press "+p.tr("instructor.login.submit"), click(buttonNamed("login-form", p.tr("instructor.login.submit"))))
	if got := p.text("read who is signed in", testID("signed-in-as")); got != email {
		p.fail("sign in", fmt.Errorf("the dashboard says %q is signed in, want %s (page %s)", got, email, p.location()))
	}
}

// submissionRow is what the instructor reads in a row of the submissions.
type submissionRow struct {
	// Index is the row's place in the table, 0 at the top.
	Index     int    `json:"index"`
	ID        string `json:"id"`
	Player    string `json:"player"`
	Objective string `json:"objective"`
	Reason    string `json:"reason"`
	Outcome   string `json:"outcome"`
	Body      string `json:"body"`
	// Reloaded is true when the page lost the mark noReloadJS left: it
	// was loaded again rather than updated in place.
	Reloaded bool `json:"reloaded"`
}

// noReloadJS marks the page, so a later look can tell it was updated in
// place rather than reloaded.
const noReloadJS = `(() => { window.__e2eNoReload = true; return true; })()`

// findRowJS returns the submissions table's row for sid, or null.
func findRowJS(sid string) string {
	return `(() => {
		const rows = [...document.querySelectorAll('[data-testid="submission"]')];
		const i = rows.findIndex(r => r.querySelector('[data-testid="submission-sid"]')?.innerText.trim() === ` + jsString(sid) + `);
		if (i < 0) return null;
		const r = rows[i];
		const text = s => r.querySelector(s)?.innerText.trim() ?? "";
		return {
			index: i, id: r.dataset.id, player: r.dataset.player, objective: r.dataset.objective,
			reason: r.dataset.reason, outcome: text('[data-testid="submission-outcome"] .badge'),
			body: text('[data-testid="submission-body"]'), reloaded: !window.__e2eNoReload,
		};
	})()`
}

// rowLink is the link marked testid in the submissions table's row for sid.
func rowLink(sid, testid string) chromedp.JSPath {
	return chromedp.JSPath(`[...document.querySelectorAll('[data-testid="submission"]')].find(r => r.querySelector('[data-testid="submission-sid"]')?.innerText.trim() === ` +
		jsString(sid) + `)?.querySelector('[data-testid="` + testid + `"]')`)
}

// TestInstructorSeesSubmissionLive is an instructor running a workshop:
// signed in, with the submissions in one tab and the progress in another,
// while a player pastes a SID and presses HACK. The new submission comes
// to the top of the table and the player's progress shows the objective
// done, both without reloading.
func TestInstructorSeesSubmissionLive(t *testing.T) {
	email, password := addInstructor(t)
	teacher := newTab(t, tabOptions{})
	teacher.open("/instructor/login")
	teacher.signIn(email, password)
	if loc := teacher.location(); !strings.HasSuffix(loc, "/instructor/submissions") {
		t.Fatalf("signing in leads to %s, want the submissions", loc)
	}
	teacher.do("mark the submissions page", chromedp.Evaluate[chromedp.Void](noReloadJS))

	// The player has a name of their own, and the progress page finds
	// them by it: with the suite's many players, theirs is one row of a
	// page of 50.
	player := newTab(t, tabOptions{})
	name := "Live " + unknownSID()[2:10]
	player.setName(name)
	progress := teacher.sibling()
	progress.open("/instructor/progress?q=" + url.QueryEscape(name))
	doneBefore := progress.text("read how many players are done", chromedp.CSS(`[data-testid="objective-stat"][data-objective="send-sms"] [data-testid="stat-done"]`))
	progress.do("mark the progress page", chromedp.Evaluate[chromedp.Void](noReloadJS))

	body := "Seen live by the instructor"
	sid := player.ownSMS(body)
	player.open("/objectives/send-sms")
	res := player.hack("paste the SID and press HACK", player.pasteSID(sid), click(player.hackButton()))
	player.wantResult("HACK", res, "success", "awarded")

	row := run(teacher, "wait for the submission to appear", chromedp.Poll[submissionRow](findRowJS(sid),
		chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(stepTimeout)))
	if row.Reloaded {
		t.Error("the submissions page reloaded to show the new submission, want it to arrive in place")
	}
	if row.Index != 0 {
		t.Errorf("the new submission is row %d of the table, want it on top", row.Index+1)
	}
	want := submissionRow{ID: row.ID, Player: row.Player, Objective: "send-sms", Reason: "awarded",
		Outcome: teacher.tr("instructor.outcome.success"), Body: body}
	if row.Index = 0; row != want || row.Player == "" {
		t.Errorf("the new row reads %+v, want %+v", row, want)
	}

	// The progress view is sent the player's row and the counts at most
	// every 2 s: wait for the change, however long it takes within a step.
	cell := `[data-testid="progress-row"][data-player=` + jsString(row.Player) + `] [data-testid="progress-cell"][data-objective="send-sms"]`
	type progressCell struct {
		Done     string `json:"done"`
		Reloaded bool   `json:"reloaded"`
	}
	got := run(progress, "wait for the progress to show the objective done", chromedp.Poll[progressCell](`(() => {
		const c = document.querySelector(`+jsString(cell)+`);
		if (!c || c.dataset.state !== "done") return null;
		// The row comes first, then the counts.
		const done = document.querySelector('[data-testid="objective-stat"][data-objective="send-sms"] [data-testid="stat-done"]');
		if (!done || done.innerText.trim() === `+jsString(doneBefore)+`) return null;
		return {done: done.innerText.trim(), reloaded: !window.__e2eNoReload};
	})()`, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(stepTimeout)))
	if got.Reloaded {
		t.Error("the progress page reloaded to show the change, want it refreshed in place")
	}
	if want := incr(t, doneBefore); got.Done != want {
		t.Errorf("the progress counts %s players done with send-sms, want %s (was %s)", got.Done, want, doneBefore)
	}
}

// incr is n, a count the page shows, plus one.
func incr(t *testing.T, n string) string {
	t.Helper()
	i, err := strconv.Atoi(n)
	if err != nil {
		t.Fatalf("the page shows %q where a count should be", n)
	}
	return strconv.Itoa(i + 1)
}

// TestEmptyDashboard is the instructor who signs in before the workshop
// starts, on a server nobody has played on yet: the views say there is
// nothing yet, and their tables, empty or not, can still be scrolled with
// the keyboard on a phone. It runs a server of its own, since the suite's
// fills up as the other tests play.
func TestEmptyDashboard(t *testing.T) {
	if suite.skip != "" {
		t.Skip(suite.skip)
	}
	data := t.TempDir()
	srv, err := startServer(suite.bin, data, filepath.Join(suite.artifacts, "server-empty.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	email, password := addInstructorTo(t, data)
	for _, lang := range []string{"en", "fr"} {
		for _, screen := range screens {
			t.Run(lang+"/"+screen.name, func(t *testing.T) {
				p := newTab(t, tabOptions{lang: lang, screen: screen, srv: srv})
				p.open("/instructor/login")
				p.signIn(email, password)
				for _, page := range []struct {
					name, path, empty string
				}{
					{"empty submissions", "/instructor/submissions", "submissions-empty"},
					{"empty progress", "/instructor/progress", "progress-empty"},
				} {
					p.open(page.path)
					if got, want := p.text(page.name+": read what the page says", testID(page.empty)), p.tr("instructor."+strings.ReplaceAll(page.empty, "-empty", ".empty")); got != want {
						t.Errorf("%s: the page says %q, want %q", page.name, got, want)
					}
					p.checkFits(page.name)
					p.checkAxe(page.name)
					p.checkLabels(page.name)
					p.checkFocusVisible(page.name)
				}
			})
		}
	}
}
