package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// server is questgate started through run, as `make run` starts it.
type server struct {
	url    string
	output *strings.Builder
	done   chan error
}

// startServer runs `questgate serve --sandbox` on a free port and waits
// until it prints where it serves.
func startServer(t *testing.T, extra ...string) *server {
	t.Helper()
	return startServerWith(t, serverOptions{}, extra...)
}

// serverOptions change how startServerWith runs questgate.
type serverOptions struct {
	dataDir  string            // a temporary folder when empty
	stderr   io.Writer         // where the log goes; discarded when nil
	logLevel string            // "error" when empty
	env      map[string]string // the environment questgate sees
}

func startServerWith(t *testing.T, opt serverOptions, extra ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	if opt.dataDir == "" {
		opt.dataDir = t.TempDir()
	}
	if opt.stderr == nil {
		opt.stderr = io.Discard
	}
	if opt.logLevel == "" {
		opt.logLevel = "error"
	}
	args := append([]string{"questgate", "serve", "--sandbox", "--addr", "127.0.0.1:0",
		"--data-dir", opt.dataDir, "--log-level", opt.logLevel}, extra...)
	s := &server{output: &strings.Builder{}, done: make(chan error, 1)}
	go func() {
		err := run(ctx, args, func(k string) string { return opt.env[k] }, strings.NewReader(""), pw, opt.stderr)
		pw.Close()
		s.done <- err
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	serving := regexp.MustCompile(`serving on (http://\S+)`)
	deadline := time.After(30 * time.Second)
	for s.url == "" || !strings.Contains(s.output.String(), "press HACK") {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("server stopped: %v\n%s", <-s.done, s.output)
			}
			s.output.WriteString(line + "\n")
			if m := serving.FindStringSubmatch(line); m != nil {
				s.url = m[1]
			}
		case <-deadline:
			t.Fatalf("server did not start:\n%s", s.output)
		}
	}
	go func() {
		for range lines {
		}
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-s.done; err != nil {
			t.Errorf("server stopped with %v", err)
		}
	})
	return s
}

// browser is a player's browser: it keeps cookies.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

// page fetches a page and parses it.
func page(t *testing.T, c *http.Client, req *http.Request) (*goquery.Document, *http.Response) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc, resp
}

