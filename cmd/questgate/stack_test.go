package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
)

// stackProbeEnv marks the process TestAHACKFitsIn16KiBOfStack runs
// itself in.
const stackProbeEnv = "QUESTGATE_TEST_STACK_PROBE"

// hackStack is the stack a HACK must fit in, wherever it reads, writes or
// waits: a big event has a thousand HACKs waiting for Twilio at once, and
// Go doubles a goroutine's stack when it runs out and keeps it doubled
// while the HACK lives (docs/performance.md, memory).
const hackStack = 16 << 10

// TestAHACKFitsIn16KiBOfStack runs HACKs in a process of its own whose
// goroutines may not grow past hackStack once the server is warm: a frame
// grown on a HACK's path (a kilobyte value passed by value, a database
// call made deeper) crashes that process with the overflow's traceback,
// which the failure shows. The process runs a build without the race
// detector, as players do. It covers the player's first HACK (Twilio
// asked over HTTP, the award written), a repeat, and a SID Twilio does
// not know, answered to htmx and to a plain form, and a game's
// first-time player verifying through the JSON API, then repeating, and
// TwilioQuest's likewise; the capped HACKs come on new connections, as a
// burst's do.
func TestAHACKFitsIn16KiBOfStack(t *testing.T) {
	if os.Getenv(stackProbeEnv) == "1" {
		hackWithCappedStacks(t)
		return
	}
	if testing.Short() {
		t.Skip("runs the server in a process of its own")
	}
	bin := os.Args[0]
	if raceEnabled {
		// The race detector's instrumentation makes frames larger than
		// in the build players use (SQLite's interpreter alone takes
		// 6 KB more): the probe runs a test binary built without it.
		bin = filepath.Join(t.TempDir(), "stackprobe.test")
		if out, err := exec.Command("go", "test", "-c", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("go test -c: %v\n%s", err, out)
		}
	}
	cmd := exec.Command(bin, "-test.run=^TestAHACKFitsIn16KiBOfStack$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), stackProbeEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		if !strings.Contains(string(out), "HACKs within") {
			t.Fatalf("the capped process made no HACK:\n%s", out)
		}
		return
	}
	if i := strings.Index(string(out), "stack overflow"); i >= 0 {
		trace := string(out[i:])
		if len(trace) > 6000 {
			trace = trace[:6000]
		}
		t.Fatalf("a HACK needed more than %d KiB of stack: %v\n%s", hackStack>>10, err, trace)
	}
	t.Fatalf("the capped process failed: %v\n%s", err, out)
}

// stackPlayer is a player ready to press HACK without reading a page:
// pages are not HACKs, and may take more stack (a page's goroutine
// shrinks back once idle).
type stackPlayer struct {
	c    *http.Client
	csrf string
}

