package catalog

import (
	"sort"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/questgate/questgate/internal/testkit/typography"
)

// TestFrenchTypography holds the objectives' own French text (titles,
// instructions, hints, sample bodies, items: every "fr:" value of the
// embedded catalog) to the rule the message files keep (package
// locale): a narrow no-break space (U+202F) before ; : ! ? and inside
// « ».
func TestFrenchTypography(t *testing.T) {
	var doc any
	if err := yaml.Unmarshal(embedded, &doc); err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{}
	frenchTexts(doc, "", texts)
	if len(texts) < 20 {
		t.Fatalf("only %d French texts found in the catalog: the walk would prove little", len(texts))
	}
	paths := make([]string, 0, len(texts))
	for p := range texts {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		for _, f := range typography.FrenchFaults(texts[p]) {
			t.Errorf("%s: %s", p, f)
		}
	}
}

// frenchTexts collects into out every string value under a key "fr" of
// v, by its path.
func frenchTexts(v any, path string, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "fr" {
				out[path] = s
				continue
			}
			frenchTexts(x, path+"."+k, out)
		}
	case []any:
		for i, x := range v {
			frenchTexts(x, path+"["+itoa(i)+"]", out)
		}
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
