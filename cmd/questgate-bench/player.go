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

// player is one browser: its own session cookie and CSRF token, its own
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
// which also gives the CSRF token) and the account saved as their
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

// csrfMeta is where a page gives its CSRF token (templates/layout.templ).
var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`)

// newPlayer opens the objective page as a new browser does.
func newPlayer(ctx context.Context, base string, rt http.RoundTripper) (*player, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	p := &player{base: base, http: &http.Client{Transport: rt, Jar: jar,
		// A form answers 303: the bench checks it, it need not follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	return p, p.openObjective(ctx)
}

// openObjective opens the objective page and reads the CSRF token of the
// player's session from it.
func (p *player) openObjective(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/objectives/"+objective, nil)
	if err != nil {
		return err
	}
	_, body, err := p.do(req, http.StatusOK)
	if err != nil {
		return err
	}
	m := csrfMeta.FindSubmatch(body)
	if m == nil {
		return fmt.Errorf("GET /objectives/%s gave no CSRF token", objective)
	}
	p.csrf = string(m[1])
	return nil
}

// saveCredentials submits the credentials form with the player's sandbox
// account, which questgate takes for a Twilio account and checks, then
// opens the objective again as the redirect does: saving renews the
// session, and with it the CSRF token.
func (p *player) saveCredentials(ctx context.Context) error {
	form := url.Values{"account_sid": {p.account.SID}, "secret": {p.account.AuthToken}, "api_key_sid": {""}, "_csrf": {p.csrf}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/credentials", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, _, err = p.do(req, http.StatusSeeOther); err != nil {
		return err
	}
	return p.openObjective(ctx)
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
