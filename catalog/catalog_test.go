package catalog

import (
	"strings"
	"testing"
)

func TestDefaultCatalogShipsSendSMS(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatalf("embedded catalog is invalid: %v", err)
	}
	o, ok := c.Get("send-sms")
	if !ok {
		t.Fatal("send-sms is missing")
	}
	if got := o.Title.In("fr"); got != "Envoyer un SMS" {
		t.Errorf("French title = %q", got)
	}
	if !o.AcceptsPrefix("SM") || o.AcceptsPrefix("MM") {
		t.Errorf("send-sms prefixes = %v, want only SM", o.SIDPrefixes)
	}
	if len(o.Samples.Body.All()) != len(Locales) {
		t.Errorf("sample bodies = %v, want one per locale", o.Samples.Body)
	}
}

func TestParseRejectsBadCatalogs(t *testing.T) {
	const good = `
objectives:
  - id: x
    kind: message
    sid_prefixes: [SM]
    title: {en: a, fr: b}
    summary: {en: a, fr: b}
    instructions: {en: a, fr: b}
`
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "objectives: []", "no objectives"},
		{"unknown field", strings.Replace(good, "xp", "xpp", 1) + "    colour: red\n", "colour"},
		{"bad kind", strings.Replace(good, "kind: message", "kind: fax", 1), `kind: "fax" is not supported`},
		{"missing French", strings.Replace(good, "title: {en: a, fr: b}", "title: {en: a}", 1), `title: missing the "fr" text`},
		{"bad prefix", strings.Replace(good, "[SM]", "[sm]", 1), `"sm" is not two capital letters`},
		{"duplicate id", good + strings.TrimPrefix(good, "\nobjectives:\n"), `"x" is already the id of objective 1`},
		{"bad yaml", "objectives: [", "catalog.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("catalog.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := Parse("ok.yaml", []byte(good)); err != nil {
		t.Fatalf("good catalog rejected: %v", err)
	}
}
