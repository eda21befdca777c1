package templates

import (
	"net/http"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/questgate/questgate/quest"
)

// TestEveryFormCarriesTheCSRFToken renders every page with every form it
// can show and checks that each form posting somewhere sends the token, and
// that the page gives it to htmx through the meta tag.
func TestEveryFormCarriesTheCSRFToken(t *testing.T) {
	const token = "tok-3f9a"
	o := sendSMS(t)
	saved := &quest.Saved{AccountSID: testAccountSID, Last4: "WXYZ"}
	pages := map[string]templ.Component{
		"home":                 HomePage(HomeProps{Cards: []ObjectiveCard{{Objective: o}}}),
		"objective":            ObjectivePage(ObjectiveProps{Objective: &o, Hack: HackProps{Objective: &o}}),
		"hack panel":           HackPanel(HackProps{Objective: &o}),
		"credentials":          CredentialsPage(CredentialsProps{SandboxEnabled: true}),
		"credentials, saved":   CredentialsPage(CredentialsProps{Saved: saved, SandboxEnabled: true}),
		"error page":           ErrorPage(ErrorProps{Status: http.StatusForbidden, Messages: "error.csrf"}),
		"credentials, no form": CredentialsPage(CredentialsProps{}),
	}
	forms := 0
	for name, page := range pages {
		ctx := WithCSRF(contextIn(t, "en"), token)
		doc := parse(t, renderString(t, ctx, page))
		doc.Find("form").Each(func(_ int, f *goquery.Selection) {
			if m, _ := f.Attr("method"); m != "post" {
				return
			}
			forms++
			action, _ := f.Attr("action")
			in := f.Find(`input[type="hidden"][name="` + CSRFField + `"]`)
			if v, _ := in.Attr("value"); in.Length() != 1 || v != token {
				t.Errorf("%s: form %s has no CSRF token (%d fields, value %q)", name, action, in.Length(), v)
			}
		})
		if name == "hack panel" {
			continue // a fragment: the page around it has the meta tag
		}
		if v, _ := doc.Find(`meta[name="csrf-token"]`).Attr("content"); v != token {
			t.Errorf("%s: meta csrf-token %q, want %q", name, v, token)
		}
	}
	if forms < 6 {
		t.Errorf("checked %d forms, expected at least the hack, save, delete and sandbox ones", forms)
	}
}
