package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/questgate/questgate/store"
)

// The process tests run the questgate binary as an operator does, send it
// signals, and look at what players got and what the database kept.

// binary is the questgate command built once for the process tests.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// questgateBinary builds the command (with -race when the tests run with
// it, so a race the burst provokes in the server fails the run), once.
func questgateBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("process tests build and run the binary; skipped in -short mode")
	}
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "questgate-process-")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "questgate")
		args := []string{"build", "-o", binary.path}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// heldTwilio answers message fetches with a valid outbound message, after
// hold returns (nil: at once). It counts the fetches that arrived.
type heldTwilio struct {
	*httptest.Server
	arrived atomic.Int32
	// arrivals gets one value per fetch, as it arrives.
	arrivals chan int32
	hold     func(n int32) <-chan struct{}
}

func newHeldTwilio(t *testing.T, hold func(n int32) <-chan struct{}) *heldTwilio {
	f := &heldTwilio{arrivals: make(chan int32, 1000), hold: hold}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2010-04-01/Accounts/{account}/Messages/{file}", func(w http.ResponseWriter, r *http.Request) {
		n := f.arrived.Add(1)
		f.arrivals <- n
		if f.hold != nil {
			select {
			case <-f.hold(n):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"sid": strings.TrimSuffix(r.PathValue("file"), ".json"), "account_sid": r.PathValue("account"),
			"status": "delivered", "direction": "outbound-api", "to": "+15558675310", "from": "+15017122661",
			"body": "Hello from a player under load", "num_media": "0", "num_segments": "1",
			"date_created": time.Now().UTC().Format(time.RFC1123Z), "api_version": "2010-04-01",
		})
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// waitArrivals waits until n fetches have reached the fake Twilio.
func (f *heldTwilio) waitArrivals(t *testing.T, n int32) {
	t.Helper()
	deadline := time.After(2 * time.Minute)
	for f.arrived.Load() < n {
		select {
		case <-f.arrivals:
		case <-deadline:
			t.Fatalf("only %d of %d requests reached Twilio within 2 minutes", f.arrived.Load(), n)
		}
	}
}

// process is a running `questgate serve`.
type process struct {
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
	err    error // set when exited is closed
	logs   *syncBuffer
}

// processMetricsToken lets the tests scrape /metrics (awardsCounted),
// which is not served without one.
const processMetricsToken = "process-test-metrics-token"

// processEnv is the test's environment without QUESTGATE_* variables, so
// a developer's settings cannot change what the tests see, and with the
// metrics token.
func processEnv() []string {
	env := []string{"QUESTGATE_METRICS_TOKEN=" + processMetricsToken}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "QUESTGATE_") {
			env = append(env, kv)
		}
	}
	return env
}

var servingOn = regexp.MustCompile(`serving on http://localhost:(\d+)`)

// startProcess runs `questgate serve` on a free port of 127.0.0.1 with
// its data in dataDir and Twilio at twilioURL, and waits until it says
// where it serves. It is killed, if still running, when the test ends.
func startProcess(t *testing.T, bin, dataDir, twilioURL string) *process {
	t.Helper()
	return startServing(t, bin, processEnv(), "--data-dir", dataDir, "--twilio-api-url", twilioURL,
		// Twilio is held on purpose here: give it all the time it needs.
		"--twilio-timeout", "60s", "--twilio-attempt-timeout", "60s", "--shutdown-timeout", "90s")
}

