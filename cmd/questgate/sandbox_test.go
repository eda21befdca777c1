package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestSandboxRejectsBadLatency(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"negative", []string{"--latency", "-1s"}, nil, "--latency -1s"},
		{"a typo for milliseconds", []string{"--latency", "10m"}, nil, "--latency 10m0s"},
		{"from the environment", nil, map[string]string{"QUESTGATE_SANDBOX_LATENCY": "-200ms"}, "--latency -200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"questgate", "sandbox", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, tt.args...)
			getenv := func(k string) string { return tt.env[k] }
			err := run(context.Background(), args, getenv, strings.NewReader(""), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// postAccount posts to /sandbox/accounts and returns the status, the
// Twilio error code (0 on success) and the new account's credentials.
func postAccount(t *testing.T, base string) (status, code int, sid, token string) {
	t.Helper()
	resp, err := http.Post(base+"/sandbox/accounts", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Code       int
		AccountSID string `json:"account_sid"`
		AuthToken  string `json:"auth_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, e.Code, e.AccountSID, e.AuthToken
}

// TestServeLimitsTheSandbox: at the defaults one address creates ten
// sandbox accounts an hour, then gets Twilio's 429; an account holds at
// most its quota of messages.
func TestServeLimitsTheSandbox(t *testing.T) {
	s := startServer(t, "--sandbox-messages-per-account", "2")
	var account, token string
	for i := range defaultSandboxAccountsPerHour {
		status, code, sid, secret := postAccount(t, s.url)
		if status != http.StatusCreated {
			t.Fatalf("account %d: %d (code %d)", i+1, status, code)
		}
		account, token = sid, secret
	}
	if status, code, _, _ := postAccount(t, s.url); status != http.StatusTooManyRequests || code != 20429 {
		t.Errorf("account %d: %d (code %d), want 429 (20429)", defaultSandboxAccountsPerHour+1, status, code)
	}

	curlSMS(t, s.url, account, token, "one")
	curlSMS(t, s.url, account, token, "two")
	form := url.Values{"From": {"+15017122661"}, "Body": {"three"}, "To": {"+15558675310"}}
	req, err := http.NewRequest(http.MethodPost, s.url+"/sandbox/2010-04-01/Accounts/"+account+"/Messages.json", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(account, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("third message: %s, want 429", resp.Status)
	}
}

// TestSandboxCommandLimitsAccounts: `questgate sandbox` has the same
// per-address limit on new accounts.
func TestSandboxCommandLimitsAccounts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"questgate", "sandbox", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(),
			"--log-level", "error", "--sandbox-accounts-per-hour", "1"}, func(string) string { return "" },
			strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sandbox stopped with %v", err)
		}
	})
	sc := bufio.NewScanner(pr)
	var base string
	for base == "" && sc.Scan() {
		if m := regexp.MustCompile(`(http://localhost:\d+)/sandbox`).FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if base == "" {
		t.Fatal("the sandbox did not say where it serves")
	}
	for i, want := range []int{http.StatusCreated, http.StatusTooManyRequests} {
		if status, _, _, _ := postAccount(t, base); status != want {
			t.Errorf("account %d: %d, want %d", i+1, status, want)
		}
	}
}
