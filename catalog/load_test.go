package catalog

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func mustDefault(t *testing.T) *Catalog {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatalf("embedded catalog is invalid: %v", err)
	}
	return c
}

func ids(c *Catalog) []string {
	var out []string
	for _, o := range c.All() {
		out = append(out, o.ID)
	}
	return out
}

// TestEmbeddedCatalogShipsEveryKind checks the five shipped objectives and
// what makes each one what it is.
func TestEmbeddedCatalogShipsEveryKind(t *testing.T) {
	c := mustDefault(t)
	if diff := cmp.Diff([]string{"send-sms", "send-mms", "make-call", "reply-sms", "send-whatsapp", "wire-number", "messaging-service", "verify-phone"}, ids(c)); diff != "" {
		t.Errorf("objectives (-want +got):\n%s", diff)
	}
	mms, _ := c.Get("send-mms")
	if mms.Checks.MinMedia != 1 || !mms.AcceptsPrefix("MM") || mms.AcceptsPrefix("SM") || mms.Samples.MediaURL == "" {
		t.Errorf("send-mms = %+v", mms)
	}
	call, _ := c.Get("make-call")
	if call.Kind != KindCall || !call.AcceptsPrefix("CA") || call.Samples.URL == "" {
		t.Errorf("make-call = %+v", call)
	}
	wa, _ := c.Get("send-whatsapp")
	if wa.Kind != KindWhatsApp || !wa.AcceptsPrefix("SM") || wa.Spec().Channel != "whatsapp" ||
		wa.Samples.From != "whatsapp:+14155238886" || !slices.Equal(wa.Prerequisites, []string{"send-sms"}) {
		t.Errorf("send-whatsapp = %+v", wa)
	}
	reply, _ := c.Get("reply-sms")
	for _, d := range []string{"outbound-reply", "outbound-api"} {
		if !strings.Contains(strings.Join(reply.Checks.DirectionIn, " "), d) {
			t.Errorf("reply-sms does not accept %s", d)
		}
	}
	if reply.Checks.RegisteredNumber != PartyTo || reply.MaxAttempts == 0 || reply.Window != 10*time.Minute {
		t.Errorf("reply-sms checks = %+v, limit %d per %s", reply.Checks, reply.MaxAttempts, reply.Window)
	}
	for _, o := range c.All() {
		for _, l := range Locales {
			if html := o.InstructionsHTML(l); !strings.Contains(html, "<p>") {
				t.Errorf("%s %s instructions not rendered: %q", o.ID, l, html)
			}
		}
	}
}

func TestMarkdownIsRenderedSafely(t *testing.T) {
	const src = `
objectives:
  - id: x
    kind: message
    title: {en: a, fr: b}
    summary: {en: a, fr: b}
    instructions:
      en: |
        # Big title

        Hello <script>alert("pwned")</script> **world**, <img src=x onerror="alert(1)">
        see [the docs](https://www.twilio.com/docs "Docs") or [this](javascript:alert(1)) and <https://example.com>.

        <div onclick="x()">raw block</div>
      fr: Bonjour
`
	c, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	o, _ := c.Get("x")
	html := o.InstructionsHTML("en")
	for _, bad := range []string{"<script", "onerror", "<img", "javascript:", "onclick", "<div", "<h1"} {
		if strings.Contains(html, bad) {
			t.Errorf("rendered HTML holds %q:\n%s", bad, html)
		}
	}
	for _, want := range []string{"<h3>Big title</h3>", "<strong>world</strong>",
		`<a href="https://www.twilio.com/docs" title="Docs" rel="nofollow noopener">the docs</a>`,
		`<a href="https://example.com" rel="nofollow noopener">`} {
		if !strings.Contains(html, want) {
			t.Errorf("rendered HTML lacks %q:\n%s", want, html)
		}
	}
	// Hand-built objectives (tests, tools) render on demand, as safely.
	hand := Objective{Instructions: Text{"en": "*hi* <script>x()</script>"}}
	if got := hand.InstructionsHTML("fr"); strings.Contains(got, "<script") || !strings.Contains(got, "<em>hi</em>") {
		t.Errorf("hand-built objective renders %q", got)
	}
}

const extension = `mode: extend
remove: [reply-sms]
objectives:
  - id: send-sms
    kind: message
    sid_prefixes: [SM]
    xp: 5
    title: {en: Mine, fr: La mienne}
    summary: {en: a, fr: b}
    instructions: {en: a, fr: b}
  - id: workshop-bonus
    kind: message
    prerequisites: [send-mms, make-call]
    max_attempts: 3
    title: {en: Bonus, fr: Bonus}
    summary: {en: a, fr: b}
    instructions: {en: a, fr: b}
`

