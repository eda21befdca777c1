package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// These tests run questgate as several processes on one PostgreSQL
// database, as a load-balanced event does. They need
// QUESTGATE_TEST_POSTGRES_URL (.ci/run sets it) and skip without it.

// clusterDB creates a schema of its own in the test database and returns
// a URL whose search_path selects it; the schema is dropped afterwards.
func clusterDB(t *testing.T) string {
	t.Helper()
	base := os.Getenv("QUESTGATE_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("QUESTGATE_TEST_POSTGRES_URL is not set: skipping the tests of several instances on PostgreSQL")
	}
	if testing.Short() {
		t.Skip("-short: skipping the tests that start questgate processes")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "qg_cluster_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL at QUESTGATE_TEST_POSTGRES_URL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// questgateBinary builds the questgate command once per test run.
var questgateBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "questgate-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "questgate")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
})

// instance is one `questgate serve` process.
type instance struct {
	url    string
	cmd    *exec.Cmd
	exited chan error
	logs   *os.File
}

// startInstance runs `questgate serve` with env and args, and waits until
// it says where it serves.
func startInstance(t *testing.T, env map[string]string, args ...string) *instance {
	t.Helper()
	bin, err := questgateBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logs, err := os.Create(filepath.Join(dir, "questgate.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-level", "warn"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "QUESTGATE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in := &instance{cmd: cmd, exited: make(chan error, 1), logs: logs}
	serving := regexp.MustCompile(`serving on (http://\S+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := serving.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		in.exited <- cmd.Wait()
	}()
	select {
	case in.url = <-found:
	case err := <-in.exited:
		t.Fatalf("questgate stopped before serving: %v\n%s", err, in.log())
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("questgate did not serve within 60s\n%s", in.log())
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-in.exited:
			if err != nil {
				t.Errorf("questgate stopped with %v\n%s", err, in.log())
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("questgate did not stop within 30s of SIGTERM")
		}
		logs.Close()
	})
	return in
}

func (in *instance) log() string {
	b, _ := os.ReadFile(in.logs.Name())
	return string(b)
}

// clusterEnv is what every instance of one event shares: the database
// and the secret key.
func clusterEnv(t *testing.T, db string) map[string]string {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return map[string]string{"QUESTGATE_DATABASE_URL": db, "QUESTGATE_SECRET_KEY": base64.StdEncoding.EncodeToString(key)}
}

// questgateCLI runs a questgate command in-process with env and stdin.
func questgateCLI(t *testing.T, env map[string]string, stdin string, args ...string) string {
	t.Helper()
	var stdout, stderr strings.Builder
	if err := run(context.Background(), append([]string{"questgate"}, args...), func(k string) string { return env[k] },
		strings.NewReader(stdin), &stdout, &stderr); err != nil {
		t.Fatalf("questgate %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// verification is what POST /api/v1/verifications answers.
type verification struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// verify asks base to verify sid for player through the JSON API.
func verify(base, key, player, sid string, f *fakeTwilio) (verification, error) {
	body, _ := json.Marshal(map[string]any{"objective": "send-sms", "sid": sid, "player": map[string]string{"id": player},
		"credentials": map[string]string{"account_sid": f.account.SID, "auth_token": f.account.AuthToken}})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/verifications", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return verification{}, err
	}
	defer resp.Body.Close()
	var v verification
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return v, fmt.Errorf("%s: %w", resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK {
		return v, fmt.Errorf("%s: %+v", resp.Status, v)
	}
	return v, nil
}

var apiKeyLine = regexp.MustCompile(`Bearer …\):\s+(\S+)`)

func TestTwoInstancesAwardOneSIDOnce(t *testing.T) {
	db := clusterDB(t)
	env := clusterEnv(t, db)
	f := newFakeTwilio(t)
	// Both instances start together on an empty database: the advisory
	// lock makes one migrate while the other waits.
	var a, b *instance
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = startInstance(t, env, "--twilio-api-url", f.api) }()
	go func() { defer wg.Done(); b = startInstance(t, env, "--twilio-api-url", f.api) }()
	wg.Wait()
	if a == nil || b == nil {
		t.FailNow()
	}
	assertMigratedOnce(t, db)

	key := apiKeyLine.FindStringSubmatch(questgateCLI(t, env, "", "apikey", "create", "--name", "cluster test"))
	if key == nil {
		t.Fatal("apikey create printed no key")
	}
	sid := f.create(t, "Messages.json", url.Values{"From": {"+15017122661"}, "To": {"+15558675310"}, "Body": {"hello from two instances"}}, "sid")

	const clicks = 200
	results := make(chan verification, clicks)
	errs := make(chan error, clicks)
	var start sync.WaitGroup
	start.Add(1)
	for i := range clicks {
		base := a.url
		if i%2 == 1 {
			base = b.url
		}
		go func() {
			start.Wait()
			v, err := verify(base, key[1], "ada", sid, f)
			if err != nil {
				errs <- err
				return
			}
			results <- v
		}()
	}
	start.Done()
	counts := map[string]int{}
	for range clicks {
		select {
		case v := <-results:
			counts[v.Status+"/"+v.Reason]++
		case err := <-errs:
			t.Error(err)
		case <-time.After(90 * time.Second):
			t.Fatalf("answers missing after 90s: %v", counts)
		}
	}
	if counts["awarded/awarded"] != 1 || counts["already_awarded/already_awarded"] != clicks-1 {
		t.Errorf("answers = %v, want exactly one awarded and %d already_awarded", counts, clicks-1)
	}
	var awards int
	queryRow(t, db, "SELECT count(*) FROM awards", &awards)
	if awards != 1 {
		t.Errorf("%d awards in the database, want 1", awards)
	}
}

// assertMigratedOnce checks that every migration was applied exactly once.
func assertMigratedOnce(t *testing.T, db string) {
	t.Helper()
	var dup int
	queryRow(t, db, `SELECT count(*) FROM (SELECT version_id FROM goose_db_version WHERE is_applied
		GROUP BY version_id HAVING count(*) > 1) d`, &dup)
	if dup != 0 {
		t.Errorf("%d migrations were applied more than once", dup)
	}
}

func queryRow(t *testing.T, db, query string, dest ...any) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(context.Background(), query).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func TestSubmissionOnOneInstanceShowsLiveOnTheOther(t *testing.T) {
	db := clusterDB(t)
	env := clusterEnv(t, db)
	f := newFakeTwilio(t)
	a := startInstance(t, env, "--twilio-api-url", f.api)
	b := startInstance(t, env, "--twilio-api-url", f.api)
	key := apiKeyLine.FindStringSubmatch(questgateCLI(t, env, "", "apikey", "create", "--name", "cluster test"))
	questgateCLI(t, env, "a long passphrase\n", "instructor", "add", "--email", "ada@example.org", "--password-stdin")

	// An instructor signs in on B and watches the live submissions.
	jar, _ := cookiejar.New(nil)
	instructor := &http.Client{Jar: jar}
	req, _ := http.NewRequest(http.MethodPost, b.url+"/instructor/login",
		strings.NewReader(url.Values{"email": {"ada@example.org"}, "password": {"a long passphrase"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := instructor.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Request.URL.Path, "/instructor") {
		t.Fatalf("sign-in on B: %s at %s", resp.Status, resp.Request.URL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, b.url+"/instructor/submissions/live", nil)
	req.Header.Set("Accept", "text/event-stream")
	stream, err := instructor.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if stream.StatusCode != http.StatusOK {
		t.Fatalf("live feed on B: %s", stream.Status)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stream.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()

	// A player hacks on A; LISTEN may take a moment to start on B, so the
	// player keeps submitting new messages until B shows one.
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	sent := map[string]bool{}
	send := func() {
		sid := f.create(t, "Messages.json", url.Values{"From": {"+15017122661"}, "To": {"+15558675310"}, "Body": {"live across instances"}}, "sid")
		sent[sid] = true
		if _, err := verify(a.url, key[1], fmt.Sprintf("player-%d", len(sent)), sid, f); err != nil {
			t.Fatal(err)
		}
	}
	send()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("B's live feed ended before showing A's submission")
			}
			for sid := range sent {
				if strings.Contains(line, sid) {
					return
				}
			}
		case <-tick.C:
			send()
		case <-ctx.Done():
			t.Fatalf("B's live feed never showed a submission made on A (%d sent)", len(sent))
		}
	}
}

// tcpProxy forwards connections to target until stopped, so a test can
// take the database away from questgate and give it back.
type tcpProxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func (p *tcpProxy) start(t *testing.T) {
	t.Helper()
	addr := p.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for range 50 { // the port of a closed listener may take a moment to free
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, d)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(d, c); d.Close() }()
			go func() { _, _ = io.Copy(c, d); c.Close() }()
		}
	}()
}

// stop closes the listener and cuts every connection, as a database that
// went down would.
func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func TestReadyzFollowsTheDatabase(t *testing.T) {
	db := clusterDB(t)
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &tcpProxy{target: u.Host}
	proxy.start(t)
	t.Cleanup(proxy.stop)
	u.Host = proxy.addr
	env := clusterEnv(t, u.String())
	in := startInstance(t, env, "--twilio-api-url", "http://127.0.0.1:1")

	waitReady := func(want int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			resp, err := http.Get(in.url + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == want {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz never answered %d (last: %v %v)", want, resp, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitReady(http.StatusOK)
	proxy.stop()
	waitReady(http.StatusServiceUnavailable)
	proxy.start(t)
	waitReady(http.StatusOK)
}