// readyToHack makes a player of the server at base who saved tw's
// account as their credentials and opened send-sms: their next request
// can be a HACK. Redirects are not followed.
func readyToHack(t *testing.T, base string, tw *fakeTwilio) stackPlayer {
	t.Helper()
	c := browser(t)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	form := getPage(t, c, base+"/credentials")
	if _, resp := postForm(t, c, form, base+"/credentials", url.Values{"account_sid": {tw.account.SID}, "secret": {tw.account.AuthToken}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save credentials: %s", resp.Status)
	}
	page := getPage(t, c, base+"/objectives/send-sms")
	token, ok := page.Find(`form input[name="_csrf"]`).Attr("value")
	if !ok {
		t.Fatal("the objective page has no CSRF token")
	}
	return stackPlayer{c: c, csrf: token}
}

// hackWithCappedStacks is the capped process's side: players set up and
// HACKs made to warm the server (encoding/json fills its caches once,
// deeply), then every goroutine capped at hackStack, then HACKs.
func hackWithCappedStacks(t *testing.T) {
	tw := newFakeTwilio(t)
	dir := t.TempDir()
	out, _, err := runCLI(t, nil, "apikey", "create", "--name", "Stack probe", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`qg_live_[a-z0-9]+`).FindString(out)
	out, _, err = runCLI(t, nil, "cohort", "create", "--name", "Stack probe", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`(?m)^Join code: (\S+)$`).FindStringSubmatch(out)
	if code == nil {
		t.Fatalf("cohort create printed no join code:\n%s", out)
	}
	s := startServerWith(t, serverOptions{dataDir: dir}, "--twilio-api-url", tw.api)
	players := make([]stackPlayer, 4)
	for i := range players {
		players[i] = readyToHack(t, s.url, tw)
	}
	// sendFrom sends a message from f's account and returns its SID.
	sendFrom := func(f *fakeTwilio) string {
		return f.create(t, "Messages.json", url.Values{"From": {"+15017122661"}, "To": {"+15558675310"}, "Body": {"Ahoy"}}, "sid")
	}
	send := func() string { return sendFrom(tw) }
	// Every verdict the capped HACKs meet once before the cap: the first
	// decoding of a type (Twilio's message, and its error for a SID it
	// does not know) fills encoding/json's cache of its fields, deeply
	// and once per process, not per HACK.
	for _, tt := range []struct{ sid, want string }{{send(), "awarded"}, {"SM" + strings.Repeat("0", 32), "not_found"}} {
		if reason := stackHack(t, s.url, players[0], tt.sid, true); reason != tt.want {
			t.Fatalf("warm-up HACK: %q, want %q", reason, tt.want)
		}
		if tt.want == "awarded" {
			tt.sid = send()
		}
		if reason := gameHack(t, s.url, key, tw, "warm-up", tt.sid); reason != tt.want {
			t.Fatalf("warm-up API verification: %q, want %q", reason, tt.want)
		}
	}

	// TwilioQuest's player is known by their Twilio account: a player of
	// another account signs in and wins once before the cap (the
	// sign-in's statements prepared), and tw's is new under it.
	other := tw.another(t)
	if reason := questHack(t, s.url, code[1], other, "send-sms", sendFrom(other)); reason != "awarded" {
		t.Fatalf("warm-up TwilioQuest verification: %q, want awarded", reason)
	}

	// The capped HACKs come on new connections, as a burst's players'
	// do: a goroutine that served the set-up's pages, or the warm-up,
	// keeps the stack it grew then, and would hide a HACK grown past
	// the cap.
	for _, p := range players {
		p.c.CloseIdleConnections()
	}
	http.DefaultClient.CloseIdleConnections()
	debug.SetMaxStack(hackStack)
	defer debug.SetMaxStack(1 << 30)
	hacks := 0
	defer func() { t.Logf("%d HACKs within %d KiB of stack", hacks, hackStack>>10) }()
	for i, p := range players[1:] {
		htmx := i%2 == 0
		sid := send()
		for _, tt := range []struct{ sid, want string }{
			{sid, "awarded"},
			{sid, "already_awarded"},
			{"SM" + strings.Repeat("0", 32), "not_found"},
		} {
			hacks++
			if got := stackHack(t, s.url, p, tt.sid, htmx); got != tt.want && htmx {
				t.Errorf("player %d, htmx, SID %s: %q, want %q", i+1, tt.sid, got, tt.want)
			}
		}
		// A game's first-time player, created by the call, then the
		// same SID again.
		game := fmt.Sprint("game-", i)
		sid = send()
		for _, want := range []string{"awarded", "already_awarded"} {
			hacks++
			if got := gameHack(t, s.url, key, tw, game, sid); got != want {
				t.Errorf("game player %s, SID %s: %q, want %q", game, sid, got, want)
			}
		}
	}
	// TwilioQuest's player, signed in by their first verification.
	sid := send()
	for _, want := range []string{"awarded", "already_awarded"} {
		hacks++
		if got := questHack(t, s.url, code[1], tw, "send-sms", sid); got != want {
			t.Errorf("TwilioQuest, SID %s: %q, want %q", sid, got, want)
		}
	}
}

// questHack verifies sid for objective as TwilioQuest's extension does,
// for the cohort whose join code is code, with tw's account, and returns
// the verdict's reason (a refusal's too).
func questHack(t *testing.T, base, code string, tw *fakeTwilio, objective, sid string) string {
	t.Helper()
	body, err := json.Marshal(map[string]any{"objective": objective, "sid": sid, "name": "Ada",
		"credentials": map[string]string{"account_sid": tw.account.SID, "auth_token": tw.account.AuthToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/api/v1/cohorts/"+code+"/verifications", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Reason string `json:"reason"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("TwilioQuest verification answered %s: %v", resp.Status, err)
	}
	return v.Reason
}

// gameHack verifies sid for the game's player through the JSON API, with
// tw's account in the call, and returns the verdict's reason.
func gameHack(t *testing.T, base, key string, tw *fakeTwilio, id, sid string) string {
	t.Helper()
	v := apiHack(t.Context(), http.DefaultClient, base, key, player{id: id, account: tw.account.SID, sid: sid, token: tw.account.AuthToken})
	if v.err != nil {
		t.Fatalf("API verification answered %d: %v", v.status, v.err)
	}
	return v.Reason
}

// reasonAttr is where the hack panel says its verdict.
var reasonAttr = regexp.MustCompile(`data-testid="result-reason"[^>]*data-reason="([a-z_]+)"`)

// stackHack presses HACK for p, as htmx does or as a plain form, and
// returns the verdict htmx's panel shows ("" for a plain form, which is
// answered with a redirect).
func stackHack(t *testing.T, base string, p stackPlayer, sid string, htmx bool) string {
	t.Helper()
	resp, body := pressHack(t, base, p, sid, htmx)
	if !htmx {
		if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusOK {
			t.Fatalf("HACK as a plain form: %s", resp.Status)
		}
		return ""
	}
	m := reasonAttr.FindSubmatch(body)
	if m == nil {
		t.Fatalf("HACK answered %s without a verdict", resp.Status)
	}
	return string(m[1])
}

// pressHack posts p's HACK of sid on send-sms, as htmx does or as a plain
// form, and returns the answer with its body read.
func pressHack(t *testing.T, base string, p stackPlayer, sid string, htmx bool) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/objectives/send-sms/hack",
		strings.NewReader(url.Values{"_csrf": {p.csrf}, "sid": {sid}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	resp, err := p.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}
