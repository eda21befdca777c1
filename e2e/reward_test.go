package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/questgate/questgate/locale"
)

// rewardScreens are the sizes the success block is looked at.
var rewardScreens = []viewport{
	{name: "1280x720", width: 1280, height: 720},
	{name: "390x844", width: 390, height: 844, mobile: true},
}

// callTwiML is what the test's call says: five words at the sandbox's
// pace of 150 a minute, and a second to answer, make a 3 second call.
const callTwiML = "<Response><Say>Ahoy from my own code</Say></Response>"

// threeSeconds is the call's duration as the success block words it.
var threeSeconds = map[string]string{"en": "3 seconds", "fr": "3 secondes"}

// waitForCall waits until the sandbox says call sid has ended: its
// duration is known only then. The sandbox moves a call on by one step
// (a second) at a time; the deadline only bounds a hang.
func waitForCall(t *testing.T, account, token, sid string) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet,
			suite.srv.URL+"/sandbox/2010-04-01/Accounts/"+account+"/Calls/"+sid+".json", nil)
		req.SetBasicAuth(account, token)
		resp, err := http.DefaultClient.Do(req)
		var call struct {
			Status string `json:"status"`
		}
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&call)
			resp.Body.Close()
		}
		cancel()
		if err != nil {
			t.Fatalf("fetch call %s: %v", sid, err)
		}
		if call.Status == "completed" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("call %s is still %s", sid, call.Status)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// showReward scrolls the success block's line id into view and saves
// what the window shows as reward/<name>.png.
func (p *tab) showReward(name, id string) {
	p.t.Helper()
	p.do("scroll "+id+" into view", chromedp.ScrollIntoView(testID(id), chromedp.NodeVisible))
	png := run(p, name+": screenshot", chromedp.CaptureScreenshot())
	path := filepath.Join(suite.artifacts, "reward", fileName(name)+".png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
		_ = os.WriteFile(path, png, 0o644)
	}
}

// pictureJS says how the success block's pictures loaded: how many there
// are, and how many a browser decoded (naturalWidth is 0 for a picture
// that failed, which shows its alternative text instead).
const pictureJS = `new Promise(done => {
	const imgs = [...document.querySelectorAll('[data-testid="result-picture"]')];
	Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; }))).then(() =>
		done({count: imgs.length, loaded: imgs.filter(i => i.naturalWidth > 0).length, alt: imgs.length ? imgs[0].alt : ""}));
})`

// pictures is what pictureJS reports.
type pictures struct {
	Count  int    `json:"count"`
	Loaded int    `json:"loaded"`
	Alt    string `json:"alt"`
}

// TestRewardShowsWhatWasVerified wins a call and an MMS with the
// player's own sandbox account, in English and French, on a laptop and a
// phone: the call's success block says how long it lasted, the MMS's
// shows its picture (fetched again by questgate from the player's
// account), on the hack panel and on the attempt's own page.
func TestRewardShowsWhatWasVerified(t *testing.T) {
	for _, lang := range locale.Supported {
		for _, screen := range rewardScreens {
			t.Run(lang+"/"+screen.name, func(t *testing.T) {
				p := newTab(t, tabOptions{lang: lang, screen: screen})
				account, token := p.ownAccount()
				name := lang + "-" + screen.name
				acc := "/2010-04-01/Accounts/" + account
				res := p.hack("send-sms", p.pasteSID(sendSMS(t, account, token, "e2e reward "+name)), click(p.hackButton()))
				p.wantResult("send-sms", res, "success", "awarded")

				p.open("/objectives/make-call")
				call := sandboxPost(t, account, token, acc+"/Calls.json", url.Values{"From": {"+15017122661"}, "To": {"+15558675310"},
					"Twiml": {callTwiML}}, http.StatusCreated)["sid"].(string)
				waitForCall(t, account, token, call)
				res = p.hack("make-call", p.pasteInto(p.tr("hack.label_call"), call), click(p.hackButton()))
				p.wantResult("make-call", res, "success", "awarded")
				want := p.tr("reward.call_lasted", map[string]any{"Duration": threeSeconds[lang]})
				if got := p.text("read the call's duration", testID("result-duration")); got != want {
					t.Errorf("the call's success says %q, want %q", got, want)
				}
				p.showReward(name+"-call", "result-duration")

				p.open("/objectives/send-mms")
				mms := sandboxPost(t, account, token, acc+"/Messages.json", url.Values{"From": {"+15017122661"}, "To": {"+15558675310"},
					"Body": {"An owl for " + name}, "MediaUrl": {"https://demo.twilio.com/owl.png"}}, http.StatusCreated)["sid"].(string)
				res = p.hack("send-mms", p.pasteSID(mms), click(p.hackButton()))
				p.wantResult("send-mms", res, "success", "awarded")
				got := run(p, "wait for the pictures", chromedp.Evaluate[pictures](pictureJS, chromedp.EvalAwaitPromise))
				wantAlt := p.tr("reward.picture_alt", map[string]any{"N": 1, "Count": 1, "Type": "image/png"})
				if got.Count != 1 || got.Loaded != 1 || got.Alt != wantAlt {
					t.Errorf("the MMS's success shows %d pictures, %d loaded, alt %q; want 1 loaded, alt %q", got.Count, got.Loaded, got.Alt, wantAlt)
				}
				p.showReward(name+"-mms", "result-media")

				// The attempt's own page shows the same.
				p.follow("open the winning attempt", click(chromedp.CSS(`[data-testid="attempt"][data-reason="awarded"] a`)))
				got = run(p, "wait for the pictures on the attempt's page", chromedp.Evaluate[pictures](pictureJS, chromedp.EvalAwaitPromise))
				if got.Count != 1 || got.Loaded != 1 {
					t.Errorf("the attempt's page shows %d pictures, %d loaded; want 1", got.Count, got.Loaded)
				}
				p.showReward(name+"-mms-attempt", "result-media")
			})
		}
	}
}
