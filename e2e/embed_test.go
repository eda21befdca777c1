package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"

	"github.com/questgate/questgate/auth"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/secrets"
	"github.com/questgate/questgate/store"
)

// TestGameReceivesCompletionFromWidget is the embedding platform's
// scenario: the example game (examples/embed), on another site than
// questgate, frames the widget; a HACK sent into the frame (a cross-site
// request, so without questgate's cookies) completes the objective, and the
// widget's completion message reaches the game, which lights its tower.
func TestGameReceivesCompletionFromWidget(t *testing.T) {
	p := newTab(t, tabOptions{})
	game := httptest.NewServer(http.FileServer(http.Dir("../examples/embed")))
	defer game.Close()
	// localhost and 127.0.0.1 are two sites: the game frames questgate
	// across sites, as a real game does.
	gameOrigin := strings.Replace(game.URL, "127.0.0.1", "localhost", 1)
	out, err := exec.Command(suite.bin, "apikey", "create", "--name", "Signal Tower", "--origin", gameOrigin,
		"--data-dir", suite.data).CombinedOutput()
	if err != nil {
		t.Fatalf("apikey create: %v\n%s", err, out)
	}
	keyID := regexp.MustCompile(`kid (key_[a-z0-9]+)\):\s+(\S+)`).FindStringSubmatch(string(out))
	if keyID == nil {
		t.Fatalf("apikey create printed no signing secret:\n%s", out)
	}
	token, err := auth.SignToken(keyID[1], keyID[2], auth.Claims{Name: "Ada", Locale: "en",
		RegisteredClaims: jwt.RegisteredClaims{Subject: "e2e-ada", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
			Audience: jwt.ClaimStrings{suite.srv.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	widget := suite.srv.URL + "/embed/objectives/send-sms?" + url.Values{"token": {token}, "origin": {gameOrigin}}.Encode()
	p.do("open the game", chromedp.Navigate(gameOrigin+"/index.html?widget="+url.QueryEscape(widget)),
		chromedp.WaitVisible(chromedp.CSS("#questgate")))

	account, accountToken := gamePlayerAccount(t, keyID[1], "e2e-ada", "Ada")
	sid := sendSMS(t, account, accountToken, "Light the tower")
	hack := suite.srv.URL + "/embed/objectives/send-sms/hack"
	script := `(function () {
		var f = document.createElement("form");
		f.method = "post"; f.action = ` + jsString(hack) + `; f.target = "questgate";
		[["token", ` + jsString(token) + `], ["origin", ` + jsString(gameOrigin) + `], ["sid", ` + jsString(sid) + `]].forEach(function (kv) {
			var i = document.createElement("input"); i.type = "hidden"; i.name = kv[0]; i.value = kv[1]; f.appendChild(i);
		});
		document.body.appendChild(f); f.submit();
		return true;
	})()`
	run(p, "HACK in the widget", chromedp.Evaluate[bool](script))
	p.do("wait for the game to hear of it", chromedp.WaitVisible(chromedp.CSS(".tower.lit")))
	if got := p.text("read the game's XP", chromedp.CSS("#xp")); got != "100" {
		t.Errorf("the game shows %q XP, want 100", got)
	}
	if got := p.text("read the game's story", chromedp.CSS("#story")); !strings.Contains(got, "send-sms") || !strings.Contains(got, sid) {
		t.Errorf("the game says %q", got)
	}
	// The widget told the game its height with the result shown, and the
	// game sized the frame to it rather than cut the result off at 520px.
	height := run(p, "wait for the frame to take the widget's height", chromedp.Poll[int](
		`(function () { var h = parseInt(document.getElementById("questgate").style.height, 10); return h > 520 ? h : null; })()`,
		chromedp.WithPollingTimeout(stepTimeout)))
	inner := run(p, "measure the frame", chromedp.Evaluate[float64](`document.getElementById("questgate").clientHeight`))
	if int(inner) != height {
		t.Errorf("the frame shows %vpx of the widget, which asked for %d", inner, height)
	}
	// The same SID again: the widget says it was done, the game adds no XP.
	run(p, "HACK the same SID again", chromedp.Evaluate[bool](script))
	p.do("wait for the game to hear it was already done", chromedp.Poll[chromedp.Void](
		`document.getElementById("story").textContent.indexOf("already") >= 0 || null`, chromedp.WithPollingTimeout(stepTimeout)))
	if got := p.text("read the game's XP again", chromedp.CSS("#xp")); got != "100" {
		t.Errorf("after a repeat HACK the game shows %q XP, want still 100", got)
	}
}

// gamePlayerAccount gives a game's player a sandbox account of their own,
// stored as their credentials, and returns it. The widget checks a game's
// player in their stored credentials only, never in an account of the
// server's: without any it answers no_credentials. Nothing in questgate's
// pages stores credentials for a game's player, so the test writes them
// into the running server's database, sealed with its key, as an
// operator's script would.
func gamePlayerAccount(t *testing.T, keyID, playerID, name string) (account, token string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, suite.srv.URL+"/sandbox/accounts", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var acc struct {
		AccountSID string `json:"account_sid"`
		AuthToken  string `json:"auth_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&acc); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create a sandbox account: %s %v", resp.Status, err)
	}
	keys, err := secrets.Source{Dir: suite.data, Getenv: func(string) string { return "" }}.Load()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(suite.data, "questgate.db"), store.WithSecrets(keys.Ring, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	apiPlayer, err := st.APIPlayer(ctx, keyID, playerID, name)
	id := apiPlayer.ID
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveCredentials(ctx, quest.Credentials{PlayerID: id, AccountSID: acc.AccountSID, Secret: acc.AuthToken, Sandbox: true}); err != nil {
		t.Fatal(err)
	}
	return acc.AccountSID, acc.AuthToken
}

// TestWidgetShowsARefusal: a game's player without credentials HACKs in
// the widget and reads why, although the answer is a 422 (the verdict's
// status, as on the objective page and the API): the widget's form is a
// plain post, which a browser shows whatever the status.
func TestWidgetShowsARefusal(t *testing.T) {
	p := newTab(t, tabOptions{})
	out, err := exec.Command(suite.bin, "apikey", "create", "--name", "Refusals", "--data-dir", suite.data).CombinedOutput()
	if err != nil {
		t.Fatalf("apikey create: %v\n%s", err, out)
	}
	key := regexp.MustCompile(`kid (key_[a-z0-9]+)\):\s+(\S+)`).FindStringSubmatch(string(out))
	if key == nil {
		t.Fatalf("apikey create printed no signing secret:\n%s", out)
	}
	token, err := auth.SignToken(key[1], key[2], auth.Claims{Name: "Bob", Locale: "en",
		RegisteredClaims: jwt.RegisteredClaims{Subject: "e2e-bob", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
			Audience: jwt.ClaimStrings{suite.srv.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	p.open("/embed/objectives/send-sms?" + url.Values{"token": {token}}.Encode())
	p.expectHTTPError("/embed/objectives/send-sms/hack#hack-panel")
	if status := p.follow("HACK in the widget", p.pasteSID(unknownSID()), click(p.hackButton())); status != http.StatusUnprocessableEntity {
		t.Errorf("the widget answers %d, want 422 as the API does", status)
	}
	res := run(p, "read the result", chromedp.Evaluate[hackResult](readResultJS))
	p.wantResult("HACK without credentials", res, "failed", "no_credentials")
	// A game's player has no credentials page on questgate: the game must
	// send them, and whoever runs the workshop can say how.
	if got := attr(p, "read the next step", testID("result-next"), "data-next"); got != "instructor" {
		t.Errorf("the next step is %q, want instructor", got)
	}
	if help := p.text("read the help", testID("result-help")); !strings.Contains(help, p.tr("reason.no_credentials.detail.game")) {
		t.Errorf("the help %q is not the game's", help)
	}
}
