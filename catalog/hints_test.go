package catalog

import (
	"strings"
	"testing"
)

func TestHints(t *testing.T) {
	const head = `
objectives:
  - id: x
    kind: message
    title: {en: a, fr: b}
    summary: {en: a, fr: b}
    instructions: {en: a, fr: b}
`
	for _, tc := range []struct {
		name, hints, problem string
	}{
		{"staged", `    hints:
      - text: {en: "Look at **sid**", fr: "Regardez **sid**"}
      - cost: 10
        text: {en: "Try <script>x()</script> again", fr: "Réessayez"}
`, ""},
		{"missing french", `    hints:
      - text: {en: "Look"}
`, `hints[0].text: missing the "fr" text`},
		{"negative cost", `    hints:
      - cost: -1
        text: {en: a, fr: b}
`, "hints[0].cost: -1"},
		{"unknown field", `    hints:
      - price: 3
        text: {en: a, fr: b}
`, "price"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("t.yaml", []byte(head+tc.hints))
			if tc.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tc.problem) {
					t.Fatalf("err = %v, want one saying %q", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			o, _ := c.Get("x")
			if len(o.Hints) != 2 || o.Hints[1].Cost != 10 {
				t.Fatalf("hints = %+v", o.Hints)
			}
			if h := o.Hints[0].HTML("fr"); !strings.Contains(h, "<strong>sid</strong>") {
				t.Errorf("hint 1 in French = %q", h)
			}
			if h := o.Hints[1].HTML("en"); strings.Contains(h, "<script") || !strings.Contains(h, "Try") {
				t.Errorf("hint 2 = %q", h)
			}
		})
	}
}