// postForm sends form to u as a browser sends a form of the page it shows
// (from): with the CSRF token the page holds in the form's hidden field.
func postForm(t *testing.T, c *http.Client, from *goquery.Document, u string, form url.Values) (*goquery.Document, *http.Response) {
	t.Helper()
	token, ok := from.Find(`form input[name="_csrf"]`).Attr("value")
	if !ok {
		t.Fatalf("the page has no form with a CSRF token:\n%s", from.Text())
	}
	f := url.Values{"_csrf": {token}}
	for k, v := range form {
		f[k] = v
	}
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(f.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// As a browser says of its own page's form: a page a visitor only
	// read made no session, so its token is bound to nothing.
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return page(t, c, req)
}

func getPage(t *testing.T, c *http.Client, u string) *goquery.Document {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc, resp := page(t, c, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	return doc
}

// hack pastes sid on the send-sms page and presses HACK, without JavaScript.
func hack(t *testing.T, c *http.Client, base, sid string) (state, reason string, doc *goquery.Document) {
	t.Helper()
	objective := getPage(t, c, base+"/objectives/send-sms")
	doc, resp := postForm(t, c, objective, base+"/objectives/send-sms/hack", url.Values{"sid": {sid}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HACK: %s", resp.Status)
	}
	state = strings.TrimSpace(doc.Find(`[data-testid="hack-state"]`).First().Text())
	reason, _ = doc.Find(`[data-testid="result-reason"]`).Attr("data-reason")
	return state, reason, doc
}

// sandboxAccount creates a sandbox account through the public endpoint.
func sandboxAccount(t *testing.T, base string) (sid, token string) {
	t.Helper()
	resp, err := http.Post(base+"/sandbox/accounts", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var acc struct {
		AccountSID string `json:"account_sid"`
		AuthToken  string `json:"auth_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&acc); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create sandbox account: %s %v", resp.Status, err)
	}
	return acc.AccountSID, acc.AuthToken
}

// curlSMS sends a message the way the objective's curl command does.
func curlSMS(t *testing.T, base, account, token, body string) string {
	t.Helper()
	form := url.Values{"From": {"+15017122661"}, "Body": {body}, "To": {"+15558675310"}}
	req, err := http.NewRequest(http.MethodPost, base+"/sandbox/2010-04-01/Accounts/"+account+"/Messages.json", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(account, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var msg struct{ Sid string }
	if err := json.NewDecoder(resp.Body).Decode(&msg); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("send message: %s %v", resp.Status, err)
	}
	return msg.Sid
}

// rewrite sends twilio-go's requests to the sandbox instead of api.twilio.com.
type rewrite struct{ base *url.URL }

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = r.base.Scheme, r.base.Host
	req.URL.Path = r.base.Path + req.URL.Path
	req.Host = r.base.Host
	return http.DefaultTransport.RoundTrip(req)
}

// ownAccount opens the objective the start-up help names, as a newcomer
// does, and reads the sandbox account the page's curl example uses: the
// player's own, made on this first visit.
func ownAccount(t *testing.T, c *http.Client, s *server) (sid, token string) {
	t.Helper()
	u := regexp.MustCompile(regexp.QuoteMeta(s.url) + `/objectives/[a-z-]+`).FindString(s.output.String())
	if u == "" {
		t.Fatalf("the start-up help names no objective page:\n%s", s.output)
	}
	code := getPage(t, c, u).Find(`[data-testid="example-curl"]`).Text()
	m := regexp.MustCompile(`-u '(AC[0-9a-f]{32}):([0-9a-f]{32})'`).FindStringSubmatch(code)
	if m == nil {
		t.Fatalf("the objective page's curl example uses no sandbox account:\n%s", code)
	}
	return m[1], m[2]
}

func TestPlayerWinsSendSMSEndToEnd(t *testing.T) {
	s := startServer(t)

	// A newcomer follows the start-up help: the objective page shows
	// commands with their own sandbox account, and the SID one of them
	// gives wins.
	newcomer := browser(t)
	account, token := ownAccount(t, newcomer, s)
	newSID := curlSMS(t, s.url, account, token, "My very first message")
	if state, reason, doc := hack(t, newcomer, s.url, newSID); state != "SUCCESS" {
		t.Fatalf("newcomer's SID: state %q reason %q\n%s", state, reason, doc.Text())
	} else if body := doc.Find(`[data-testid="message-body"]`).Text(); !strings.Contains(body, "My very first message") {
		t.Errorf("result shows body %q", body)
	}

	// Ada uses her own sandbox account.
	ada := browser(t)
	adaAccount, adaToken := sandboxAccount(t, s.url)
	form := getPage(t, ada, s.url+"/credentials")
	if _, resp := postForm(t, ada, form, s.url+"/credentials", url.Values{"account_sid": {adaAccount}, "secret": {adaToken}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("save credentials: %s", resp.Status)
	}
	sid := curlSMS(t, s.url, adaAccount, adaToken, "Ahoy, I did it myself")
	tests := []struct {
		name       string
		player     *http.Client
		sid        string
		wantState  string
		wantReason string
	}{
		{"first HACK wins", ada, "  \"" + sid + "\" ", "SUCCESS", "awarded"},
		{"same SID again", ada, sid, "SUCCESS", "already_awarded"},
		{"Account SID pasted", ada, adaAccount, "FAILED", "wrong_resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, reason, doc := hack(t, tt.player, s.url, tt.sid)
			if state != tt.wantState || reason != tt.wantReason {
				t.Fatalf("state %q reason %q, want %q %q\n%s", state, reason, tt.wantState, tt.wantReason, doc.Find("main").Text())
			}
		})
	}

	// Bob has his own account; Ada's SID is not in it.
	bob := browser(t)
	bobAccount, bobToken := sandboxAccount(t, s.url)
	form = getPage(t, bob, s.url+"/credentials")
	postForm(t, bob, form, s.url+"/credentials", url.Values{"account_sid": {bobAccount}, "secret": {bobToken}})
	if state, reason, _ := hack(t, bob, s.url, sid); state != "FAILED" || reason != "not_found" {
		t.Fatalf("Bob with Ada's SID: state %q reason %q, want FAILED not_found", state, reason)
	}

	// Bob sends his message with the official twilio-go client.
	base, _ := url.Parse(s.url + "/sandbox")
	tc := twilio.NewRestClientWithParams(twilio.ClientParams{Client: &client.Client{
		Credentials: client.NewCredentials(bobAccount, bobToken),
		HTTPClient:  &http.Client{Transport: rewrite{base}},
	}, AccountSid: bobAccount})
	tc.RequestHandler.Client.(*client.Client).SetAccountSid(bobAccount)
	msg, err := tc.Api.CreateMessage((&openapi.CreateMessageParams{}).
		SetTo("+15558675310").SetFrom("+15017122661").SetBody("Sent with twilio-go"))
	if err != nil {
		t.Fatalf("twilio-go CreateMessage through the sandbox: %v", err)
	}
	if state, reason, _ := hack(t, bob, s.url, *msg.Sid); state != "SUCCESS" {
		t.Fatalf("Bob's twilio-go SID: state %q reason %q", state, reason)
	}
}