func TestLoadExtendsOrReplaces(t *testing.T) {
	base := mustDefault(t)
	c, err := Load("mine.yaml", []byte(extension), base)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"send-sms", "send-mms", "make-call", "send-whatsapp", "wire-number", "messaging-service", "verify-phone", "workshop-bonus"}, ids(c)); diff != "" {
		t.Errorf("extended objectives (-want +got):\n%s", diff)
	}
	if o, _ := c.Get("send-sms"); o.XP != 5 || o.Title.In("en") != "Mine" {
		t.Errorf("send-sms was not replaced in place: %+v", o)
	}
	if o, _ := c.Get("workshop-bonus"); o.MaxAttempts != 3 || o.Window != 0 {
		t.Errorf("workshop-bonus limits = %d per %s", o.MaxAttempts, o.Window)
	}

	replaced, err := Load("mine.yaml", []byte(strings.Replace(strings.Replace(extension, "mode: extend", "mode: replace", 1),
		"remove: [reply-sms]\n", "", 1)), base)
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("replace keeping prerequisites on dropped objectives: %v, %v", replaced, err)
	}
	for _, e := range errs {
		if e.Line != 12 || !strings.Contains(e.Error(), "is not an objective (allowed: send-sms, workshop-bonus)") {
			t.Errorf("error %v, want line 12 and the allowed ids", e)
		}
	}
	// The embedded catalog is untouched by either.
	if o, _ := base.Get("send-sms"); o.XP != 100 {
		t.Errorf("base changed: %+v", o)
	}
}

