package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// curlExample reads the curl command an objective page shows: the URL,
// the parameters it sends and its -u credentials.
func curlExample(t *testing.T, doc *goquery.Document) (endpoint string, form url.Values, user, pass string) {
	t.Helper()
	code := doc.Find(`[data-testid="example-curl"]`).Text()
	m := regexp.MustCompile(`curl -X POST '([^']+)'`).FindStringSubmatch(code)
	u := regexp.MustCompile(`-u '([^':]+):([^']+)'`).FindStringSubmatch(code)
	if m == nil || u == nil {
		t.Fatalf("no curl command in the example:\n%s", code)
	}
	form = url.Values{}
	for _, p := range regexp.MustCompile(`--data-urlencode '([A-Za-z]+)=([^']*)'`).FindAllStringSubmatch(code, -1) {
		form.Add(p[1], p[2])
	}
	return m[1], form, u[1], u[2]
}

// send posts form to the sandbox as curl does and returns the message.
func send(t *testing.T, endpoint string, form url.Values, user, pass string) (sid, to, from string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var msg struct{ Sid, To, From string }
	if err := json.NewDecoder(resp.Body).Decode(&msg); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("send %v: %s %v", form, resp.Status, err)
	}
	return msg.Sid, msg.To, msg.From
}

// TestPlayerWinsSendWhatsAppEndToEnd: a player who holds send-sms opens
// send-whatsapp, runs its curl example (with their own text) against the
// sandbox and wins with the SID; a plain SMS is refused first, with the
// reason and its help in the player's language.
func TestPlayerWinsSendWhatsAppEndToEnd(t *testing.T) {
	s := startServer(t)
	player := browser(t)
	account, token := ownAccount(t, player, s)
	if state, reason, _ := hack(t, player, s.url, curlSMS(t, s.url, account, token, "My first SMS")); state != "SUCCESS" {
		t.Fatalf("send-sms: state %q reason %q", state, reason)
	}

	opened := getPage(t, player, s.url+"/objectives/send-whatsapp")
	endpoint, form, user, pass := curlExample(t, opened)
	if form.Get("To") != "whatsapp:+15558675310" || form.Get("From") != "whatsapp:+14155238886" || user != account {
		t.Fatalf("the example sends To %q From %q as %s, want the WhatsApp sandbox addresses as %s", form.Get("To"), form.Get("From"), user, account)
	}
	hackWhatsApp := func(sid string) (state, reason, help string) {
		t.Helper()
		objective := getPage(t, player, s.url+"/objectives/send-whatsapp")
		doc, resp := postForm(t, player, objective, s.url+"/objectives/send-whatsapp/hack", url.Values{"sid": {sid}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("HACK: %s", resp.Status)
		}
		state = strings.TrimSpace(doc.Find(`[data-testid="hack-state"]`).First().Text())
		reason, _ = doc.Find(`[data-testid="result-reason"]`).Attr("data-reason")
		return state, reason, doc.Find(`[data-testid="result-help"]`).Text()
	}

	sms := url.Values{"To": {"+15558675310"}, "From": {"+15017122661"}, "Body": {"Just a plain SMS"}}
	smsSID, _, _ := send(t, endpoint, sms, user, pass)
	state, reason, help := hackWhatsApp(smsSID)
	if state != "FAILED" || reason != "wrong_channel" || !strings.Contains(help, "not sent on WhatsApp") || !strings.Contains(help, "whatsapp:") {
		t.Fatalf("plain SMS: state %q reason %q help %q, want FAILED wrong_channel saying how to send on WhatsApp", state, reason, help)
	}

	form.Set("Body", "Ahoy from my own WhatsApp code")
	sid, to, from := send(t, endpoint, form, user, pass)
	if to != "whatsapp:+15558675310" || from != "whatsapp:+14155238886" {
		t.Errorf("the sandbox answered to %q from %q, want the whatsapp: addresses kept", to, from)
	}
	if state, reason, help := hackWhatsApp(sid); state != "SUCCESS" || reason != "awarded" || !strings.HasPrefix(help, "Twilio confirmed your WhatsApp message") {
		t.Fatalf("WhatsApp message: state %q reason %q help %q, want SUCCESS awarded", state, reason, help)
	}
}
