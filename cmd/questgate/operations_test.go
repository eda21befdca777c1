package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// scrape GETs url with the bearer token (none when empty) and returns the
// status and whether the body is questgate's metrics.
func scrape(t *testing.T, url, token string) (int, bool) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, strings.Contains(string(b), "go_goroutines")
}

// TestMetricsAreNotPublicByDefault: without a token or a metrics address,
// /metrics is a 404 on the players' listener; with a token it answers only
// the token; with --metrics-addr it is served there alone.
func TestMetricsAreNotPublicByDefault(t *testing.T) {
	const token = "scrape-token-for-the-test"
	metricsOn := regexp.MustCompile(`metrics are served on (http://\S+/metrics)`)
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		main      map[string]int // token → status on the main listener
		ownListen map[string]int // token → status on --metrics-addr
	}{
		{"default", nil, nil, map[string]int{"": http.StatusNotFound, token: http.StatusNotFound}, nil},
		{"a token", map[string]string{"QUESTGATE_METRICS_TOKEN": token}, nil,
			map[string]int{"": http.StatusUnauthorized, token: http.StatusOK}, nil},
		{"a loopback listener", nil, []string{"--metrics-addr", "127.0.0.1:0"},
			map[string]int{"": http.StatusNotFound}, map[string]int{"": http.StatusOK}},
		{"a listener with a token", map[string]string{"QUESTGATE_METRICS_TOKEN": token}, []string{"--metrics-addr", "127.0.0.1:0"},
			map[string]int{token: http.StatusNotFound}, map[string]int{"": http.StatusUnauthorized, token: http.StatusOK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServerWith(t, serverOptions{env: tt.env}, tt.args...)
			for tok, want := range tt.main {
				if got, metrics := scrape(t, s.url+"/metrics", tok); got != want || metrics != (want == http.StatusOK) {
					t.Errorf("main listener, token %q: %d (metrics shown: %v), want %d", tok, got, metrics, want)
				}
			}
			m := metricsOn.FindStringSubmatch(s.output.String())
			if (m != nil) != (tt.ownListen != nil) {
				t.Fatalf("metrics listener announced: %v, want %v\n%s", m != nil, tt.ownListen != nil, s.output)
			}
			for tok, want := range tt.ownListen {
				if got, metrics := scrape(t, m[1], tok); got != want || metrics != (want == http.StatusOK) {
					t.Errorf("metrics listener, token %q: %d (metrics shown: %v), want %d", tok, got, metrics, want)
				}
			}
		})
	}
}

// TestProfilerIsServedOnTheMetricsListenerOnly: --pprof serves Go's
// profiler beside /metrics, behind its token, and never on the players'
// listener; without --metrics-addr serve refuses to start.
func TestProfilerIsServedOnTheMetricsListenerOnly(t *testing.T) {
	const token = "profile-token-for-the-test"
	s := startServerWith(t, serverOptions{env: map[string]string{"QUESTGATE_METRICS_TOKEN": token}},
		"--metrics-addr", "127.0.0.1:0", "--pprof")
	m := regexp.MustCompile(`metrics are served on (http://\S+)/metrics`).FindStringSubmatch(s.output.String())
	if m == nil {
		t.Fatalf("no metrics listener announced:\n%s", s.output)
	}
	tests := []struct {
		name, url, token string
		want             int
	}{
		{"players' listener", s.url + "/debug/pprof/", token, http.StatusNotFound},
		{"metrics listener without the token", m[1] + "/debug/pprof/", "", http.StatusUnauthorized},
		{"metrics listener with the token", m[1] + "/debug/pprof/", token, http.StatusOK},
		{"a heap profile", m[1] + "/debug/pprof/heap", token, http.StatusOK},
		{"the command line stays private", m[1] + "/debug/pprof/cmdline", token, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := scrape(t, tt.url, tt.token); got != tt.want {
				t.Errorf("GET %s: %d, want %d", tt.url, got, tt.want)
			}
		})
	}
}

// TestServeRefusesAPublicMetricsAddrWithoutToken: a metrics address other
// machines can reach needs a token.
func TestServeRefusesAPublicMetricsAddrWithoutToken(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:9090", "metrics.example:9090"} {
		args := []string{"questgate", "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--metrics-addr", addr}
		err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--metrics-token") {
			t.Errorf("--metrics-addr %s without a token: %v, want a refusal naming --metrics-token", addr, err)
		}
	}
	args := []string{"questgate", "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--pprof"}
	err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--metrics-addr") {
		t.Errorf("--pprof without --metrics-addr: %v, want a refusal naming --metrics-addr", err)
	}
}

// TestKeysRotateWhileServing: `questgate keys rotate`, run twice in a row
// beside a running server on the same data folder, never makes the server
// answer 500: it reads the key file again when it meets a key it lacks.
func TestKeysRotateWhileServing(t *testing.T) {
	dataDir := t.TempDir()
	s := startServerWith(t, serverOptions{dataDir: dataDir})
	status, _, account, token := postAccount(t, s.url)
	if status != http.StatusCreated {
		t.Fatalf("create a sandbox account: %d", status)
	}
	fetch := func() int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, s.url+"/sandbox/2010-04-01/Accounts/"+account+".json", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(account, token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := fetch(); got != http.StatusOK {
		t.Fatalf("before any rotation: %d", got)
	}
	for i := range 2 {
		if _, errOut, err := runCLI(t, nil, "keys", "rotate", "--data-dir", dataDir); err != nil {
			t.Fatalf("keys rotate: %v\n%s", err, errOut)
		}
		if got := fetch(); got != http.StatusOK {
			t.Errorf("after rotation %d: %d, want 200", i+1, got)
		}
	}
}