// TestLoadErrorsArePlaced checks that each problem names the file, the
// line and column, the field and what is allowed.
func TestLoadErrorsArePlaced(t *testing.T) {
	base := mustDefault(t)
	good := func(extra string) string {
		return "objectives:\n" +
			"  - id: x\n" + //                 line 2
			"    kind: message\n" + //         line 3
			"    title: {en: a, fr: b}\n" + // line 4
			"    summary: {en: a, fr: b}\n" +
			"    instructions: {en: a, fr: b}\n" + // line 6
			extra
	}
	tests := []struct {
		name      string
		yaml      string
		line      int
		field     string
		mentioned string
	}{
		{"unknown kind", strings.Replace(good(""), "kind: message", "kind: fax", 1), 3, "objectives[0].kind", `"fax" is not supported (allowed: message, call, whatsapp, phone_number, messaging_service, verification)`},
		{"unknown field", good("    colour: red\n"), 7, "", `unknown field "colour"`},
		{"wrong type", good("    xp: lots\n"), 7, "", "of type int"},
		{"bad status", good("    checks:\n      status_not_in: [failed, lost]\n"), 8, "objectives[0].checks.status_not_in[1]", `"lost" is not a message status (allowed: queued,`},
		{"call direction on a message", good("    checks:\n      direction_in: [outbound-dial]\n"), 8, "objectives[0].checks.direction_in[0]", "outbound-api, outbound-call"},
		{"webhook check on a message", good("    checks:\n      webhook_answers: true\n"), 8, "objectives[0].checks.webhook_answers", "only applies to kind phone_number"},
		{"channel check on a message", good("    checks:\n      channel_in: [sms]\n"), 8, "objectives[0].checks.channel_in", "only applies to kind verification"},
		{"unknown webhook", strings.Replace(good("    checks:\n      webhook: fax\n"), "kind: message", "kind: phone_number", 1), 8, "objectives[0].checks.webhook", `"fax" is not a webhook`},
		{"bad regexp", good("    checks:\n      body_matches: \"(owl\"\n"), 8, "objectives[0].checks.body_matches", "not an RE2 regular expression"},
		{"body check on a call", strings.Replace(good("    checks:\n      body_contains: hi\n"), "kind: message", "kind: call", 1), 8, "objectives[0].checks.body_contains", "only applies to kind message"},
		{"bad party", good("    checks:\n      registered_number: me\n"), 8, "objectives[0].checks.registered_number", "(allowed: to, from, either)"},
		{"prefix of another kind", good("    sid_prefixes: [SM, CA]\n"), 7, "objectives[0].sid_prefixes[1]", `"CA" is not a SID prefix of a message (allowed: SM, MM`},
		{"missing French", strings.Replace(good(""), "title: {en: a, fr: b}", "title: {en: a}", 1), 4, "objectives[0].title", `missing the "fr" text`},
		{"unknown language", strings.Replace(good(""), "title: {en: a, fr: b}", "title: {en: a, fr: b, de: c}", 1), 4, "objectives[0].title.de", `"de" is not a supported language`},
		{"bad window", good("    max_attempts: 3\n    attempts_window: soon\n"), 8, "objectives[0].attempts_window", `"soon" is not a duration`},
		{"window without max", good("    attempts_window: 5m\n"), 7, "objectives[0].attempts_window", "needs max_attempts"},
		{"negative max", good("    max_attempts: -1\n"), 7, "objectives[0].max_attempts", "must be 1 or more"},
		{"unknown prerequisite", good("    prerequisites: [send-sms, send-fax]\n"), 7, "objectives[0].prerequisites[1]", `"send-fax" is not an objective (allowed: send-sms,`},
		{"own prerequisite", good("    prerequisites: [x]\n"), 7, "objectives[0].prerequisites[0]", "cannot be its own prerequisite"},
		{"unknown proof to reuse", good("    reuses_proof_of: [send-fax]\n"), 7, "objectives[0].reuses_proof_of[0]", `"send-fax" is not an objective (allowed: send-sms,`},
		{"own proof to reuse", good("    reuses_proof_of: [x]\n"), 7, "objectives[0].reuses_proof_of[0]", "always accepts its own proof"},
		{"proof reused twice", good("    reuses_proof_of: [send-sms, send-sms]\n"), 7, "objectives[0].reuses_proof_of[1]", `"send-sms" is listed twice`},
		{"proof of another kind", good("    reuses_proof_of: [make-call]\n"), 7, "objectives[0].reuses_proof_of[0]", `"make-call" is a call objective and this one a message`},
		{"item without French name", good("    items:\n      - id: hat\n        name: {en: Hat}\n"), 9, "objectives[0].items[0].name", `missing the "fr" name`},
		{"bad sample number", good("    samples:\n      to: \"555\"\n"), 8, "objectives[0].samples.to", "E.164"},
		{"channel address for a plain message", good("    samples:\n      to: \"whatsapp:+15558675310\"\n"), 8, "objectives[0].samples.to", "E.164"},
		{"plain number for a WhatsApp message", strings.Replace(good("    samples:\n      from: \"+14155238886\"\n"), "kind: message", "kind: whatsapp", 1), 8,
			"objectives[0].samples.from", `"+14155238886" is not a whatsapp address: whatsapp: and a phone number`},
		{"malformed WhatsApp number", strings.Replace(good("    samples:\n      to: \"whatsapp:555\"\n"), "kind: message", "kind: whatsapp", 1), 8,
			"objectives[0].samples.to", "such as whatsapp:+15017122661"},
		{"bad mode", "mode: merge\n" + good(""), 1, "mode", `"merge" is not a mode (allowed: extend, the default, or replace)`},
		{"remove unknown", "remove: [send-fax]\n" + good(""), 1, "remove[0]", `"send-fax" is not an embedded objective`},
		{"remove a prerequisite", "remove: [send-sms]\n" + good(""), 1, "remove[0]", `"send-sms" is a prerequisite of the embedded objective "send-mms"`},
		{"syntax", "objectives: [\n", 1, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("workshop.yaml", []byte(tt.yaml), base)
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("Load error = %v, want Errors", err)
			}
			e := errs[0]
			if e.File != "workshop.yaml" || e.Line != tt.line || e.Column == 0 || e.Field != tt.field || !strings.Contains(e.Message, tt.mentioned) {
				t.Errorf("error = %#v\n%v\nwant line %d field %q mentioning %q", e, e, tt.line, tt.field, tt.mentioned)
			}
			if !regexp.MustCompile(`^workshop\.yaml:\d+:\d+: `).MatchString(err.Error()) {
				t.Errorf("error text %q does not start with file:line:column", err)
			}
		})
	}
}

