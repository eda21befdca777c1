package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/questgate/questgate/quest"
)

func TestHomeListsObjectives(t *testing.T) {
	e := newEnv(t, options{})
	p := e.get("/")
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	card := p.doc.Find(`[data-testid="objective"][data-objective="send-sms"]`)
	if card.Length() != 1 {
		t.Fatalf("no send-sms card in %s", p.body)
	}
	if got, _ := card.Attr("data-state"); got != "new" {
		t.Errorf("state = %q, want new", got)
	}
	if href, _ := card.Find("a").Attr("href"); href != "/objectives/send-sms" {
		t.Errorf("card links to %q", href)
	}
	if got, want := p.text("total-xp"), e.msg("en", "home.total_xp", map[string]any{"XP": 0}); got != want {
		t.Errorf("total XP %q, want %q", got, want)
	}
	if got := p.attr("account-notice", "data-account"); got != "none" {
		t.Errorf("account notice %q, want none", got)
	}
	if got := p.attr("nav-home", "aria-current"); got != "page" {
		t.Errorf("home nav aria-current = %q", got)
	}
	if got := p.text("version"); !strings.Contains(got, "v1.2.3-test") {
		t.Errorf("footer version %q", got)
	}
}

func TestHomeShowsProgress(t *testing.T) {
	e := newEnv(t, options{})
	e.twilio.verify = func(context.Context, quest.CheckRequest) (quest.Verdict, error) {
		return quest.Verdict{Reason: quest.NotFound, SID: testMessageSID}, nil
	}
	e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}})
	if got := e.get("/").attr("objective", "data-state"); got != "tried" {
		t.Errorf("after a failed attempt: state %q, want tried", got)
	}

	e.twilio.verify = passing("my own words")
	e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}})
	p := e.get("/")
	if got := p.attr("objective", "data-state"); got != "done" {
		t.Errorf("after success: state %q, want done", got)
	}
	if got, want := p.text("total-xp"), e.msg("en", "home.total_xp", map[string]any{"XP": 100}); got != want {
		t.Errorf("total XP %q, want %q", got, want)
	}
}

func TestObjectivePageInPlayersLanguage(t *testing.T) {
	tests := []struct {
		accept, lang, title string
	}{
		{"en-US,en;q=0.9", "en", "Send an SMS"},
		{"fr", "fr", "Envoyer un SMS"},
		{"fr-CA,fr;q=0.8", "fr", "Envoyer un SMS"},
		{"de", "en", "Send an SMS"},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			e := newEnv(t, options{})
			p := e.get("/objectives/send-sms", accept(tt.accept)...)
			if p.status != http.StatusOK {
				t.Fatalf("status %d", p.status)
			}
			if got := p.text("objective-title"); got != tt.title {
				t.Errorf("title %q, want %q", got, tt.title)
			}
			if got, _ := p.doc.Find("html").Attr("lang"); got != tt.lang {
				t.Errorf("html lang %q, want %q", got, tt.lang)
			}
			if got, want := p.text("hack-state"), e.msg(tt.lang, "hack.state_ready"); got != want {
				t.Errorf("hack state %q, want %q", got, want)
			}
			if got := p.attr("lang-"+tt.lang, "aria-current"); got != "true" {
				t.Errorf("switcher does not mark %s as current", tt.lang)
			}
			if n := p.find("instructions").Find("p").Length(); n < 2 {
				t.Errorf("instructions have %d paragraphs", n)
			}
			input := p.doc.Find(`input[name="sid"]`)
			for attr, want := range map[string]string{"placeholder": "SMXXXX…", "autocomplete": "off", "spellcheck": "false", "id": "sid"} {
				if got, _ := input.Attr(attr); got != want {
					t.Errorf("sid input %s = %q, want %q", attr, got, want)
				}
			}
			if p.doc.Find(`label[for="sid"]`).Length() != 1 {
				t.Error("the sid field has no label")
			}
		})
	}
}

func TestLanguageSwitcher(t *testing.T) {
	e := newEnv(t, options{})
	p := e.get("/objectives/send-sms", accept("en")...)
	href := p.attr("lang-fr", "href")
	if href != "/lang/fr?next=%2Fobjectives%2Fsend-sms" {
		t.Fatalf("French link %q", href)
	}
	sw := e.get(href, accept("en")...)
	if sw.status != http.StatusSeeOther || sw.header.Get("Location") != "/objectives/send-sms" {
		t.Fatalf("switch: %d to %q", sw.status, sw.header.Get("Location"))
	}
	// The cookie now wins over the browser's Accept-Language.
	p = e.get("/objectives/send-sms", accept("en")...)
	if got := p.text("objective-title"); got != "Envoyer un SMS" {
		t.Errorf("after switching, title %q", got)
	}
}

