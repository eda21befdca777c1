package templates

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/questgate/questgate/quest"
)

// ourMessageID matches the ids of this file's pages' messages.
var ourMessageID = regexp.MustCompile(`\b(?:profile|join|debug|submission|layout|reason)\.[a-z0-9_.]*[a-z0-9_]`)

// TestProfilePagesAreFullyTranslated renders the profile, join, attempt
// and debug info in every language: a missing key shows as its id.
func TestProfilePagesAreFullyTranslated(t *testing.T) {
	o := sendSMS(t)
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	cohort := quest.Cohort{ID: 1, Name: "Paris", JoinCode: "ABCD2345"}
	other := quest.Cohort{ID: 2, Name: "Lyon", JoinCode: "WXYZ2345"}
	res := quest.Result{Objective: o, Detail: quest.DetailSecret,
		Submission: quest.Submission{ID: 7, ObjectiveID: o.ID, Reason: quest.InvalidSID, CreatedAt: now, RequestID: "req-1"},
		Account:    quest.Account{Kind: quest.AccountReal, AccountSID: testAccountSID, APIKeySID: testKeySID, Last4: "WXYZ"}}
	pages := []templ.Component{
		ProfilePage(ProfileProps{}),
		ProfilePage(ProfileProps{DisplayName: "Ada", Cohort: &cohort, Notice: "profile.joined"}),
		ProfilePage(ProfileProps{Notice: "profile.saved"}),
		ProfilePage(ProfileProps{Typed: " ", Error: "profile.error.display_name.required"}),
		ProfilePage(ProfileProps{Error: "profile.error.display_name.too_long"}),
		ProfilePage(ProfileProps{Error: "profile.error.display_name.control"}),
		JoinPage(JoinProps{Cohort: cohort, NeedName: true}),
		JoinPage(JoinProps{Cohort: cohort, Current: &cohort}),
		JoinPage(JoinProps{Cohort: cohort, Current: &other}),
		JoinErrorPage(JoinErrorProps{Problem: "unknown"}),
		JoinErrorPage(JoinErrorProps{Problem: "archived", Name: "Paris"}),
		SubmissionPage(SubmissionProps{Hack: HackProps{Objective: &o, Result: &res}}),
	}
	for _, kind := range []string{quest.AccountSandbox, quest.AccountDemo, quest.AccountNone} {
		r := res
		r.Account.Kind = kind
		pages = append(pages, HackPanel(HackProps{Objective: &o, Result: &r}))
	}
	for _, lang := range []string{"en", "fr"} {
		ctx := WithPlayer(contextIn(t, lang), "")
		for i, p := range pages {
			doc := parse(t, strings.ReplaceAll(renderString(t, ctx, p), "<", " <"))
			text := doc.Text()
			doc.Find("[data-copied], [data-copy-failed], [title]").Each(func(_ int, s *goquery.Selection) {
				for _, a := range []string{"data-copied", "data-copy-failed", "title"} {
					v, _ := s.Attr(a)
					text += " " + v
				}
			})
			if ids := ourMessageID.FindAllString(text, -1); len(ids) > 0 {
				t.Errorf("%s page %d shows message ids: %v", lang, i, ids)
			}
		}
	}
}