func TestPrerequisiteCycle(t *testing.T) {
	obj := func(id, pre string) string {
		return "  - id: " + id + "\n    kind: call\n    prerequisites: [" + pre + "]\n" +
			"    title: {en: a, fr: b}\n    summary: {en: a, fr: b}\n    instructions: {en: a, fr: b}\n"
	}
	src := "objectives:\n" + obj("a", "c") + obj("b", "a") + obj("c", "b")
	_, err := Parse("cycle.yaml", []byte(src))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("Parse = %v, want one error", err)
	}
	if e := errs[0]; e.Line != 4 || e.Field != "objectives[0].prerequisites[0]" || !strings.Contains(e.Message, "cycle (a → c → b → a)") {
		t.Errorf("error = %v", e)
	}
	// Replacing an embedded objective can close a cycle too.
	loop := `objectives:
  - id: send-sms
    kind: message
    prerequisites: [make-call]
    title: {en: a, fr: b}
    summary: {en: a, fr: b}
    instructions: {en: a, fr: b}
`
	_, err = Load("loop.yaml", []byte(loop), mustDefault(t))
	if err == nil || !strings.Contains(err.Error(), "loop.yaml:4:") || !strings.Contains(err.Error(), "send-sms → make-call → send-sms") {
		t.Errorf("Load = %v, want a cycle on line 4", err)
	}
}

// TestProofSharers: an objective shares its proof only with those the
// catalog names, both ways; the embedded catalog names none, so one SMS
// never wins both send-sms and reply-sms.
func TestProofSharers(t *testing.T) {
	base := mustDefault(t)
	for _, o := range base.All() {
		if got := base.ProofSharers(o.ID); len(got) != 0 {
			t.Errorf("embedded %s shares its proof with %v", o.ID, got)
		}
	}
	const src = `objectives:
  - id: echo-sms
    kind: message
    reuses_proof_of: [send-sms]
    title: {en: a, fr: b}
    summary: {en: a, fr: b}
    instructions: {en: a, fr: b}
`
	c, err := Load("echo.yaml", []byte(src), base)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string][]string{"echo-sms": {"send-sms"}, "send-sms": {"echo-sms"}, "reply-sms": nil} {
		if got := c.ProofSharers(id); !cmp.Equal(got, want, cmpopts.EquateEmpty()) {
			t.Errorf("ProofSharers(%s) = %v, want %v", id, got, want)
		}
	}
	if !strings.Contains(c.Summary(), "reuses proof of send-sms") {
		t.Errorf("the summary does not say which proof is reused:\n%s", c.Summary())
	}
}

func TestMissingPrerequisites(t *testing.T) {
	c := mustDefault(t)
	mms, _ := c.Get("send-mms")
	held := map[string]bool{}
	if got := c.Missing(&mms, func(id string) bool { return held[id] }); len(got) != 1 || got[0].ID != "send-sms" {
		t.Errorf("Missing = %v, want send-sms", got)
	}
	if !c.Locked(&mms, func(id string) bool { return held[id] }) {
		t.Error("send-mms is not locked without send-sms")
	}
	held["send-sms"] = true
	if got := c.Missing(&mms, func(id string) bool { return held[id] }); len(got) != 0 {
		t.Errorf("Missing after send-sms = %v", got)
	}
	if c.Locked(&mms, func(id string) bool { return held[id] }) {
		t.Error("send-mms is still locked after send-sms")
	}
}

// TestObjectivesWalksTheCatalogsOwn checks that Objectives yields what
// All lists, in its order, and stops when asked to.
func TestObjectivesWalksTheCatalogsOwn(t *testing.T) {
	c := mustDefault(t)
	var ids []string
	for o := range c.Objectives() {
		if own, _ := c.Lookup(o.ID); own != o {
			t.Errorf("Objectives yielded a copy of %s, not the catalog's own", o.ID)
		}
		ids = append(ids, o.ID)
	}
	var want []string
	for _, o := range c.All() {
		want = append(want, o.ID)
	}
	if !cmp.Equal(ids, want) {
		t.Errorf("Objectives = %v, want %v", ids, want)
	}
	for range c.Objectives() {
		break
	}
}

// TestDocumentedExampleLoads loads the complete example of
// docs/objectives.md, so the documentation cannot drift from the code.
func TestDocumentedExampleLoads(t *testing.T) {
	doc, err := os.ReadFile("../docs/objectives.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- example: workshop.yaml -->\\s*```yaml\\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/objectives.md has no example marked <!-- example: workshop.yaml -->")
	}
	c, err := Load("workshop.yaml", m[1], mustDefault(t))
	if err != nil {
		t.Fatalf("the documented example does not load:\n%v", err)
	}
	if len(c.All()) < 4 {
		t.Errorf("example catalog has %d objectives", len(c.All()))
	}
	for _, o := range c.All() {
		if o.Kind == "" {
			t.Errorf("%s has no kind", o.ID)
		}
	}
	if !strings.Contains(c.Summary(), "objectives:") {
		t.Errorf("Summary = %q", c.Summary())
	}
}
