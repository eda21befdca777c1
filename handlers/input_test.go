package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/questgate/questgate/quest"
)

// markupPayloads are what a player or a message body might hold to inject
// markup or script into a page.
var markupPayloads = []string{
	`<script>alert("pwned")</script>`,
	`<img src=x onerror=alert(1)>`,
	`"><svg onload=alert(1)>`,
	`</code></dd><script src="https://evil.example/x.js"></script>`,
	`<a href="javascript:alert(1)">click</a>`,
	`{{.SID}} {{template "x"}} <!-- -->`,
	`&lt;script&gt; &amp; ' " `,
}

// checkInert fails when payload became markup on the page: an element or
// attribute it would create, or a script without src.
func checkInert(t *testing.T, where string, p page) {
	t.Helper()
	if n := p.doc.Find(`img[src="x"], svg, a[href^="javascript"], script[src^="https:"]`).Length(); n > 0 {
		t.Errorf("%s: the payload created %d elements", where, n)
	}
	p.doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if _, ok := s.Attr("src"); !ok {
			t.Errorf("%s: an inline script: %q", where, s.Text())
		}
	})
	checkNoInlineCode(t, p.doc)
}

// TestMessageBodyIsInert shows a message body holding markup on every page
// that shows it: the result of a plain and an htmx HACK, and the repeat
// answered from the database. It appears as the text it is.
func TestMessageBodyIsInert(t *testing.T) {
	e := newEnv(t, options{})
	for i, payload := range markupPayloads {
		t.Run(payload, func(t *testing.T) {
			e.twilio.verify = passing(payload)
			// A SID per payload: the first awards, the others are shown
			// as already awarded, each with its own body.
			sid := fmt.Sprintf("SM%032x", i+1)
			pages := map[string]page{
				"result":      e.post("/objectives/send-sms/hack", url.Values{"sid": {sid}}),
				"htmx repeat": e.post("/objectives/send-sms/hack", url.Values{"sid": {sid}}, htmx...),
				"repeat":      e.post("/objectives/send-sms/hack", url.Values{"sid": {sid}}),
			}
			for where, p := range pages {
				if p.status != http.StatusOK {
					t.Fatalf("%s: status %d", where, p.status)
				}
				if got := p.find("message-body").Text(); got != payload {
					t.Errorf("%s: body shown as %q, want %q", where, got, payload)
				}
				checkInert(t, where, p)
			}
		})
	}
}

// TestPastedSIDIsInert pastes markup into the SID field: the field keeps
// it as typed, the help and the attempts list (now and after a reload)
// show it as text.
func TestPastedSIDIsInert(t *testing.T) {
	e := newEnv(t, options{})
	for _, payload := range markupPayloads {
		t.Run(payload, func(t *testing.T) {
			// The real verifier's answer to anything that is not a SID.
			e.twilio.verify = rejecting(quest.InvalidSID)
			pages := map[string]page{
				"result": e.post("/objectives/send-sms/hack", url.Values{"sid": {payload}}),
				"htmx":   e.post("/objectives/send-sms/hack", url.Values{"sid": {payload}}, htmx...),
			}
			e.twilio.verify = rejecting(quest.NotFound) // its help quotes the SID
			pages["quoted in help"] = e.post("/objectives/send-sms/hack", url.Values{"sid": {payload}})
			pages["reload"] = e.get("/objectives/send-sms")
			for where, p := range pages {
				checkInert(t, where, p)
				if where != "reload" {
					if got, _ := p.doc.Find("#sid").Attr("value"); got != payload {
						t.Errorf("%s: the field holds %q, want %q", where, got, payload)
					}
				}
				shown := quest.Normalize(payload)
				if got := p.find("attempt").First().Find("code").Text(); !strings.HasPrefix(shown, strings.TrimSuffix(got, "…")) || got == "" {
					t.Errorf("%s: attempts list shows %q, want %q", where, got, shown)
				}
			}
			// Pages shorten what they echo to 48 characters.
			quoted := []rune(strings.Join(strings.Fields(quest.Normalize(payload)), " "))
			if help := pages["quoted in help"].text("result-help"); !strings.Contains(help, string(quoted[:min(len(quoted), 40)])) {
				t.Errorf("the help does not quote the SID as text: %q", help)
			}
		})
	}
}

