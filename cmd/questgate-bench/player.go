package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/questgate/questgate/sandbox"
)

// objective is the objective every bench player plays.
const objective = "send-sms"

// player is one browser: its own cookies (session and CSRF), its own
// sandbox account set as its credentials, and a message SID to paste.
type player struct {
	http    *http.Client
	base    string
	csrf    string
	account sandbox.Account
	sid     string
}

// reasonAttr is where the hack panel states the outcome
// (templates/objective.templ, data-testid="result-reason").
var reasonAttr = regexp.MustCompile(`data-testid="result-reason" data-reason="([a-z_]+)"`)

// setupPlayers makes n players ready to press HACK: a sandbox account and
// a fresh message each, a session on the server (the objective page,
// which also sets the CSRF cookie) and the account saved as their
// credentials. None of it is measured.
func setupPlayers(ctx context.Context, n, concurrency int, up *upstream, base string, rt http.RoundTripper) ([]*player, error) {
	players := make([]*player, n)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	for i := range players {
		g.Go(func() error {
			acc, sid, err := up.newPlayerAccount(ctx, i)
			if err != nil {
				return err
			}
			p, err := newPlayer(ctx, base, rt)
			if err != nil {
				return err
			}
			p.account, p.sid = acc, sid
			if err := p.saveCredentials(ctx); err != nil {
				return err
			}
			players[i] = p
			return nil
		})
	}
	return players, g.Wait()
}

// newPlayer opens the objective page as a new browser does.
func newPlayer(ctx context.Context, base string, rt http.RoundTripper) (*player, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	p := &player{base: base, http: &http.Client{Transport: rt, Jar: jar,
		// A form answers 303: the bench checks it, it need not follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/objectives/"+objective, nil)
	if err != nil {
		return nil, err
	}
	if _, _, err := p.do(req, http.StatusOK); err != nil {
		return nil, err
	}
	u, _ := url.Parse(base)
	for _, c := range jar.Cookies(u) {
		if c.Name == "questgate_csrf" {
			p.csrf = c.Value
		}
	}
	if p.csrf == "" {
		return nil, fmt.Errorf("GET /objectives/%s set no CSRF cookie", objective)
	}
	return p, nil
}

// saveCredentials submits the credentials form with the player's sandbox
// account, which questgate takes for a Twilio account and checks.
func (p *player) saveCredentials(ctx context.Context) error {
	form := url.Values{"account_sid": {p.account.SID}, "secret": {p.account.AuthToken}, "api_key_sid": {""}, "_csrf": {p.csrf}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/credentials", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, _, err = p.do(req, http.StatusSeeOther)
	return err
}

// hack pastes sid and presses HACK, as the page's htmx does, and returns
// the reason code the answer shows.
func (p *player) hack(ctx context.Context, sid string) (string, error) {
	form := url.Values{"sid": {sid}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/objectives/"+objective+"/hack", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", p.csrf)
	status, body, err := p.do(req, 0)
	if err != nil {
		return "", err
	}
	m := reasonAttr.FindSubmatch(body)
	if m == nil {
		return "", fmt.Errorf("HACK answered %d without a result", status)
	}
	if status != http.StatusOK {
		return string(m[1]), fmt.Errorf("HACK answered %d (%s)", status, m[1])
	}
	return string(m[1]), nil
}

// do sends req and reads the whole answer; want 0 takes any status.
func (p *player) do(req *http.Request, want int) (int, []byte, error) {
	res, err := p.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	if want != 0 && res.StatusCode != want {
		return res.StatusCode, body, fmt.Errorf("%s %s answered %d, want %d", req.Method, req.URL.Path, res.StatusCode, want)
	}
	return res.StatusCode, body, nil
}
