package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"

	"github.com/questgate/questgate/apikey"
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
	token, err := apikey.SignToken(keyID[1], keyID[2], apikey.Claims{Name: "Ada", Locale: "en",
		RegisteredClaims: jwt.RegisteredClaims{Subject: "e2e-ada", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
			Audience: jwt.ClaimStrings{suite.srv.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	widget := suite.srv.URL + "/embed/objectives/send-sms?" + url.Values{"token": {token}, "origin": {gameOrigin}}.Encode()
	p.do("open the game", chromedp.Navigate(gameOrigin+"/index.html?widget="+url.QueryEscape(widget)),
		chromedp.WaitVisible(chromedp.CSS("#questgate")))

	sid := sendSMS(t, suite.srv.DemoAccount, suite.srv.DemoToken, "Light the tower")
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
}
