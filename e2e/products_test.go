package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// sandboxPost sends form to path under the sandbox with the player's
// account, as their curl command does, and returns the answer's fields;
// the status must be want.
func sandboxPost(t *testing.T, account, token, path string, form url.Values, want int) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, suite.srv.URL+"/sandbox"+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(account, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != want {
		t.Fatalf("POST %s: %s, %v", path, resp.Status, out)
	}
	return out
}

// pasteInto replaces what the hack field labelled label holds with text.
func (p *tab) pasteInto(label, text string) chromedp.Action[chromedp.Void] {
	field := byLabel(label)
	return chromedp.Steps(chromedp.Focus(field, chromedp.NodeVisible), selectAll(), paste(field, text))
}

// registerNumber registers number on the credentials page, as a player
// types it into the form.
func (p *tab) registerNumber(number string) {
	p.t.Helper()
	p.follow("open the credentials page from the navigation", click(testID("nav-credentials")))
	field := byLabel(p.tr("numbers.field"))
	p.do("type the number", chromedp.Focus(field, chromedp.NodeVisible), paste(field, number))
	p.follow("press "+p.tr("numbers.add"), click(buttonNamed("numbers", p.tr("numbers.add"))))
}

// TestProductObjectivesInTheBrowser plays the three objectives beyond
// messages with a sandbox account, in English and French, on a desktop
// and a phone: a number wired to a webhook (pasted as the number itself),
// a Messaging Service with that number, and a verification whose code the
// player reads on the sandbox phone page. Each HACK awards.
func TestProductObjectivesInTheBrowser(t *testing.T) {
	for _, o := range []tabOptions{{lang: "en", screen: desktop}, {lang: "fr", screen: phone}} {
		t.Run(o.lang+"-"+o.screen.name, func(t *testing.T) {
			p := newTab(t, o)
			p.open("/")
			account, token := p.useSandboxAccount()
			const mine = "+15558675310"
			p.registerNumber(mine)
			acc := "/2010-04-01/Accounts/" + account

			p.openObjective("send-sms")
			res := p.hack("send-sms", p.pasteSID(sendSMS(t, account, token, "Ahoy, products")), click(p.hackButton()))
			p.wantResult("send-sms", res, "success", "awarded")

			p.openObjective("wire-number")
			sandboxPost(t, account, token, acc+"/IncomingPhoneNumbers.json",
				url.Values{"PhoneNumber": {"+15555550100"}, "SmsUrl": {"https://example.com/sms"}}, http.StatusCreated)
			label := p.tr("kind.phone_number.label")
			res = p.hack("wire-number", p.pasteInto(label, "+15555550100"), click(p.hackButton()))
			p.wantResult("wire-number", res, "success", "awarded")
			p.snapshot("wire-number")

			p.openObjective("messaging-service")
			mg := sandboxPost(t, account, token, "/messaging/v1/Services", url.Values{"FriendlyName": {"Quest"}}, http.StatusCreated)["sid"].(string)
			res = p.hack("messaging-service without a sender", p.pasteInto(p.tr("kind.messaging_service.label"), mg), click(p.hackButton()))
			p.wantResult("messaging-service without a sender", res, "failed", "no_sender")
			pn := sandboxPost(t, account, token, acc+"/IncomingPhoneNumbers.json", url.Values{"AreaCode": {"555"}}, http.StatusCreated)["sid"].(string)
			sandboxPost(t, account, token, "/messaging/v1/Services/"+mg+"/PhoneNumbers", url.Values{"PhoneNumberSid": {pn}}, http.StatusCreated)
			res = p.hack("messaging-service", p.pasteInto(p.tr("kind.messaging_service.label"), mg), click(p.hackButton()))
			p.wantResult("messaging-service", res, "success", "awarded")

			p.openObjective("verify-phone")
			va := sandboxPost(t, account, token, "/verify/v2/Services", url.Values{"FriendlyName": {"Quest"}}, http.StatusCreated)["sid"].(string)
			ve := sandboxPost(t, account, token, "/verify/v2/Services/"+va+"/Verifications",
				url.Values{"To": {mine}, "Channel": {"sms"}}, http.StatusCreated)["sid"].(string)
			res = p.hack("verify-phone before the check", p.pasteInto(p.tr("kind.verification.label"), ve), click(p.hackButton()))
			p.wantResult("verify-phone before the check", res, "failed", "wrong_status")

			// The code arrives on the sandbox phone page, which the
			// instructions link to.
			p.follow("open the sandbox phone from the instructions", click(chromedp.CSS(`[data-testid="instructions"] a[href="/phone"]`)))
			body := p.text("read the text", testID("phone-body"))
			p.snapshot("phone")
			code := regexp.MustCompile(`[0-9]{6}`).FindString(body)
			if code == "" {
				t.Fatalf("the sandbox phone shows %q, with no code", body)
			}
			check := sandboxPost(t, account, token, "/verify/v2/Services/"+va+"/VerificationCheck",
				url.Values{"To": {mine}, "Code": {code}}, http.StatusOK)
			if check["status"] != "approved" {
				t.Fatalf("VerificationCheck answered %v", check)
			}
			p.openObjective("verify-phone")
			res = p.hack("verify-phone", p.pasteInto(p.tr("kind.verification.label"), ve), click(p.hackButton()))
			p.wantResult("verify-phone", res, "success", "awarded")
			p.snapshot("verify-phone")
		})
	}
}

// snapshot saves a screenshot of the page for a person to look at.
func (p *tab) snapshot(name string) {
	p.t.Helper()
	path := filepath.Join(suite.artifacts, "products", p.opts.lang+"-"+p.opts.screen.name+"-"+name+".png")
	if err := p.saveScreenshot(path); err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
	}
}
