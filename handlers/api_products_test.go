package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/questgate/questgate/quest"
)

// TestAPIAcceptsTheProductKinds: a game submits a phone number (as the
// number itself), a Messaging Service and a verification through the JSON
// API, and hears each kind's own success.
func TestAPIAcceptsTheProductKinds(t *testing.T) {
	e := newEnv(t, options{})
	key, _ := e.newKey()
	var got []string
	e.twilio.verify = func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		got = append(got, req.SID)
		sid := req.SID
		if sid[0] == '+' {
			sid = "PN0123456789abcdef0123456789abcdef"
		}
		return quest.Verdict{Passed: true, SID: sid, Message: &quest.Message{SID: sid, Status: "approved"}}, nil
	}
	steps := []struct{ objective, sid, success string }{
		{"send-sms", "SMd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4", "reason.awarded.help"},
		{"wire-number", "+15555550100", "kind.phone_number.success"},
		{"messaging-service", "MGd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4", "kind.messaging_service.success"},
		{"verify-phone", "VEd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4", "kind.verification.success"},
	}
	for _, s := range steps {
		body := `{"objective": "` + s.objective + `", "sid": "` + s.sid + `", "player": {"id": "game-player"},
	"credentials": {"account_sid": "ACa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", "auth_token": "s3cr3tT0kenValue0123456789abWXYZ"}}`
		r := e.api("POST", "/api/v1/verifications", key, body, "Accept-Language", "fr")
		if r.status != 200 || r.str("status") != "awarded" {
			t.Fatalf("%s: %d %s", s.objective, r.status, r.raw)
		}
		if got, want := r.str("message"), e.msg("fr", s.success); got != want {
			t.Errorf("%s success = %q, want %q", s.objective, got, want)
		}
	}
	if len(got) != 4 || got[1] != "+15555550100" {
		t.Errorf("the verifier was asked for %q, want the number as pasted", got)
	}
}

// TestWidgetAcceptsTheProductKinds: the HACK widget takes a phone number
// pasted as the number itself, labelled as the kind's field.
func TestWidgetAcceptsTheProductKinds(t *testing.T) {
	e, k := widgetEnv(t, "https://game.example")
	e.sandbox.verify = func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		sid := req.SID
		if sid[0] == '+' {
			sid = "PN0123456789abcdef0123456789abcdef"
		}
		return quest.Verdict{Passed: true, SID: sid, Message: &quest.Message{SID: sid, Status: "in-use", To: req.SID}}, nil
	}
	tok := url.QueryEscape(e.widgetToken(k, k.SigningSecret, time.Hour))
	for _, s := range []struct{ objective, sid string }{{"send-sms", testMessageSID}, {"wire-number", "+15555550100"}} {
		page := e.get("/embed/objectives/" + s.objective + "?token=" + tok)
		lang := page.doc.Find("html").AttrOr("lang", "en")
		if label := page.doc.Find(`label[for="sid"]`).Text(); s.objective == "wire-number" && label != e.msg(lang, "kind.phone_number.label") {
			t.Errorf("the widget's field is labelled %q, want %q", label, e.msg(lang, "kind.phone_number.label"))
		}
		form := url.Values{"sid": {s.sid}}
		page.doc.Find(`form input[type="hidden"]`).Each(func(_ int, sel *goquery.Selection) {
			if name := sel.AttrOr("name", ""); name != "_csrf" {
				form.Set(name, sel.AttrOr("value", ""))
			}
		})
		p := e.postNoCSRF("/embed/objectives/"+s.objective+"/hack", form.Encode())
		if p.status != http.StatusOK || p.attr("result-reason", "data-reason") != "awarded" {
			t.Fatalf("%s: status %d, reason %q", s.objective, p.status, p.attr("result-reason", "data-reason"))
		}
	}
}
