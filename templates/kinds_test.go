package templates

import (
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
)

// kindWording is what a player must read about one kind in one language.
type kindWording struct {
	label   string // the SID field's label
	hint    string // a word of the hint naming the resource
	success string // the start of the success line
	date    string // the label of Twilio's date
	starts  string // how the examples' comments say "starts with"
}

// wordings are the expected texts per kind and language. A new kind needs
// its row here: the test fails until it has one.
var wordings = map[catalog.Kind]map[string]kindWording{
	catalog.KindMessage: {
		"en": {label: "Message SID", hint: "message", success: "Twilio confirmed your message", date: "Sent", starts: "starts with"},
		"fr": {label: "SID du message", hint: "message", success: "Twilio a confirmé votre message", date: "Envoyé le", starts: "commence par"},
	},
	catalog.KindCall: {
		"en": {label: "Call SID", hint: "call", success: "Twilio confirmed your call", date: "Started", starts: "starts with"},
		"fr": {label: "SID de l'appel", hint: "appel", success: "Twilio a confirmé votre appel", date: "Démarré le", starts: "commence par"},
	},
	catalog.KindWhatsApp: {
		"en": {label: "WhatsApp message SID", hint: "WhatsApp message", success: "Twilio confirmed your WhatsApp message", date: "Sent", starts: "starts with"},
		"fr": {label: "SID du message WhatsApp", hint: "message WhatsApp", success: "Twilio a confirmé votre message WhatsApp", date: "Envoyé le", starts: "commence par"},
	},
	catalog.KindPhoneNumber: {
		"en": {label: "Phone number SID or number", hint: "phone number", success: "Your number is wired to your code", date: "Bought", starts: "starts with"},
		"fr": {label: "SID ou numéro de téléphone", hint: "numéro", success: "Votre numéro est branché sur votre code", date: "Acheté le", starts: "commence par"},
	},
	catalog.KindMessagingService: {
		"en": {label: "Messaging Service SID", hint: "Messaging Service", success: "Your Messaging Service has a sender", date: "Created", starts: "starts with"},
		"fr": {label: "SID du Messaging Service", hint: "Messaging Service", success: "Votre Messaging Service a un expéditeur", date: "Créé le", starts: "commence par"},
	},
	catalog.KindVerification: {
		"en": {label: "Verification SID", hint: "verification", success: "Twilio approved your code", date: "Started", starts: "starts with"},
		"fr": {label: "SID de la vérification", hint: "vérification", success: "Twilio a approuvé votre code", date: "Lancée le", starts: "commence par"},
	},
}

// firstPrefix is the SID prefix each shipped objective's texts must name
// first.
var firstPrefix = map[string]string{"send-sms": "SM", "send-mms": "MM", "reply-sms": "SM", "make-call": "CA", "send-whatsapp": "SM",
	"wire-number": "PN", "messaging-service": "MG", "verify-phone": "VE"}

