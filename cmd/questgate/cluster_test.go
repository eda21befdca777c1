package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// These tests run questgate as several processes on one PostgreSQL
// database, as an event behind a load balancer does. They need
// QUESTGATE_TEST_POSTGRES_URL (.ci/run sets it) and skip without it.

// clusterDB creates a schema of its own in the test database and returns
// a URL whose search_path selects it; the schema is dropped afterwards.
func clusterDB(t *testing.T) string {
	t.Helper()
	base := os.Getenv("QUESTGATE_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("QUESTGATE_TEST_POSTGRES_URL is not set: skipping the tests of several instances on PostgreSQL")
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

// clusterEnv is the environment of every instance of one event: the
// shared database and the shared secret key.
func clusterEnv(db string) []string {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return append(processEnv(), "QUESTGATE_DATABASE_URL="+db, "QUESTGATE_SECRET_KEY="+base64.StdEncoding.EncodeToString(key))
}

// instance starts one `questgate serve` of the event in its own data folder.
func instance(t *testing.T, bin string, env []string, twilioURL string) *process {
	t.Helper()
	return startServing(t, bin, env, "--data-dir", t.TempDir(), "--twilio-api-url", twilioURL)
}

// clusterCLI runs a questgate command with env and stdin, and returns
// what it printed.
func clusterCLI(t *testing.T, bin string, env []string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("questgate %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// clusterAPIKey creates an API key in the event's database.
func clusterAPIKey(t *testing.T, bin string, env []string) string {
	t.Helper()
	out := clusterCLI(t, bin, env, "", "apikey", "create", "--name", "cluster test")
	for f := range strings.FieldsSeq(out) {
		if strings.HasPrefix(f, "qg_live_") {
			return f
		}
	}
	t.Fatalf("no key in:\n%s", out)
	return ""
}

// Two instances started together on an empty database migrate it once,
// and 200 simultaneous submissions of one SID spread over both award it
// once.
func TestTwoInstancesAwardOneSIDOnce(t *testing.T) {
	db := clusterDB(t)
	bin := questgateBinary(t)
	env := clusterEnv(db)
	twilio := newHeldTwilio(t, nil)
	var a, b *process
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = instance(t, bin, env, twilio.URL) }()
	go func() { defer wg.Done(); b = instance(t, bin, env, twilio.URL) }()
	wg.Wait()
	if a == nil || b == nil {
		t.FailNow()
	}
	var dup int
	queryRow(t, db, `SELECT count(*) FROM (SELECT version_id FROM goose_db_version
		GROUP BY version_id HAVING count(*) > 1) d`, &dup)
	if dup != 0 {
		t.Errorf("%d migrations were applied more than once", dup)
	}

	key := clusterAPIKey(t, bin, env)
	ada := burstPlayers(1)[0]
	const clicks = 200
	c := burstClient()
	verdicts := make(chan verdict, clicks)
	var start sync.WaitGroup
	start.Add(1)
	for i := range clicks {
		base := a.url
		if i%2 == 1 {
			base = b.url
		}
		go func() {
			start.Wait()
			verdicts <- apiHack(context.Background(), c, base, key, ada)
		}()
	}
	start.Done()
	counts := map[string]int{}
	for range clicks {
		v := <-verdicts
		if v.err != nil || v.status != http.StatusOK {
			t.Errorf("HTTP %d: %v", v.status, v.err)
			continue
		}
		counts[v.Reason]++
	}
	if counts["awarded"] != 1 || counts["already_awarded"] != clicks-1 {
		t.Errorf("answers = %v, want exactly one awarded and %d already_awarded", counts, clicks-1)
	}
	var awards int
	queryRow(t, db, "SELECT count(*) FROM awards", &awards)
	if awards != 1 {
		t.Errorf("%d awards in the database, want 1", awards)
	}
	// Each instance asks Twilio once at most: its identical checks in
	// flight share one fetch, and later ones are answered from the database.
	if n := twilio.arrived.Load(); n > 2 {
		t.Errorf("Twilio was asked %d times, want at most one per instance", n)
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

// An instructor watching the live submissions on instance B sees a
// player's submission on instance A.
func TestSubmissionOnOneInstanceShowsLiveOnTheOther(t *testing.T) {
	db := clusterDB(t)
	bin := questgateBinary(t)
	env := clusterEnv(db)
	twilio := newHeldTwilio(t, nil)
	a := instance(t, bin, env, twilio.URL)
	b := instance(t, bin, env, twilio.URL)
	key := clusterAPIKey(t, bin, env)
	clusterCLI(t, bin, env, "a long passphrase\n", "instructor", "add", "--email", "ada@example.org", "--password-stdin")

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
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path == "/instructor/login" {
		t.Fatalf("sign-in on B: %s at %s", resp.Status, resp.Request.URL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, b.url+"/instructor/submissions/live", nil)
	req.Header.Set("Accept", "text/event-stream")
	stream, err := instructor.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if stream.StatusCode != http.StatusOK {
		t.Fatalf("live submissions on B: %s", stream.Status)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stream.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()

	// B's listener may not be listening yet when the first event goes
	// out (LISTEN keeps no backlog), so players keep hacking on A until
	// B shows one of them.
	c := burstClient()
	players := burstPlayers(100)
	sent := 0
	hack := func() {
		if sent == len(players) {
			return
		}
		if v := apiHack(ctx, c, a.url, key, players[sent]); v.err != nil || v.Reason != "awarded" {
			t.Fatalf("hack on A: HTTP %d %s %v", v.status, v.Reason, v.err)
		}
		sent++
	}
	hack()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("B's live feed ended before showing a submission made on A (%d made)", sent)
			}
			for _, p := range players[:sent] {
				if strings.Contains(line, p.sid) {
					return
				}
			}
		case <-tick.C:
			hack()
		case <-ctx.Done():
			t.Fatalf("B's live feed never showed a submission made on A (%d made)", sent)
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

// /readyz tells a load balancer to stop sending players to an instance
// whose database is gone, and to send them again once it is back.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	db := clusterDB(t)
	bin := questgateBinary(t)
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &tcpProxy{target: u.Host}
	proxy.start(t)
	t.Cleanup(proxy.stop)
	u.Host = proxy.addr
	in := instance(t, bin, clusterEnv(u.String()), "http://127.0.0.1:1")

	waitReady := func(want int) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		last := "no answer"
		for {
			resp, err := http.Get(in.url + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == want {
					return
				}
				last = resp.Status
			} else {
				last = err.Error()
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz never answered %d within a minute (last: %s)", want, last)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitReady(http.StatusOK)
	proxy.stop()
	waitReady(http.StatusServiceUnavailable)
	proxy.start(t)
	waitReady(http.StatusOK)
	if got := fmt.Sprint(get(t, in.url+"/healthz")); got != "200" {
		t.Errorf("/healthz = %s, want 200 throughout", got)
	}
}
