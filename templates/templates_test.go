package templates

import (
	"bytes"
	"context"
	"encoding/json"
	"go/format"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
)

var (
	testAccountSID = "AC" + strings.Repeat("a1", 16)
	testKeySID     = "SK" + strings.Repeat("c3", 16)
	testSecret     = "s3cr3tT0kenValue0123456789abWXYZ"
)

func contextIn(t *testing.T, lang string) context.Context {
	t.Helper()
	b, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	return WithVersion(locale.With(context.Background(), b.Localizer(lang)), "v9")
}

func sendSMS(t *testing.T) catalog.Objective {
	t.Helper()
	c, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	o, ok := c.Get("send-sms")
	if !ok {
		t.Fatal("no send-sms objective")
	}
	return o
}

func renderString(t *testing.T, ctx context.Context, c templ.Component) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(ctx, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestExamplesNeverShowARealSecret(t *testing.T) {
	for _, lang := range locale.Supported {
		for _, a := range []Account{
			{AccountSID: testAccountSID, Secret: testSecret},
			{AccountSID: testAccountSID, APIKeySID: testKeySID, Secret: testSecret},
			{Secret: testSecret, Sandbox: true}, // no account: nothing to be a sandbox of
		} {
			for _, ex := range Examples(contextIn(t, lang), sendSMS(t), a) {
				if strings.Contains(ex.Code, testSecret) {
					t.Errorf("%s %s example for %+v shows the secret", lang, ex.ID, a)
				}
				if !strings.Contains(ex.Code, placeholderToken) {
					t.Errorf("%s %s example lacks the token placeholder", lang, ex.ID)
				}
				if !strings.Contains(ex.Code, twilioAPI) && ex.ID == "curl" {
					t.Errorf("curl example does not call Twilio:\n%s", ex.Code)
				}
			}
		}
	}
}

func TestSandboxExamplesAreComplete(t *testing.T) {
	for _, a := range []Account{
		{AccountSID: testAccountSID, Secret: testSecret, Sandbox: true, SandboxURL: "http://localhost:8080/sandbox/"},
		{AccountSID: testAccountSID, APIKeySID: testKeySID, Secret: testSecret, Sandbox: true, SandboxURL: "http://localhost:8080/sandbox"},
	} {
		for _, ex := range Examples(contextIn(t, "en"), sendSMS(t), a) {
			for _, want := range []string{testSecret, testAccountSID, "http://localhost:8080/sandbox"} {
				if !strings.Contains(ex.Code, want) {
					t.Errorf("%s example lacks %q:\n%s", ex.ID, want, ex.Code)
				}
			}
			if strings.Contains(ex.Code, placeholderToken) || strings.Contains(ex.Code, "sandbox//") {
				t.Errorf("%s example is not ready to paste:\n%s", ex.ID, ex.Code)
			}
		}
	}
}

// TestGoExampleIsGofmtedGo keeps the Go example a valid, gofmt-formatted
// program for every kind of account and language (the comments vary).
func TestGoExampleIsGofmtedGo(t *testing.T) {
	for _, lang := range locale.Supported {
		for _, a := range []Account{
			{},
			{AccountSID: testAccountSID},
			{AccountSID: testAccountSID, APIKeySID: testKeySID},
			{AccountSID: testAccountSID, Secret: testSecret, Sandbox: true, SandboxURL: "https://q.example/sandbox"},
			{AccountSID: testAccountSID, APIKeySID: testKeySID, Secret: testSecret, Sandbox: true, SandboxURL: "https://q.example/sandbox"},
		} {
			var code string
			for _, ex := range Examples(contextIn(t, lang), sendSMS(t), a) {
				if ex.ID == "go" {
					code = ex.Code
				}
			}
			formatted, err := format.Source([]byte(code))
			if err != nil {
				t.Fatalf("%s %+v: %v\n%s", lang, a, err, code)
			}
			if string(formatted) != code {
				t.Errorf("%s %+v: not gofmt-formatted:\n%s", lang, a, code)
			}
		}
	}
}

func TestShellQuote(t *testing.T) {
	tests := map[string]string{
		"Ahoy from the Twilio API!":     `'Ahoy from the Twilio API!'`,
		"Bonjour depuis l'API Twilio !": `'Bonjour depuis l'\''API Twilio !'`,
		`$HOME "x"`:                     `'$HOME "x"'`,
	}
	for in, want := range tests {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestErrorPageForEveryStatus(t *testing.T) {
	for _, lang := range locale.Supported {
		for _, p := range []ErrorProps{{Status: 400}, {Status: 403}, {Status: 404}, {Status: 405}, {Status: 413},
			{Status: 429}, {Status: 500}, {Status: 503}, {Status: 418}, {Status: 403, Messages: "error.csrf"}} {
			status := p.Status
			p.RequestID = "req-42"
			ctx := contextIn(t, lang)
			doc := parse(t, renderString(t, ctx, ErrorPage(p)))
			key := p.errorKey()
			if status == 418 && key != "error.generic" {
				t.Errorf("418 uses %s", key)
			}
			l := locale.From(ctx)
			for _, part := range []string{".title", ".help"} {
				if !l.Has(key + part) {
					t.Errorf("%s: no message %s%s", lang, key, part)
				}
			}
			if got := strings.TrimSpace(doc.Find(`[data-testid="error-title"]`).Text()); got != l.T(key+".title") {
				t.Errorf("%s %d: title %q", lang, status, got)
			}
			if got := doc.Find(`[data-testid="request-id"] code`).Text(); got != "req-42" {
				t.Errorf("%s %d: request id %q", lang, status, got)
			}
			if got, _ := doc.Find("html").Attr("lang"); got != lang {
				t.Errorf("html lang %q, want %q", got, lang)
			}
		}
	}
}

func parse(t *testing.T, html string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// messageID matches what a missing message renders as: its id.
var messageID = regexp.MustCompile(`\b(?:layout|lang|home|account|objective|examples|code|hack|form|credentials|error|reason|numbers|kind)\.[a-z0-9_.]*[a-z0-9_]`)

// TestEveryPageIsFullyTranslated renders every page in many states in each
// language and fails on any message id left in the text, so a typo in a
// key, or a key written in one language only, cannot ship.
func TestEveryPageIsFullyTranslated(t *testing.T) {
	o := sendSMS(t)
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	msg := &quest.Message{SID: "SM" + strings.Repeat("b2", 16), Status: "delivered", Direction: "outbound-api",
		To: "+15558675310", From: "+15017122661", Body: "hi", DateCreated: now}
	sub := func(r quest.Reason, m *quest.Message) quest.Submission {
		return quest.Submission{ID: 1, ObjectiveID: o.ID, SID: "SM" + strings.Repeat("b2", 16), Reason: r, Message: m, CreatedAt: now}
	}
	var pages []templ.Component
	for _, st := range []AccountStatus{{}, {SandboxPending: true}, {Saved: true}, {Saved: true, Sandbox: true}} {
		pages = append(pages, HomePage(HomeProps{Account: st, TotalXP: 100, Cards: []ObjectiveCard{
			{Objective: o}, {Objective: o, Tried: true}, {Objective: o, Award: &quest.Award{XP: 100, CreatedAt: now}},
		}}))
	}
	for _, r := range quest.Reasons {
		res := &quest.Result{Objective: o, Submission: sub(r, msg), XP: 100, RetryAfter: 3 * time.Second}
		pages = append(pages, ObjectivePage(ObjectiveProps{Objective: &o, Award: &quest.Award{CreatedAt: now},
			Account: Account{AccountSID: testAccountSID},
			Hack:    HackProps{Objective: &o, Result: res, Attempts: []quest.Submission{sub(r, nil)}}}))
	}
	for _, a := range []Account{{}, {Sandbox: true, AccountSID: testAccountSID}} {
		pages = append(pages, ObjectivePage(ObjectiveProps{Objective: &o, Account: a, Hack: HackProps{Objective: &o}}))
	}
	for _, id := range []string{"form.missing"} {
		pages = append(pages, HackPanel(HackProps{Objective: &o, FormError: id}))
	}
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range cat.All() {
		missing := cat.Missing(&other, func(string) bool { return false })
		res := &quest.Result{Objective: other, Submission: sub(quest.Awarded, msg), XP: 10, Items: other.ItemIDs()}
		pages = append(pages,
			ObjectivePage(ObjectiveProps{Objective: &other, Missing: missing, Hack: HackProps{Objective: &other, Locked: len(missing) > 0}}),
			ObjectivePage(ObjectiveProps{Objective: &other, Account: Account{Sandbox: true, AccountSID: testAccountSID},
				Hack: HackProps{Objective: &other, Result: res}}))
		pages = append(pages, HomePage(HomeProps{Cards: []ObjectiveCard{{Objective: other, Missing: missing}}}))
	}
	real := &quest.Saved{AccountSID: testAccountSID, APIKeySID: testKeySID, Last4: "WXYZ", UpdatedAt: now}
	sandbox := &quest.Saved{AccountSID: testAccountSID, Last4: "WXYZ", SandboxSecret: testSecret, Sandbox: true, UpdatedAt: now}
	pages = append(pages,
		CredentialsPage(CredentialsProps{SandboxEnabled: true}),
		CredentialsPage(CredentialsProps{Saved: real, Notice: "credentials.saved"}),
		CredentialsPage(CredentialsProps{Saved: sandbox, Notice: "credentials.sandbox_created"}),
		CredentialsPage(CredentialsProps{Notice: "credentials.deleted", Form: CredentialsForm{Error: "credentials.upstream", RetryAfter: 5}}),
		CredentialsPage(CredentialsProps{Form: CredentialsForm{Error: "form.missing"}}),
		CredentialsPage(CredentialsProps{Numbers: []string{"+15558675310"}, Notice: "numbers.added"}),
		CredentialsPage(CredentialsProps{Notice: "numbers.removed"}),
	)
	for _, problem := range []string{"required", "format", "too_many"} {
		pages = append(pages, CredentialsPage(CredentialsProps{Number: "x", NumberError: "numbers.error." + problem}))
	}
	for field, problem := range map[string]string{quest.FieldAccountSID: quest.ProblemFormat,
		quest.FieldAPIKeySID: quest.ProblemKeyIsAccount, quest.FieldSecret: quest.ProblemRejected} {
		pages = append(pages, CredentialsPage(CredentialsProps{Form: CredentialsForm{Errors: map[string]string{field: problem}}}))
	}
	for _, status := range []int{http.StatusNotFound, 599} {
		pages = append(pages, ErrorPage(ErrorProps{Status: status}))
	}

	for _, lang := range locale.Supported {
		ctx := contextIn(t, lang)
		for i, p := range pages {
			// Spaces between elements keep adjacent texts apart.
			doc := parse(t, strings.ReplaceAll(renderString(t, ctx, p), "<", " <"))
			text := doc.Text()
			doc.Find("[placeholder], [aria-label], [data-error-server], [data-error-network], [data-state-failed]").Each(
				func(_ int, s *goquery.Selection) {
					for _, a := range []string{"placeholder", "aria-label", "data-error-server", "data-error-network", "data-state-failed"} {
						v, _ := s.Attr(a)
						text += " " + v
					}
				})
			// Code examples legitimately hold dotted names (client.api…).
			doc.Find("pre").Each(func(_ int, s *goquery.Selection) { text = strings.ReplaceAll(text, s.Text(), "") })
			if ids := messageID.FindAllString(text, -1); len(ids) > 0 {
				t.Errorf("%s page %d shows message ids: %v", lang, i, ids)
			}
		}
	}
}

func TestNoInlineScriptOrStyle(t *testing.T) {
	o := sendSMS(t)
	html := renderString(t, contextIn(t, "en"), ObjectivePage(ObjectiveProps{Objective: &o, Hack: HackProps{Objective: &o}}))
	doc := parse(t, html)
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if _, ok := s.Attr("src"); !ok {
			t.Error("inline <script>")
		}
	})
	if doc.Find("style, [style]").Length() > 0 {
		t.Error("inline style")
	}
	for _, attr := range []string{"onclick", "onsubmit", "onload", "hx-on"} {
		if strings.Contains(html, attr) {
			t.Errorf("inline handler %s", attr)
		}
	}
	cfg, _ := doc.Find(`meta[name="htmx-config"]`).Attr("content")
	if !json.Valid([]byte(cfg)) {
		t.Errorf("htmx-config is not JSON: %s", cfg)
	}
	for _, want := range []string{`"includeIndicatorStyles":false`, `"code":"422","swap":true`, `"code":"429","swap":true`, `"code":"503","swap":true`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("htmx-config lacks %s: %s", want, cfg)
		}
	}
}

func TestVersion(t *testing.T) {
	if got := Version(WithVersion(context.Background(), "v1")); got != "v1" {
		t.Errorf("Version = %q", got)
	}
	if got := Version(context.Background()); got != "" {
		t.Errorf("Version without one = %q", got)
	}
}

// TestMarkdownInstructionsCannotInjectScript renders an objective whose
// Markdown carries a script and event handlers: none reaches the page.
func TestMarkdownInstructionsCannotInjectScript(t *testing.T) {
	c, err := catalog.Parse("evil.yaml", []byte(`
objectives:
  - id: evil
    kind: message
    title: {en: Evil, fr: Méchant}
    summary: {en: a, fr: b}
    instructions:
      en: "Hi <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>\n\n<script>alert(4)</script>"
      fr: b
`))
	if err != nil {
		t.Fatal(err)
	}
	o, _ := c.Get("evil")
	html := renderString(t, contextIn(t, "en"), ObjectivePage(ObjectiveProps{Objective: &o, Hack: HackProps{Objective: &o}}))
	doc := parse(t, html)
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if _, ok := s.Attr("src"); !ok {
			t.Errorf("an inline <script> reached the page: %s", html)
		}
	})
	ins := doc.Find(`[data-testid="instructions"]`)
	// Text between dropped tags stays, as inert text: only markup is removed.
	if ins.Find("img, [onerror]").Length() > 0 || strings.Contains(html, "javascript:") || strings.Contains(html, "alert(4)") {
		t.Errorf("instructions carry active content:\n%s", goquery.NewDocumentFromNode(ins.Nodes[0]).Text())
	}
	if got := strings.TrimSpace(ins.Find("p").First().Text()); !strings.HasPrefix(got, "Hi") {
		t.Errorf("the harmless text is lost: %q", got)
	}
}

