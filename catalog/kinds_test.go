package catalog

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEveryKindIsComplete keeps each row of the kinds table whole: a kind
// missing a text or an example name would show an id or broken code to
// players rather than fail here.
func TestEveryKindIsComplete(t *testing.T) {
	if len(Kinds) != len(Specs()) || len(Kinds) == 0 {
		t.Fatalf("Kinds = %v, specs = %d", Kinds, len(Specs()))
	}
	for i, s := range Specs() {
		if Kinds[i] != s.Kind {
			t.Errorf("Kinds[%d] = %q, table row %q", i, Kinds[i], s.Kind)
		}
		if got, ok := SpecOf(s.Kind); !ok || got.Resource != s.Resource {
			t.Errorf("SpecOf(%q) = %+v, %v", s.Kind, got, ok)
		}
		// A message or a call has directions and statuses; the kinds
		// beyond them (a phone number, a service) may have neither.
		if s.Resource == "" || len(s.Prefixes) == 0 || s.Resource == "Messages" && (len(s.Directions) == 0 || len(s.Statuses) == 0) {
			t.Errorf("%s: resource %q, prefixes %v, directions %v, statuses %v", s.Kind, s.Resource, s.Prefixes, s.Directions, s.Statuses)
		}
		for _, p := range s.Prefixes {
			if !prefixPattern.MatchString(p) {
				t.Errorf("%s: prefix %q is not two capital letters", s.Kind, p)
			}
		}
		tx := s.Texts
		for name, id := range map[string]string{"label": tx.Label, "hint": tx.Hint, "success": tx.Success,
			"date": tx.Date, "copy sid": tx.CopySID, "samples heading": tx.SamplesHeading} {
			if id == "" {
				t.Errorf("%s: no %s text", s.Kind, name)
			}
		}
		if s.Steps < 1 {
			t.Errorf("%s: Steps %d", s.Kind, s.Steps)
		}
		if !s.HasExamples() {
			// Several requests: the objectives' instructions show them.
			continue
		}
		ex := s.Example
		if ex.Var == "" || ex.Python == "" || ex.Node == "" || ex.GoParams == "" || ex.GoCreate == "" {
			t.Errorf("%s: example names %+v", s.Kind, ex)
		}
		var params []string
		for _, f := range s.Samples {
			params = append(params, f.Param)
			if f.Help == "" || f.Python == "" || f.Node == "" || f.Go == "" {
				t.Errorf("%s: sample field %+v is incomplete", s.Kind, f)
			}
		}
		if !s.ByNumber && (!slices.Contains(params, ParamTo) || !slices.Contains(params, ParamFrom)) {
			t.Errorf("%s: samples %v lack To or From", s.Kind, params)
		}
		if slices.Contains(params, ParamBody) != s.HasBody {
			t.Errorf("%s: HasBody %v but samples %v", s.Kind, s.HasBody, params)
		}
	}
}

// TestObjectivesSpeakOfTheirKind checks what the panels are built from:
// the make-call objective, which names no sid_prefixes, is a call (CA)
// everywhere, not a message (SM).
func TestObjectivesSpeakOfTheirKind(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id, placeholder, prefix, heading, label, resource string
		params                                            []string
	}{
		{"send-sms", "SMXXXX…", "SM", "objective.samples_heading", "hack.label", "Messages", []string{"Body", "To", "From"}},
		{"send-mms", "MMXXXX…", "MM", SamplesHeadingValues, "hack.label", "Messages", []string{"Body", "To", "From", "MediaUrl"}},
		{"reply-sms", "SMXXXX…", "SM / MM", "objective.samples_heading", "hack.label", "Messages", []string{"Body", "To", "From"}},
		{"make-call", "CAXXXX…", "CA", SamplesHeadingValues, "hack.label_call", "Calls", []string{"To", "From", "Url"}},
		{"send-whatsapp", "SMXXXX…", "SM / MM", "kind.whatsapp.samples_heading", "kind.whatsapp.label", "Messages", []string{"Body", "To", "From"}},
	}
	for _, tt := range tests {
		o, ok := c.Get(tt.id)
		if !ok {
			t.Fatalf("no %s", tt.id)
		}
		var params []string
		for _, f := range o.SampleFields() {
			params = append(params, f.Param)
		}
		if got := o.Placeholder(); got != tt.placeholder {
			t.Errorf("%s placeholder = %q, want %q", tt.id, got, tt.placeholder)
		}
		if got := o.PrefixText(); got != tt.prefix {
			t.Errorf("%s prefix = %q, want %q", tt.id, got, tt.prefix)
		}
		if got := o.SamplesHeading(); got != tt.heading {
			t.Errorf("%s samples heading = %q, want %q", tt.id, got, tt.heading)
		}
		if got := o.Spec().Texts.Label; got != tt.label {
			t.Errorf("%s label = %q, want %q", tt.id, got, tt.label)
		}
		if got := o.Spec().Resource; got != tt.resource {
			t.Errorf("%s resource = %q, want %q", tt.id, got, tt.resource)
		}
		if !slices.Equal(params, tt.params) {
			t.Errorf("%s sample fields = %v, want %v", tt.id, params, tt.params)
		}
	}
	if got := new(Objective{}).Placeholder(); got != "SMXXXX…" {
		t.Errorf("a hand-built objective's placeholder = %q, want a message's", got)
	}
}

// TestOnChannel checks what the verifier asks of a resource's addresses:
// a WhatsApp objective's must carry whatsapp:, a plain SMS's (no channel)
// none.
func TestOnChannel(t *testing.T) {
	wa, _ := SpecOf(KindWhatsApp)
	sms, _ := SpecOf(KindMessage)
	tests := []struct {
		spec    KindSpec
		address string
		want    bool
	}{
		{wa, "whatsapp:+15558675310", true},
		{wa, " whatsapp:+14155238886 ", true},
		{wa, "+15558675310", false},
		{wa, "messenger:1234567", false},
		{wa, "WhatsApp", false},
		{wa, "", false},
		{sms, "+15558675310", true},
		{sms, "whatsapp:+15558675310", false},
	}
	for _, tt := range tests {
		if got := tt.spec.OnChannel(tt.address); got != tt.want {
			t.Errorf("%s OnChannel(%q) = %v, want %v", tt.spec.Kind, tt.address, got, tt.want)
		}
	}
}

// TestNoKindComparisonOutsideCatalog keeps the kinds table the one place
// where kinds differ: production code elsewhere never names a kind.
func TestNoKindComparisonOutsideCatalog(t *testing.T) {
	// The kind constants are the constants of type Kind declared here.
	f, err := parser.ParseFile(token.NewFileSet(), "kinds.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
			for _, spec := range g.Specs {
				v := spec.(*ast.ValueSpec)
				if id, ok := v.Type.(*ast.Ident); ok && id.Name == "Kind" {
					for _, n := range v.Names {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	if len(names) != len(Kinds) {
		t.Fatalf("found kind constants %v, want one per kind %v", names, Kinds)
	}
	// A use of a kind constant, or a conversion to Kind: outside this
	// package, code asks the objective's Spec instead.
	kindComparison := regexp.MustCompile(`catalog\.(?:` + strings.Join(names, "|") + `)\b|catalog\.Kind\(`)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "catalog" || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, "_templ.go") ||
			(!strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, ".templ")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := kindComparison.FindString(line); m != "" {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s:%d names %s: ask the objective's Spec() instead", rel, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
