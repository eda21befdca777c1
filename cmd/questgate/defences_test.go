package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestServeRejectsBadDefenceSettings(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"a proxy that is no network", []string{"--trusted-proxies", "10.0.0/8"}, nil, `"10.0.0/8" is neither a CIDR`},
		{"one bad proxy among good ones", []string{"--trusted-proxies", "10.0.0.0/8, proxy.example"}, nil, `"proxy.example"`},
		{"a bad proxy from the environment", nil, map[string]string{"QUESTGATE_TRUSTED_PROXIES": "everyone"}, `"everyone"`},
		{"negative attempts", []string{"--attempts-per-minute", "-1"}, nil, "--attempts-per-minute -1"},
		{"negative requests", nil, map[string]string{"QUESTGATE_IP_REQUESTS_PER_MINUTE": "-5"}, "--ip-requests-per-minute -5"},
		{"a tiny body limit", []string{"--max-body-bytes", "10"}, nil, "--max-body-bytes 10"},
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

func TestParseTrustedProxies(t *testing.T) {
	nets, err := parseTrustedProxies(" 10.0.0.0/8 ,192.0.2.10,, 2001:db8::/32, 10.1.2.3/16")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range nets {
		got = append(got, n.String())
	}
	if want := "10.0.0.0/8 192.0.2.10/32 2001:db8::/32 10.1.0.0/16"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
	if nets, err := parseTrustedProxies(""); err != nil || len(nets) != 0 {
		t.Errorf("empty: %v %v", nets, err)
	}
}

// TestServeDefendsThePages runs serve with a small failure budget: a form
// without its token is refused, every page carries the policy, and a
// player who keeps failing is asked to wait.
func TestServeDefendsThePages(t *testing.T) {
	s := startServer(t, "--attempts-per-minute", "2")
	c := browser(t)
	doc := getPage(t, c, s.url+"/objectives/send-sms")

	resp, err := c.PostForm(s.url+"/objectives/send-sms/hack", url.Values{"sid": {"SM123"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a form without its token: %s, want 403", resp.Status)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}

	// An Account SID is not a message SID: the player's mistake.
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
		page, resp := postForm(t, c, doc, s.url+"/objectives/send-sms/hack", url.Values{"sid": {"AC" + strings.Repeat("0", 32)}})
		if resp.StatusCode != want {
			t.Fatalf("attempt %d: %s, want %d", i+1, resp.Status, want)
		}
		if want == http.StatusTooManyRequests {
			if reason, _ := page.Find(`[data-testid="result-reason"]`).Attr("data-reason"); reason != "rate_limited" || resp.Header.Get("Retry-After") != "30" {
				t.Errorf("refused attempt: reason %q, Retry-After %q", reason, resp.Header.Get("Retry-After"))
			}
		}
	}
}

func TestWriteTimeoutCoversTwilio(t *testing.T) {
	for twilio, want := range map[time.Duration]time.Duration{0: time.Minute, 15 * time.Second: time.Minute, 90 * time.Second: 2 * time.Minute} {
		if got := writeTimeout(twilio); got != want {
			t.Errorf("writeTimeout(%v) = %v, want %v", twilio, got, want)
		}
	}
}