func TestHackSuccessNoJS(t *testing.T) {
	e := newEnv(t, options{})
	const body = `<script>alert("pwned")</script> & "hi"`
	e.twilio.verify = passing(body)
	p := e.post("/objectives/send-sms/hack", url.Values{"sid": {" " + testMessageSID + "\n"}})
	if p.redirected != http.StatusSeeOther || p.status != http.StatusOK {
		t.Fatalf("status %d after %d, want 200 after 303 (Post/Redirect/Get)", p.status, p.redirected)
	}
	if !strings.HasPrefix(strings.ToLower(p.body), "<!doctype html>") || p.find("submission-title").Length() != 1 ||
		p.attr("submission-objective", "href") != "/objectives/send-sms" {
		t.Fatal("a plain POST must lead to the attempt's whole page")
	}
	if got, want := p.text("hack-state"), e.msg("en", "hack.state_success"); got != want {
		t.Errorf("state %q, want %q", got, want)
	}
	if got := p.attr("result-reason", "data-reason"); got != string(quest.Awarded) {
		t.Errorf("reason %q", got)
	}
	if got, want := p.text("result-xp"), e.msg("en", "hack.xp_granted", map[string]any{"XP": 100}); got != want {
		t.Errorf("xp %q, want %q", got, want)
	}
	if got := p.find("message-body").Text(); got != body {
		t.Errorf("body %q, want %q", got, body)
	}
	if strings.Contains(p.body, "<script>alert") {
		t.Error("the message body was rendered as markup")
	}
	if p.doc.Find("script").FilterFunction(func(_ int, s *goquery.Selection) bool {
		_, ok := s.Attr("src")
		return !ok
	}).Length() != 0 {
		t.Error("the page has an inline script")
	}
	for _, id := range []string{"message-status", "message-to", "message-from"} {
		if p.text(id) == "" {
			t.Errorf("%s is empty", id)
		}
	}
	if p.find("attempt").Length() != 1 {
		t.Errorf("attempts listed: %d, want 1", p.find("attempt").Length())
	}
	if p.find("success").Length() != 1 || p.attr("next-objective", "href") == "" {
		t.Error("the first win shows no success block leading to the next objective")
	}
	if again := e.get(p.attr("submission-objective", "href")); again.find("objective-done").Length() != 1 {
		t.Error("the objective's page does not say the objective is done")
	}

	// The same SID again: answered from the database, no new XP.
	e.twilio.verify = nil
	p = e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}})
	if got := p.attr("result-reason", "data-reason"); got != string(quest.AlreadyAwarded) {
		t.Errorf("repeat: reason %q", got)
	}
	if got, want := p.text("result-xp"), e.msg("en", "hack.no_new_xp"); got != want {
		t.Errorf("repeat: xp %q, want %q", got, want)
	}
	if got := p.attr("hack-state", "data-state"); got != "success" {
		t.Errorf("repeat: state %q", got)
	}
}

func TestHackHTMXReturnsPanelOnly(t *testing.T) {
	e := newEnv(t, options{})
	e.twilio.verify = passing("my own words")
	p := e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}, htmx...)
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	if !strings.HasPrefix(p.body, `<section id="hack-panel"`) {
		t.Fatalf("htmx response is not the panel alone: %.120s", p.body)
	}
	if strings.Contains(p.body, "<html") || p.find("objective-title").Length() != 0 {
		t.Error("htmx response holds more than the panel")
	}
	if got := p.attr("hack-state", "data-state"); got != "success" {
		t.Errorf("state %q", got)
	}
	if got := p.attr("result", "aria-live"); got != "polite" {
		t.Errorf("result aria-live %q", got)
	}
}

func TestHackFormIsProgressivelyEnhanced(t *testing.T) {
	e := newEnv(t, options{})
	form := e.get("/objectives/send-sms").doc.Find("#hack-panel form")
	want := map[string]string{
		"method":          "post",
		"action":          "/objectives/send-sms/hack#hack-panel",
		"hx-post":         "/objectives/send-sms/hack",
		"hx-target":       "#hack-panel",
		"hx-swap":         "outerHTML",
		"hx-disabled-elt": "find button",
	}
	for attr, v := range want {
		if got, _ := form.Attr(attr); got != v {
			t.Errorf("form %s = %q, want %q", attr, got, v)
		}
	}
	if form.Find(`button[type="submit"]`).Length() != 1 {
		t.Error("no submit button: Enter would not submit")
	}
	if form.Find(".htmx-indicator").Length() != 1 {
		t.Error("no HACKING… indicator")
	}
}

