package quest_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/questgate/questgate/quest"
)

func TestMaskSecrets(t *testing.T) {
	const (
		tok = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
		sm  = "SM0123456789abcdef0123456789abcdef"
	)
	tests := []struct {
		name  string
		raw   string
		known []string
		want  string
		hit   bool
	}{
		{"a SID", sm, nil, sm, false},
		{"a SID in quotes", ` "` + sm + `". `, nil, ` "` + sm + `". `, false},
		{"an Account SID", "AC" + tok, nil, "AC" + tok, false},
		{"a SID cut short", sm[:33], nil, sm[:33], false},
		{"a SID two digits short", sm[:32], nil, sm[:32], false},
		{"an upper-cased token that starts like a SID", "CA" + strings.ToUpper(tok[2:]), nil, "****e1f0", true},
		{"an Auth Token", tok, nil, "****e1f0", true},
		{"an Auth Token upper-cased", strings.ToUpper(tok), nil, "****e1f0", true},
		{"an API key secret", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE", nil, "****c1de", true},
		{"two tokens around a colon", tok + ":" + tok, nil, "****e1f0:****e1f0", true},
		{"a known secret, in another case, glued to a prefix", "SM" + strings.ToUpper(tok), []string{tok}, "SM****e1f0", true},
		{"a known secret twice, once upper-cased", tok + " " + strings.ToUpper(tok), []string{tok}, "****e1f0 ****e1f0", true},
		{"a known secret with a Kelvin sign for its k", "kkk" + strings.Repeat("x", 13), []string{"k\u212ak" + strings.Repeat("x", 13)}, "****xxxx", true},
		{"a known secret after accented letters", "éé" + "sk0123456789abcdefXY", []string{"SK0123456789ABCDEFxy"}, "éé****efxy", true},
		{"a paste shorter than a known secret", "sk01", []string{"SK0123456789ABCDEFxy"}, "sk01", false},
		{"a short known secret is not looked for", "abcdabcd", []string{"abcdabcd"}, "abcdabcd", false},
		{"a token split by a zero-width space", tok[:5] + "\u200b" + tok[5:], nil, "****e1f0", true},
		{"a SID joined by a zero-width space after its prefix", "SM\u200b" + tok, nil, "SM****e1f0", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, hit := quest.MaskSecrets(tt.raw, tt.known...)
			if got != tt.want || hit != tt.hit {
				t.Errorf("MaskSecrets(%q) = %q, %v; want %q, %v", tt.raw, got, hit, tt.want, tt.hit)
			}
		})
	}
}

// FuzzMaskKnown checks the scan for a known secret against what it
// replaced, a case-insensitive regular expression of the secret: the same
// text, masked in the same places.
func FuzzMaskKnown(f *testing.F) {
	f.Add("SM0f1e2d3c4b5a69788796a5b4c3d2e1f0", "0F1E2D3C4B5A6978")
	f.Add("kkk xxxx KKK", "k\u212ak")
	f.Add("ßſs straße STRASSE", "ſS")
	f.Add("", "ab")
	f.Fuzz(func(t *testing.T, s, k string) {
		s, k = strings.ToValidUTF8(s, "\uFFFD"), strings.ToValidUTF8(k, "\uFFFD")
		if len(k) < 4 {
			return // masked keeps the last four bytes
		}
		re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(k))
		want, wantHit := s, re.MatchString(s)
		if wantHit {
			want = re.ReplaceAllLiteralString(s, "****"+strings.ToLower(k[len(k)-4:]))
		}
		got, hit := quest.MaskKnown(s, k)
		if got != want || hit != wantHit {
			t.Errorf("MaskKnown(%q, %q) = %q, %v; the regular expression gives %q, %v", s, k, got, hit, want, wantHit)
		}
	})
}
