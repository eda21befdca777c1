package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/quest"
)

// TestOneVerdictEverySurface: one verdict gets the same HTTP status, the
// same title and the same next step on the objective page (a plain post
// and htmx), in the widget and from the API, in the player's language.
// Before, the page answered no_credentials with 200 and the API with 422,
// upstream_rate_limited with 429 and 503, and the widget always with 200.
func TestOneVerdictEverySurface(t *testing.T) {
	down := func(r quest.Reason) func(context.Context, quest.CheckRequest) (quest.Verdict, error) {
		return func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
			return quest.Verdict{SID: quest.Normalize(req.SID)}, &quest.UpstreamError{Reason: r, RetryAfter: 7 * time.Second, Status: 503}
		}
	}
	tests := []struct {
		reason quest.Reason
		verify func(context.Context, quest.CheckRequest) (quest.Verdict, error)
		// creds: the players have credentials, so Twilio is asked.
		creds  bool
		status int
		next   string
	}{
		{quest.Awarded, passing("My own words"), true, http.StatusOK, "objectives"},
		{quest.NotFound, rejecting(quest.NotFound), true, http.StatusOK, "retry"},
		// The verifier says so when the credentials are empty.
		{quest.NoCredentials, rejecting(quest.NoCredentials), false, http.StatusUnprocessableEntity, "credentials"},
		{quest.UpstreamUnavailable, down(quest.UpstreamUnavailable), true, http.StatusServiceUnavailable, "wait"},
		// A detail's own help, which the API's problems ignored before.
		{quest.BadCredentials, func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
			return quest.Verdict{Reason: quest.BadCredentials, Detail: quest.DetailRejected, SID: quest.Normalize(req.SID)}, nil
		}, true, http.StatusUnprocessableEntity, "credentials"},
		{quest.UpstreamRateLimited, down(quest.UpstreamRateLimited), true, http.StatusServiceUnavailable, "wait"},
	}
	// gameNext is, where it differs, the next step of the game's surfaces
	// (widget, API), whose players have no page of questgate's to go to:
	// they say it with the same words as each other.
	gameNext := map[quest.Reason]string{quest.NoCredentials: "instructor"}
	const lang = "fr" // the widget token's language
	for _, tt := range tests {
		t.Run(string(tt.reason), func(t *testing.T) {
			e := newEnv(t, options{})
			e.twilio.verify = tt.verify
			e.twilio.check = func(context.Context, quest.Credentials) error { return nil }
			key, k := e.newKey()
			full, err := e.store.APIKeyByID(t.Context(), k.ID)
			if err != nil {
				t.Fatal(err)
			}
			creds := quest.Credentials{AccountSID: testAccountSID, Secret: testSecret, UpdatedAt: time.Now()}
			htmxPlayer := e.browser()
			if tt.creds {
				e.saveCredentials(creds)
				htmxPlayer.saveCredentials(creds)
				apiPlayer, err := e.store.APIPlayer(t.Context(), k.ID, "p42", "Ada")
				widgetPlayer := apiPlayer.ID
				if err != nil {
					t.Fatal(err)
				}
				creds.PlayerID = widgetPlayer
				if err := e.store.SaveCredentials(t.Context(), creds); err != nil {
					t.Fatal(err)
				}
			}
			title := e.msg(lang, "reason."+string(tt.reason)+".title")
			// Each surface pastes its own SID: one message proves one
			// player's objective.
			sid := func(c string) string { return "SM" + strings.Repeat(c, 32) }

			type seen struct {
				surface      string
				status       int
				title, next  string
				nextText     string
				reasonOnPage string
				link         string
				// help with the surface's own SID written "SID".
				help string
			}
			var got []seen
			for i, s := range []struct {
				name string
				p    func() page
			}{
				{"page", func() page {
					return e.post("/objectives/send-sms/hack", url.Values{"sid": {sid("1")}}, accept(lang)...)
				}},
				{"page (htmx)", func() page {
					return htmxPlayer.post("/objectives/send-sms/hack", url.Values{"sid": {sid("2")}}, append(accept(lang), htmx...)...)
				}},
				{"widget", func() page {
					form := url.Values{"sid": {sid("3")}, "token": {e.widgetToken(full, full.SigningSecret, time.Hour)}}
					return e.postNoCSRF("/embed/objectives/send-sms/hack", form.Encode())
				}},
			} {
				p := s.p()
				if s.name == "widget" && strings.Contains(p.body, "htmx.min.js") {
					// The widget's form is a plain post the browser shows
					// whatever the status; htmx would drop a 4xx/5xx
					// unless its config swaps it, as the pages' does.
					t.Error("the widget loads htmx: check its responseHandling swaps every verdict's status")
				}
				got = append(got, seen{s.name, p.status, p.text("result-reason"), p.attr("result-next", "data-next"),
					p.text("result-next"), p.attr("result-reason", "data-reason"), p.find("result-next").Find("a").AttrOr("href", ""),
					strings.ReplaceAll(p.text("result-help"), sid(string(rune('1'+i))), "SID")})
			}
			body := `{"objective": "send-sms", "sid": "` + sid("4") + `", "player": {"id": "p43"}`
			if tt.creds {
				body += `, "credentials": {"account_sid": "` + testAccountSID + `", "auth_token": "` + testSecret + `"}`
			}
			r := e.api("POST", "/api/v1/verifications", key, body+"}", "Accept-Language", lang)
			next, _ := r.body["next_step"].(map[string]any)
			kind, _ := next["kind"].(string)
			text, _ := next["text"].(string)
			help := r.str("message")
			if r.status != http.StatusOK {
				help = r.str("detail")
			}
			help = squash(strings.ReplaceAll(help, sid("4"), "SID"))
			got = append(got, seen{"API", r.status, r.str("title"), kind, text, r.str("reason"), "", help})
			// The pages link to where the step is done; the widget, whose
			// player has no session on questgate's pages, does not.
			if tt.reason == quest.NoCredentials {
				if got[0].link != "/credentials" || got[2].link != "" {
					t.Errorf("next step links: page %q, widget %q", got[0].link, got[2].link)
				}
			}

			for _, g := range got {
				if g.reasonOnPage != string(tt.reason) {
					t.Errorf("%s: reason %q, want %s", g.surface, g.reasonOnPage, tt.reason)
					continue
				}
				ref, next := got[0], tt.next
				if gn := gameNext[tt.reason]; gn != "" && (g.surface == "widget" || g.surface == "API") {
					ref, next = got[2], gn
					if g.help == got[0].help {
						t.Errorf("%s: help %q is the page's, which sends the player to a page they do not have", g.surface, g.help)
					}
				}
				if g.status != tt.status || g.title != title || g.next != next {
					t.Errorf("%s: %d %q next %q; want %d %q next %q", g.surface, g.status, g.title, g.next, tt.status, title, next)
				}
				if g.nextText == "" || g.nextText != ref.nextText {
					t.Errorf("%s: next step %q, the %s says %q", g.surface, g.nextText, ref.surface, ref.nextText)
				}
				if g.help == "" || g.help != ref.help {
					t.Errorf("%s: help %q, the %s says %q", g.surface, g.help, ref.surface, ref.help)
				}
			}
		})
	}
}