func TestHackRejectionIsLocalised(t *testing.T) {
	tests := []struct {
		name    string
		lang    string
		verdict quest.Verdict
		helpID  string
	}{
		{"not found en", "en", quest.Verdict{Reason: quest.NotFound, SID: testMessageSID}, "reason.not_found.help"},
		{"not found fr", "fr", quest.Verdict{Reason: quest.NotFound, SID: testMessageSID}, "reason.not_found.help"},
		{"account SID fr", "fr", quest.Verdict{Reason: quest.WrongResource, SID: testAccountSID, Detail: quest.DetailAccount},
			"reason.wrong_resource.detail.account"},
		{"unwritten detail falls back", "en", quest.Verdict{Reason: quest.NotFound, SID: testMessageSID, Detail: "no-such-detail"},
			"reason.not_found.help"},
		{"failed status", "fr", quest.Verdict{Reason: quest.FailedStatus, SID: testMessageSID, Detail: "undelivered",
			Message: &quest.Message{Status: "undelivered", Body: "x"}}, "reason.failed_status.detail.undelivered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, options{})
			e.twilio.verify = func(context.Context, quest.CheckRequest) (quest.Verdict, error) { return tt.verdict, nil }
			p := e.post("/objectives/send-sms/hack", url.Values{"sid": {tt.verdict.SID}}, accept(tt.lang)...)
			if p.status != http.StatusOK {
				t.Fatalf("status %d", p.status)
			}
			if got, want := p.text("hack-state"), e.msg(tt.lang, "hack.state_failed"); got != want {
				t.Errorf("state %q, want %q", got, want)
			}
			if got := p.attr("result-reason", "data-reason"); got != string(tt.verdict.Reason) {
				t.Errorf("data-reason %q", got)
			}
			if got, want := p.text("result-reason"), e.msg(tt.lang, "reason."+string(tt.verdict.Reason)+".title"); got != want {
				t.Errorf("title %q, want %q", got, want)
			}
			data := map[string]any{"SID": tt.verdict.SID, "Status": "", "RetryAfter": 0}
			if tt.verdict.Message != nil {
				data["Status"] = tt.verdict.Message.Status
			}
			if got, want := p.text("result-help"), e.msg(tt.lang, tt.helpID, data); got != squash(want) {
				t.Errorf("help %q, want %q", got, want)
			}
			if got, _ := p.doc.Find("#sid").Attr("value"); got != tt.verdict.SID {
				t.Errorf("the field lost what the player typed: %q", got)
			}
		})
	}
}

func TestHackUpstreamTrouble(t *testing.T) {
	tests := []struct {
		name       string
		err        *quest.UpstreamError
		status     int
		retryAfter string
	}{
		{"unavailable with delay", &quest.UpstreamError{Reason: quest.UpstreamUnavailable, RetryAfter: 7 * time.Second, Status: 503},
			http.StatusServiceUnavailable, "7"},
		{"unavailable without delay", &quest.UpstreamError{Reason: quest.UpstreamUnavailable},
			http.StatusServiceUnavailable, "30"},
		// Twilio limiting questgate is Twilio's trouble, not the
		// player's excess: 503, as the API answers it.
		{"rate limited", &quest.UpstreamError{Reason: quest.UpstreamRateLimited, RetryAfter: 1500 * time.Millisecond, Status: 429},
			http.StatusServiceUnavailable, "2"},
	}
	for _, tt := range tests {
		for _, hx := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, options{})
				e.twilio.verify = func(context.Context, quest.CheckRequest) (quest.Verdict, error) {
					return quest.Verdict{SID: testMessageSID}, tt.err
				}
				var h []string
				if hx {
					h = htmx
				}
				p := e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}, h...)
				if p.status != tt.status {
					t.Fatalf("status %d, want %d", p.status, tt.status)
				}
				if got := p.header.Get("Retry-After"); got != tt.retryAfter {
					t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
				}
				if got := p.attr("result-reason", "data-reason"); got != string(tt.err.Reason) {
					t.Errorf("reason %q", got)
				}
				if p.text("result-help") == "" {
					t.Error("no help")
				}
			})
		}
	}
}