// startServing runs `questgate serve` on a free port of 127.0.0.1 with
// env and args, logging JSON at info level, without the per-address limit
// (every test player comes from 127.0.0.1), and waits until it says where
// it serves. It is killed, if still running, when the test ends.
func startServing(t *testing.T, bin string, env []string, args ...string) *process {
	t.Helper()
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--log-level", "info",
		"--ip-requests-per-minute", "0"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	p := &process{cmd: cmd, exited: make(chan struct{}), logs: &syncBuffer{}}
	cmd.Stderr = p.logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingOn.FindStringSubmatch(sc.Text()); m != nil {
				urls <- "http://127.0.0.1:" + m[1]
			}
		}
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("questgate's log:\n%s", p.logs)
		}
	})
	select {
	case p.url = <-urls:
		return p
	case <-p.exited:
		t.Fatalf("questgate stopped before serving: %v\n%s", p.err, p.logs)
	case <-time.After(time.Minute):
		t.Fatalf("questgate did not say where it serves within a minute:\n%s", p.logs)
	}
	return nil
}

// waitLog waits until the process logs a line containing s.
func (p *process) waitLog(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(p.logs.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("questgate did not log %q within a minute", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wait waits for the process to exit and returns how it did.
func (p *process) wait(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(within):
		t.Fatalf("questgate still runs %v later", within)
		return nil
	}
}

// newAPIKey runs `questgate apikey create` on dataDir and returns the key.
func newAPIKey(t *testing.T, bin, dataDir string) string {
	t.Helper()
	cmd := exec.Command(bin, "apikey", "create", "--name", "load test", "--data-dir", dataDir)
	cmd.Env = processEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("apikey create: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(qg_live_\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no key in:\n%s", out)
	}
	return string(m[1])
}

// player is one player of a burst, with their own Twilio account (so no
// per-account limit of Twilio's or questgate's holds them back) and their
// own message.
type player struct {
	id, account, sid string
	// token is the account's auth token: authToken when empty.
	token string
}

// authToken is every player's auth token: the fake Twilio takes any.
var authToken = strings.Repeat("ab", 16)

func burstPlayers(n int) []player {
	ps := make([]player, n)
	for i := range ps {
		ps[i] = player{id: fmt.Sprintf("p%d", i+1), account: fmt.Sprintf("AC%032x", i+1), sid: fmt.Sprintf("SM%032x", 0x5000+i)}
	}
	return ps
}

// verdict is what a player's verification came to, as the API answered.
type verdict struct {
	status int
	Status string `json:"status"`
	Reason string `json:"reason"`
	err    error
}

// apiHack submits p's SID through the JSON API, as a game's server does.
func apiHack(ctx context.Context, c *http.Client, baseURL, key string, p player) verdict {
	token := p.token
	if token == "" {
		token = authToken
	}
	body, _ := json.Marshal(map[string]any{
		"objective": "send-sms", "sid": p.sid,
		"player":      map[string]string{"id": p.id, "name": "Player " + p.id},
		"credentials": map[string]string{"account_sid": p.account, "auth_token": token},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/api/v1/verifications", bytes.NewReader(body))
	if err != nil {
		return verdict{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return verdict{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return verdict{status: res.StatusCode, err: err}
	}
	v := verdict{status: res.StatusCode}
	if err := json.Unmarshal(b, &v); err != nil {
		v.err = fmt.Errorf("%w: %s", err, b)
	}
	return v
}

// burstClient opens a connection per player: no player waits for another's.
func burstClient() *http.Client {
	return &http.Client{Timeout: 3 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
}

// burst makes every player hack at once; each verdict arrives on the
// returned channel as it comes.
func burst(c *http.Client, baseURL, key string, ps []player) <-chan struct {
	player
	verdict
} {
	out := make(chan struct {
		player
		verdict
	}, len(ps))
	for _, p := range ps {
		go func() {
			out <- struct {
				player
				verdict
			}{p, apiHack(context.Background(), c, baseURL, key, p)}
		}()
	}
	return out
}

// checkAwarded opens the database in dataDir, as a restarted questgate
// does, and checks that every SID in sids won its player the objective.
func checkAwarded(t *testing.T, dataDir string, ps []player) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dataDir, "questgate.db"))
	if err != nil {
		t.Fatalf("the database does not open: %v", err)
	}
	defer st.Close()
	if err := st.Ready(ctx); err != nil {
		t.Fatalf("the database is not ready: %v", err)
	}
	for _, p := range ps {
		sub, err := st.AwardedSubmission(ctx, "send-sms", p.sid)
		if err != nil {
			t.Errorf("%s answered awarded for %s, but the database has no award: %v", p.id, p.sid, err)
			continue
		}
		if sub.Reason != "awarded" {
			t.Errorf("%s: recorded as %s", p.sid, sub.Reason)
		}
	}
}

// awardsCounted scrapes /metrics and returns the count of awarded
// verifications.
func awardsCounted(t *testing.T, baseURL string) float64 {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, baseURL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+processMetricsToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	const series = `questgate_verifications_total{outcome="passed",reason="awarded"} `
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, series); ok {
			var n float64
			if _, err := fmt.Sscan(v, &n); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return n
		}
	}
	t.Fatalf("/metrics lacks %s:\n%s", series, b)
	return 0
}

func get(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// A SIGTERM in the middle of a burst refuses new connections, answers
// every verification already under way, then exits 0, with every award
// kept.
func TestSIGTERMAnswersEveryVerificationInFlight(t *testing.T) {
	bin := questgateBinary(t)
	data := t.TempDir()
	key := newAPIKey(t, bin, data)
	release := make(chan struct{})
	twilio := newHeldTwilio(t, func(int32) <-chan struct{} { return release })
	p := startProcess(t, bin, data, twilio.URL)

	ps := burstPlayers(50)
	verdicts := burst(burstClient(), p.url, key, ps)
	// Every player's verification is inside questgate, waiting for Twilio.
	twilio.waitArrivals(t, int32(len(ps)))
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, "shutting down")
	// New connections are refused while the old ones finish.
	late := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	if res, err := late.Get(p.url + "/healthz"); err == nil {
		res.Body.Close()
		t.Errorf("a new connection after SIGTERM was served: %d", res.StatusCode)
	}
	close(release)

	for range ps {
		v := <-verdicts
		if v.err != nil || v.status != http.StatusOK || v.Status != "awarded" {
			t.Errorf("%s: HTTP %d %q (%s), error %v", v.id, v.status, v.Status, v.Reason, v.err)
		}
	}
	if err := p.wait(t, time.Minute); err != nil {
		t.Fatalf("questgate exited with %v after SIGTERM, want 0", err)
	}
	logs := p.logs.String()
	for _, want := range []string{`"in_flight":50`, "every request in flight has been answered", `"msg":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
	checkVerificationLines(t, logs, len(ps))
	checkAwarded(t, data, ps)
}

// checkVerificationLines checks that the log has one line per
// verification, each with its request id, outcome and latencies, and
// neither a secret nor a busy database.
func checkVerificationLines(t *testing.T, logs string, want int) {
	t.Helper()
	if strings.Contains(logs, authToken) {
		t.Error("an auth token is in the log")
	}
	for _, busy := range []string{"SQLITE_BUSY", "database is locked"} {
		if strings.Contains(logs, busy) {
			t.Errorf("the database was busy under the burst: %s in the log", busy)
		}
	}
	n := 0
	for line := range strings.Lines(logs) {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Errorf("not a JSON log line: %q", line)
			continue
		}
		if l["msg"] != "verification" {
			continue
		}
		n++
		for _, k := range []string{"request_id", "outcome", "reason", "total_ms", "upstream_ms"} {
			if _, ok := l[k]; !ok {
				t.Errorf("verification line without %s: %s", k, line)
			}
		}
	}
	if n != want {
		t.Errorf("%d verification lines, want %d", n, want)
	}
}

// kill -9 in the middle of a burst loses nothing a player was told: on
// restart the database opens cleanly and every answered award is there.
func TestKillMidBurstKeepsEveryAnsweredAward(t *testing.T) {
	bin := questgateBinary(t)
	data := t.TempDir()
	key := newAPIKey(t, bin, data)
	const answered = 20
	never := make(chan struct{})
	t.Cleanup(func() { close(never) })
	soon := func(n int32) <-chan struct{} {
		if n > answered {
			return never // still in flight when the process dies
		}
		ch := make(chan struct{})
		time.AfterFunc(300*time.Millisecond, func() { close(ch) })
		return ch
	}
	twilio := newHeldTwilio(t, soon)
	p := startProcess(t, bin, data, twilio.URL)

	ps := burstPlayers(50)
	verdicts := burst(burstClient(), p.url, key, ps)
	var awarded []player
	for len(awarded) < answered {
		select {
		case v := <-verdicts:
			if v.err != nil || v.Status != "awarded" {
				t.Fatalf("%s before the kill: HTTP %d %q, error %v", v.id, v.status, v.Status, v.err)
			}
			awarded = append(awarded, v.player)
		case <-time.After(2 * time.Minute):
			t.Fatalf("only %d awards answered within 2 minutes", len(awarded))
		}
	}
	twilio.waitArrivals(t, answered+1) // and more are in flight
	if n := awardsCounted(t, p.url); n < answered {
		t.Errorf("/metrics counts %v awards, want at least %d", n, answered)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.wait(t, time.Minute)
	for range len(ps) - answered {
		if v := <-verdicts; v.err == nil && v.Status == "awarded" {
			awarded = append(awarded, v.player) // answered just before the kill
		}
	}

	again := startProcess(t, bin, data, twilio.URL)
	if got := get(t, again.url+"/readyz"); got != http.StatusOK {
		t.Errorf("/readyz after a restart: %d", got)
	}
	if err := again.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := again.wait(t, time.Minute); err != nil {
		t.Fatalf("the restarted questgate exited with %v", err)
	}
	checkAwarded(t, data, awarded)
}

// A second signal ends a shutdown that waits for a slow Twilio at once.
func TestSecondSignalForcesExit(t *testing.T) {
	bin := questgateBinary(t)
	data := t.TempDir()
	key := newAPIKey(t, bin, data)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	twilio := newHeldTwilio(t, func(int32) <-chan struct{} { return release })
	p := startProcess(t, bin, data, twilio.URL)

	verdicts := burst(burstClient(), p.url, key, burstPlayers(1))
	twilio.waitArrivals(t, 1)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, "shutting down")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := p.wait(t, 30*time.Second)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Errorf("after a second SIGTERM questgate exited with %v, want killed by the signal", err)
	}
	if v := <-verdicts; v.err == nil {
		t.Errorf("the verification cut off got an answer: %d %q", v.status, v.Status)
	}
}

func TestServeRejectsBadOperationsSettings(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"attempt longer than the verification", []string{"--twilio-timeout", "5s", "--twilio-attempt-timeout", "6s"}, nil,
			"--twilio-attempt-timeout 6s is longer than --twilio-timeout 5s"},
		{"no tries", []string{"--twilio-max-tries", "0"}, nil, "--twilio-max-tries 0: give a number between 1 and 10"},
		{"too many tries", nil, map[string]string{"QUESTGATE_TWILIO_MAX_TRIES": "11"}, "--twilio-max-tries 11"},
		{"no concurrency", []string{"--twilio-account-concurrency", "0"}, nil, "--twilio-account-concurrency 0: give a number between 1 and 1000"},
		{"negative attempt timeout", nil, map[string]string{"QUESTGATE_TWILIO_ATTEMPT_TIMEOUT": "-1s"}, "--twilio-attempt-timeout must be positive"},
		{"shutdown shorter than a verification", []string{"--shutdown-timeout", "10s"}, nil,
			"--shutdown-timeout 10s is shorter than --twilio-timeout 15s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"questgate", "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, tt.args...)
			getenv := func(k string) string { return tt.env[k] }
			err := run(context.Background(), args, getenv, strings.NewReader(""), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}