// TestEveryKindsPanelSpeaksOfIt renders every shipped objective's page and
// hack panel, before and after a success, in every language, and checks
// that the placeholder, label, hint, examples, success line and date label
// are its kind's: a call's panel says CA and "call", never SM.
func TestEveryKindsPanelSpeaksOfIt(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[catalog.Kind]bool{}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, o := range cat.All() {
		seen[o.Kind] = true
		prefix, ok := firstPrefix[o.ID]
		if !ok {
			t.Fatalf("%s: no expected prefix; add it to firstPrefix", o.ID)
		}
		sid := prefix + strings.Repeat("b2", 16)
		msg := &quest.Message{SID: sid, Status: "completed", Direction: "outbound-api",
			To: "+15558675310", From: "+15017122661", DateCreated: now}
		for _, lang := range locale.Supported {
			w, ok := wordings[o.Kind][lang]
			if !ok {
				t.Fatalf("kind %s has no %s wording in this test", o.Kind, lang)
			}
			ctx := contextIn(t, lang)
			page := parse(t, renderString(t, ctx, ObjectivePage(ObjectiveProps{Objective: &o,
				Account: Account{AccountSID: testAccountSID}, Hack: HackProps{Objective: &o}})))
			field := page.Find(`input#sid`)
			if got := field.AttrOr("placeholder", ""); got != prefix+"XXXX…" {
				t.Errorf("%s %s placeholder = %q, want %sXXXX…", lang, o.ID, got, prefix)
			}
			if got := page.Find(`label[for="sid"]`).Text(); got != w.label {
				t.Errorf("%s %s label = %q, want %q", lang, o.ID, got, w.label)
			}
			hint := page.Find("#sid-hint").Text()
			if !strings.Contains(hint, w.starts+" "+prefix) || !strings.Contains(hint, w.hint) {
				t.Errorf("%s %s hint %q does not name %q and %s", lang, o.ID, hint, w.hint, prefix)
			}
			for param, want := range map[string]string{catalog.ParamTo: o.Samples.To, catalog.ParamFrom: o.Samples.From} {
				if got := page.Find(`[data-testid="` + sampleTestID(param) + `"]`).Text(); got != want {
					t.Errorf("%s %s sample %s = %q, want %q", lang, o.ID, param, got, want)
				}
			}
			page.Find(`[data-testid^="example-"] code`).Each(func(_ int, s *goquery.Selection) {
				code := s.Text()
				if n := strings.Count(code, w.starts+" "+prefix); n < 1 {
					t.Errorf("%s %s example does not say the SID %s %s:\n%s", lang, o.ID, w.starts, prefix, code)
				}
				// The examples send the objective's own addresses, channel
				// prefix included (whatsapp:+…): without it, Twilio would
				// send an SMS.
				for _, addr := range []string{o.Samples.To, o.Samples.From} {
					if !strings.Contains(code, addr) {
						t.Errorf("%s %s example does not send %q:\n%s", lang, o.ID, addr, code)
					}
				}
				for _, other := range []string{"SM", "MM", "CA"} {
					if !o.AcceptsPrefix(other) && strings.Contains(code, w.starts+" "+other) {
						t.Errorf("%s %s example speaks of %s:\n%s", lang, o.ID, other, code)
					}
				}
			})

			res := &quest.Result{Objective: o, XP: o.XP,
				Submission: quest.Submission{ID: 1, ObjectiveID: o.ID, SID: sid, Reason: quest.Awarded, Message: msg, CreatedAt: now}}
			panel := parse(t, renderString(t, ctx, HackPanel(HackProps{Objective: &o, Result: res})))
			if got := panel.Find(`[data-testid="result-help"]`).Text(); !strings.HasPrefix(got, w.success) {
				t.Errorf("%s %s success = %q, want it to start %q", lang, o.ID, got, w.success)
			}
			if got := panel.Find(`[data-testid="message-date"]`).Prev().Text(); got != w.date {
				t.Errorf("%s %s date label = %q, want %q", lang, o.ID, got, w.date)
			}
			if got, want := panel.Find(`[data-testid="message-body"]`).Length() == 1, o.Spec().HasBody; got != want {
				t.Errorf("%s %s shows a body: %v, want %v", lang, o.ID, got, want)
			}
		}
	}
	for _, k := range catalog.Kinds {
		if !seen[k] {
			t.Errorf("no shipped objective of kind %s to render", k)
		}
	}
}

// TestEveryKindsTextsAreTranslated keeps the kinds table's message ids
// real in every language: a typo would show the id to players.
func TestEveryKindsTextsAreTranslated(t *testing.T) {
	for _, lang := range locale.Supported {
		l := locale.From(contextIn(t, lang))
		for _, s := range catalog.Specs() {
			tx := s.Texts
			ids := []string{tx.Label, tx.Hint, tx.Success, tx.Date, tx.CopySID, tx.SamplesHeading, catalog.SamplesHeadingValues}
			for _, f := range s.Samples {
				ids = append(ids, f.Help)
			}
			for _, id := range ids {
				if !l.Has(id) {
					t.Errorf("%s: kind %s names %q, which has no text", lang, s.Kind, id)
				}
			}
		}
	}
}

// TestInstructorViewsLabelTheKind checks the instructors' submission views
// label a call's date as a call's and show no body for it, and keep the
// message's labels for a message and for an objective the catalog no
// longer has.
func TestInstructorViewsLabelTheKind(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, tt := range []struct {
		kind catalog.Kind
		date string
		body bool
	}{
		{catalog.KindCall, "Started", false},
		{catalog.KindMessage, "Sent", true},
		{"", "Sent", true},
	} {
		msg := &quest.Message{SID: "CA" + strings.Repeat("b2", 16), Status: "completed", To: "+15558675310",
			From: "+15017122661", DateCreated: now}
		v := SubmissionView{SubmissionRow: quest.SubmissionRow{Submission: quest.Submission{ID: 3, ObjectiveID: "x",
			Reason: quest.Awarded, Message: msg, CreatedAt: now}}, Objective: catalog.Text{"en": "X"}, Kind: tt.kind}
		ctx := contextIn(t, "en")
		for name, c := range map[string]templ.Component{"row": SubmissionRow(v), "page": InstructorSubmissionPage(InstructorSubmissionProps{Row: v})} {
			html := renderString(t, ctx, c)
			doc := parse(t, html)
			if got := doc.Find("dt").FilterFunction(func(_ int, s *goquery.Selection) bool {
				return s.Text() == "Sent" || s.Text() == "Started"
			}).Text(); got != tt.date {
				t.Errorf("%q %s: date label %q, want %q", tt.kind, name, got, tt.date)
			}
			if got := doc.Find(`[data-testid="submission-body"], [data-testid="detail-body"]`).Length() > 0; got != tt.body {
				t.Errorf("%q %s: shows a body %v, want %v", tt.kind, name, got, tt.body)
			}
		}
	}
}