// sqlPayloads hold SQL metacharacters. Each survives quest.Normalize
// unchanged (no quote, space or period at its ends), so what the page
// shows must be exactly what was typed.
var sqlPayloads = []string{
	`SM1' OR '1'='1`,
	`x'); DROP TABLE submissions; --`,
	`Robert'); DROP TABLE players;--`,
	`a"b\c%_;*`,
	`1; SELECT * FROM credentials--`,
	`SM0\'; UPDATE awards SET xp=9999--`,
}

// TestSIDWithSQLIsStoredVerbatim pastes SQL into the SID field: it is
// recorded and shown exactly as typed, and the database still works.
func TestSIDWithSQLIsStoredVerbatim(t *testing.T) {
	e := newEnv(t, options{})
	e.twilio.verify = rejecting(quest.InvalidSID)
	for _, payload := range sqlPayloads {
		if quest.Normalize(payload) != payload {
			t.Fatalf("payload %q changes when normalised: pick another", payload)
		}
		p := e.post("/objectives/send-sms/hack", url.Values{"sid": {payload}})
		if p.status != http.StatusOK {
			t.Fatalf("%q: status %d", payload, p.status)
		}
		if got, _ := p.doc.Find("#sid").Attr("value"); got != payload {
			t.Errorf("field %q, want %q", got, payload)
		}
		if got := p.find("attempt").First().Find("code").Text(); got != payload {
			t.Errorf("attempts list %q, want %q", got, payload)
		}
		subs := e.submissions()
		if len(subs) == 0 || subs[0].RawSID != payload || subs[0].SID != payload {
			t.Errorf("recorded %+v, want raw and SID %q", subs[0], payload)
		}
	}
	if n := len(e.submissions()); n != len(sqlPayloads) {
		t.Errorf("%d attempts recorded, want %d", n, len(sqlPayloads))
	}
	// Every table still answers.
	e.twilio.verify = passing("still here")
	if p := e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}); p.attr("result-reason", "data-reason") != "awarded" {
		t.Errorf("after the payloads: %s", p.attr("result-reason", "data-reason"))
	}
}

// TestCredentialFieldsWithSQL types SQL into every credentials field: the
// form says what is wrong, shows the SIDs as typed (never the secret), and
// stores nothing.
func TestCredentialFieldsWithSQL(t *testing.T) {
	keySID := "SK" + strings.Repeat("d4", 16)
	for _, field := range []string{quest.FieldAccountSID, quest.FieldAPIKeySID, quest.FieldSecret} {
		t.Run(field, func(t *testing.T) {
			e := newEnv(t, options{})
			for _, payload := range sqlPayloads {
				form := url.Values{"account_sid": {testAccountSID}, "api_key_sid": {keySID}, "secret": {testSecret}}
				form.Set(field, payload)
				p := e.post("/credentials", form, accept("fr")...)
				if p.status != http.StatusUnprocessableEntity {
					t.Fatalf("%q: status %d", payload, p.status)
				}
				if p.text("error-"+field) == "" {
					t.Errorf("%q: no error next to %s", payload, field)
				}
				for _, f := range []string{quest.FieldAccountSID, quest.FieldAPIKeySID} {
					if got, _ := p.doc.Find("#" + f).Attr("value"); got != form.Get(f) {
						t.Errorf("%s shown as %q, want %q", f, got, form.Get(f))
					}
				}
				if got, _ := p.doc.Find("#secret").Attr("value"); got != "" {
					t.Errorf("the secret was echoed: %q", got)
				}
			}
			if c := e.storedCredentials(); c != nil {
				t.Errorf("stored %+v", c)
			}
		})
	}
	// The tables are intact: valid credentials still save.
	e := newEnv(t, options{})
	e.twilio.check = func(context.Context, quest.Credentials) error { return nil }
	if p := e.post("/credentials", url.Values{"account_sid": {testAccountSID}, "secret": {testSecret}}); p.status != http.StatusSeeOther {
		t.Errorf("valid credentials: status %d", p.status)
	}
}