func TestExamplesForEveryKind(t *testing.T) {
	c, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	ctx := contextIn(t, "en")
	call, _ := c.Get("make-call")
	mms, _ := c.Get("send-mms")
	for _, a := range []Account{{}, {Sandbox: true, AccountSID: testAccountSID, Secret: testSecret, SandboxURL: "https://q.example/sandbox"}} {
		for _, ex := range Examples(ctx, call, a) {
			if !strings.Contains(ex.Code, "voice.xml") || strings.Contains(ex.Code, "Messages") || strings.Contains(ex.Code, "messages") {
				t.Errorf("call example %s:\n%s", ex.ID, ex.Code)
			}
			if ex.ID == "go" {
				if _, err := format.Source([]byte(ex.Code)); err != nil {
					t.Errorf("call Go example does not parse: %v\n%s", err, ex.Code)
				}
			}
		}
		for _, ex := range Examples(ctx, mms, a) {
			if !strings.Contains(ex.Code, "owl.png") {
				t.Errorf("MMS example %s has no media:\n%s", ex.ID, ex.Code)
			}
			if ex.ID == "go" {
				if src, err := format.Source([]byte(ex.Code)); err != nil || string(src) != ex.Code {
					t.Errorf("MMS Go example is not gofmted Go: %v\n%s", err, ex.Code)
				}
			}
		}
	}
}

// TestExamplesCarryTheirOwnBody: where the sample body is refused, every
// example sends a body that is not the sample, the same one in every
// language's example, and says so.
func TestExamplesCarryTheirOwnBody(t *testing.T) {
	o := sendSMS(t)
	a := Account{AccountSID: testAccountSID, Secret: testSecret, Sandbox: true, SandboxURL: "https://q.example/sandbox"}
	for _, lang := range locale.Supported {
		ctx := contextIn(t, lang)
		body := playerBody(ctx, o.Samples.Value(catalog.ParamBody, lang), testAccountSID)
		if body == o.Samples.Value(catalog.ParamBody, lang) || !strings.Contains(body, "a1a1") {
			t.Fatalf("%s: player body %q", lang, body)
		}
		for _, ex := range Examples(ctx, o, a) {
			quoted := jsString(body)
			if ex.ID == "curl" {
				quoted = shellQuote("Body=" + body)
			}
			if !strings.Contains(ex.Code, quoted) || !strings.Contains(ex.Code, tr(ctx, "code.own_body")) {
				t.Errorf("%s %s example lacks the player's body %s or its comment:\n%s", lang, ex.ID, quoted, ex.Code)
			}
		}
	}
}
