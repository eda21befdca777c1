package quest

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

const hex32 = "0123456789abcdef0123456789abcdef"

func TestNormalize(t *testing.T) {
	sm := "SM" + hex32
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"only space", " \t\n\u00a0 ", ""},
		{"clean", sm, sm},
		{"spaces and newlines", "  \t" + sm + "\r\n", sm},
		{"NBSP and narrow NBSP", "\u00a0" + sm + "\u202f", sm},
		{"double quotes", `"` + sm + `"`, sm},
		{"single quotes", "'" + sm + "'", sm},
		{"backticks", "`" + sm + "`", sm},
		{"curly double quotes", "“" + sm + "”", sm},
		{"curly single quotes", "‘" + sm + "’", sm},
		{"guillemets with spaces", "« " + sm + " »", sm},
		{"single guillemets", "‹" + sm + "›", sm},
		{"nested quotes", "\"'`" + sm + "`'\"", sm},
		{"one-sided quote", "\"" + sm, sm},
		{"trailing period", sm + ".", sm},
		{"trailing comma", sm + ",", sm},
		{"period outside quotes", `"` + sm + `".`, sm},
		{"period inside quotes", `"` + sm + `."`, sm},
		{"zero-width space inside", "SM0123\u200b456789abcdef0123456789abcdef", sm},
		{"zero-width joiners", "\u200cSM" + hex32 + "\u200d", sm},
		{"word joiner", "SM\u2060" + hex32, sm},
		{"byte-order mark", "\ufeff" + sm, sm},
		{"zero-width between quote and space", "\" \u200b" + sm + "\u200b \"", sm},
		{"lower-case prefix", "sm" + hex32, sm},
		{"upper-case hex", "SM" + strings.ToUpper(hex32), sm},
		{"mixed case", "sM" + "0123456789ABCDEF0123456789abcdef", sm},
		{"other resource folded too", "ac" + strings.ToUpper(hex32), "AC" + hex32},
		{"short value keeps its case", "sm12AB", "sm12AB"},
		{"non-hex keeps its case", "SM" + strings.Repeat("Z", 32), "SM" + strings.Repeat("Z", 32)},
		{"inner space kept", "SM01 23", "SM01 23"},
		{"leading period kept", ".SM" + hex32, ".SM" + hex32},
		{"invalid UTF-8", "\xff" + sm, "\ufffd" + sm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, seed := range []string{
		"", " ", "SM" + hex32, "\u00a0“sm" + strings.ToUpper(hex32) + "”.\u200b", "« SM123 »,",
		"\ufeff'`\"", "..,,", "\xff\xfe", "SM\u200b\u200c\u200d\u2060\ufeff", "a\u00adb",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := Normalize(raw)
		if again := Normalize(got); again != got {
			t.Errorf("not idempotent: Normalize(%q) = %q, then %q", raw, got, again)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Normalize(%q) = %q: invalid UTF-8", raw, got)
		}
		if got == "" {
			return
		}
		first, _ := utf8.DecodeRuneInString(got)
		last, _ := utf8.DecodeLastRuneInString(got)
		if unicode.IsSpace(first) || unicode.IsSpace(last) {
			t.Errorf("Normalize(%q) = %q: leading or trailing space", raw, got)
		}
		if strings.IndexFunc(got, invisible) >= 0 {
			t.Errorf("Normalize(%q) = %q: invisible character left", raw, got)
		}
	})
}

func TestCheckSIDDefaultsToMessagePrefixes(t *testing.T) {
	for _, sid := range []string{"SM" + hex32, "MM" + hex32} {
		if r, d := CheckSID(sid, nil); r != "" {
			t.Errorf("checkSID(%q, nil) = %q, %q; want accepted", sid, r, d)
		}
	}
	if r, d := CheckSID("AC"+hex32, nil); r != WrongResource || d != DetailAccount {
		t.Errorf("checkSID(AC…, nil) = %q, %q", r, d)
	}
}
