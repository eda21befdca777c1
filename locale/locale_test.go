package locale

import (
	"context"
	"sort"
	"testing"
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

func TestTWithoutLocalizerReturnsID(t *testing.T) {
	if got := T(context.Background(), "some.id"); got != "some.id" {
		t.Errorf("T = %q", got)
	}
}
