package locale

import (
	"context"
	"io/fs"
	"path"
	"sort"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/questgate/questgate/internal/testkit/typography"
)

func TestEveryLanguageHasEveryMessage(t *testing.T) {
	want, err := keys(Supported[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("no messages found")
	}
	for _, lang := range Supported[1:] {
		got, err := keys(lang)
		if err != nil {
			t.Fatal(err)
		}
		var missing, extra []string
		for k := range want {
			if !got[k] {
				missing = append(missing, k)
			}
		}
		for k := range got {
			if !want[k] {
				extra = append(extra, k)
			}
		}
		sort.Strings(missing)
		sort.Strings(extra)
		if len(missing)+len(extra) > 0 {
			t.Errorf("%s: missing %v; not in %s: %v", lang, missing, Supported[0], extra)
		}
	}
}

func TestMatch(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ choice, accept, want string }{
		{"", "", "en"},
		{"", "fr-CA,fr;q=0.9,en;q=0.8", "fr"},
		{"", "de-DE,de;q=0.9", "en"},
		{"en", "fr", "en"},
		{"xx", "fr", "fr"},
		{"", "garbage;;q=x", "en"},
	}
	for _, tt := range tests {
		if got := b.Match(tt.choice, tt.accept); got != tt.want {
			t.Errorf("Match(%q, %q) = %q, want %q", tt.choice, tt.accept, got, tt.want)
		}
	}
}

// TestPluralsKeptPerLanguage: N answers a plural message the same when
// asked again (from what it kept), in the asking localizer's language and
// form, and with other data it fills the message afresh.
func TestPluralsKeptPerLanguage(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang  string
		count int
		want  string
	}{
		{"en", 0, "0 seconds"}, {"en", 1, "1 second"}, {"en", 2, "2 seconds"}, {"en", 250, "250 seconds"},
		{"fr", 0, "0 seconde"}, {"fr", 1, "1 seconde"}, {"fr", 2, "2 secondes"}, {"fr", 250, "250 secondes"},
	}
	for round := range 2 {
		for _, tt := range tests {
			l := b.Localizer(tt.lang)
			if got := l.N("duration.seconds", tt.count, nil); got != tt.want {
				t.Errorf("round %d: %s N(duration.seconds, %d) = %q, want %q", round+1, tt.lang, tt.count, got, tt.want)
			}
		}
	}
	en, fr := b.Localizer("en").N("duration.seconds", 0, nil), b.Localizer("fr").N("duration.seconds", 0, nil)
	if en == fr {
		t.Errorf("English and French share %q", en)
	}
	if _, kept := b.Localizer("en").counted.Load(countedKey{"duration.seconds", 250}); kept {
		t.Error("a count of 250 was kept")
	}
	if got := b.Localizer("en").N("duration.seconds", 3, map[string]any{"Other": "x"}); got != "3 seconds" {
		t.Errorf("N with other data = %q, want 3 seconds", got)
	}
	if _, kept := b.Localizer("en").counted.Load(countedKey{"duration.seconds", 3}); kept {
		t.Error("a message filled with other data was kept")
	}
}

func TestTWithoutLocalizerReturnsID(t *testing.T) {
	if got := T(context.Background(), "some.id"); got != "some.id" {
		t.Errorf("T = %q", got)
	}
}

// TestFrenchTypography holds every French message, today's and future
// ones (any *.fr.toml), to French typography: a narrow no-break space
// (U+202F) before ; : ! ? and inside « », never a plain or a wide
// no-break space, so that a phone never starts a line with "!" or ":".
func TestFrenchTypography(t *testing.T) {
	entries, err := fs.Glob(files, "messages/*.fr.toml")
	if err != nil || len(entries) == 0 {
		t.Fatalf("no French message files: %v", err)
	}
	for _, name := range entries {
		data, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := toml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for id, s := range texts(doc, "") {
			for _, f := range typography.FrenchFaults(s) {
				t.Errorf("%s: %s: %s", path.Base(name), id, f)
			}
		}
	}
}

// TestFrenchRules: the rules catch each fault and let good text, code and
// addresses through.
func TestFrenchRules(t *testing.T) {
	const n = "\u202f"
	for _, tt := range []struct {
		s     string
		fault bool
	}{
		{"Bravo" + n + "!", false},
		{"Attention" + n + ": le SID" + n + "; puis" + n + "?", false},
		{"«" + n + "sid" + n + "»", false},
		{"l'en-tête «" + n + "Authorization: Bearer" + n + "»", false},
		{"voir https://example.com/a?b=c", false},
		{"Bravo !", true},
		{"Bravo\u00a0!", true},
		{"Bravo!", true},
		{"Attention : oui", true},
		{"« sid »", true},
		{"«sid»", true},
		{"un ; deux", true},
	} {
		if got := len(typography.FrenchFaults(tt.s)) > 0; got != tt.fault {
			t.Errorf("%q: fault %v, want %v (%v)", tt.s, got, tt.fault, typography.FrenchFaults(tt.s))
		}
	}
}

// texts lists every message text of a parsed file by its id.
func texts(doc map[string]any, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range doc {
		switch v := v.(type) {
		case string:
			out[prefix+k] = v
		case map[string]any:
			for id, s := range texts(v, prefix+k+".") {
				out[id] = s
			}
		}
	}
	return out
}