func TestHackUnreadableForm(t *testing.T) {
	tests := []struct {
		name, body, msgID string
	}{
		{"missing field", "other=1", "form.missing"},
		{"not a form", `{"sid": "SM..."}`, "form.missing"},
		{"a malformed pair besides the SID", "sid=" + testMessageSID + "&%zz=1", "form.missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, options{})
			p := e.postRaw("/objectives/send-sms/hack", tt.body, accept("fr")...)
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", p.status)
			}
			if got, want := p.text("result-reason"), e.msg("fr", tt.msgID); got != want {
				t.Errorf("message %q, want %q", got, want)
			}
			subs, err := e.store.RecentSubmissions(context.Background(), e.playerID(), "send-sms", 10)
			if err != nil || len(subs) != 0 {
				t.Errorf("something was recorded: %v %v", subs, err)
			}
		})
	}
}

func TestErrorPages(t *testing.T) {
	tests := []struct {
		method, path, lang string
		status             int
	}{
		{http.MethodGet, "/objectives/no-such-thing", "fr", http.StatusNotFound},
		{http.MethodGet, "/objectives/no-such-thing", "en", http.StatusNotFound},
		{http.MethodPost, "/objectives/no-such-thing/hack", "en", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.lang, func(t *testing.T) {
			e := newEnv(t, options{})
			var p page
			if tt.method == http.MethodPost {
				p = e.post(tt.path, url.Values{"sid": {testMessageSID}}, accept(tt.lang)...)
			} else {
				p = e.get(tt.path, accept(tt.lang)...)
			}
			if p.status != tt.status {
				t.Fatalf("status %d, want %d", p.status, tt.status)
			}
			key := "error." + strconv.Itoa(tt.status)
			if got, want := p.text("error-title"), e.msg(tt.lang, key+".title"); got != want {
				t.Errorf("title %q, want %q", got, want)
			}
			if got, want := p.text("error-help"), e.msg(tt.lang, key+".help"); got != want {
				t.Errorf("help %q, want %q", got, want)
			}
			if p.find("request-id").Find("code").Text() == "" {
				t.Error("no request id")
			}
		})
	}
}

func TestObjectiveExamples(t *testing.T) {
	tests := []struct {
		name       string
		opt        options
		creds      *quest.Credentials
		want       []string
		wantAbsent []string
	}{
		{
			name:       "no credentials",
			want:       []string{"ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "your_auth_token", "https://api.twilio.com/2010-04-01/Accounts/"},
			wantAbsent: []string{publicURL + "/sandbox"},
		},
		{
			name:       "real account",
			creds:      &quest.Credentials{AccountSID: testAccountSID, Secret: testSecret},
			want:       []string{testAccountSID, "your_auth_token", "https://api.twilio.com/2010-04-01/Accounts/" + testAccountSID + "/Messages.json"},
			wantAbsent: []string{testSecret, publicURL + "/sandbox"},
		},
		{
			name:       "real account with API key",
			creds:      &quest.Credentials{AccountSID: testAccountSID, APIKeySID: "SK" + strings.Repeat("c3", 16), Secret: testSecret},
			want:       []string{testAccountSID, "your_auth_token"},
			wantAbsent: []string{testSecret},
		},
		{
			name:  "sandbox account",
			opt:   options{sandbox: true},
			creds: &quest.Credentials{AccountSID: testAccountSID, Secret: testSecret, Sandbox: true},
			want: []string{testSecret, publicURL + "/sandbox/2010-04-01/Accounts/" + testAccountSID + "/Messages.json",
				`client.api.base_url = "` + publicURL + `/sandbox"`, `client.api.baseUrl = "` + publicURL + `/sandbox"`},
			wantAbsent: []string{"your_auth_token"},
		},
		{
			name:       "no credentials, sandbox on: an account of their own",
			opt:        options{sandbox: true},
			want:       []string{publicURL + "/sandbox/2010-04-01/Accounts/AC"},
			wantAbsent: []string{"your_auth_token", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opt)
			if tt.creds != nil {
				e.saveCredentials(*tt.creds)
			}
			p := e.get("/objectives/send-sms")
			for _, id := range []string{"example-curl", "example-go", "example-python", "example-node"} {
				if p.find(id).Length() != 1 {
					t.Errorf("no %s", id)
				}
			}
			code := p.find("examples").Text()
			for _, s := range tt.want {
				if !strings.Contains(code, s) {
					t.Errorf("examples lack %q", s)
				}
			}
			for _, s := range tt.wantAbsent {
				if strings.Contains(p.body, s) {
					t.Errorf("page contains %q", s)
				}
			}
		})
	}
}
