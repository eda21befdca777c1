// Package typography holds the rules of French typography questgate's
// texts keep, for the tests of every package that holds French text (the
// message files in locale, the objectives in catalog): one set of rules,
// so that the two never disagree.
package typography

import (
	"fmt"
	"regexp"
)

// frenchRules are the faults of French typography a text may not hold,
// each with what it wants instead.
var frenchRules = []struct {
	re   *regexp.Regexp
	want string
}{
	{regexp.MustCompile(`[ \x{00A0}\x{2009}]+[;:!?»]`), "a narrow no-break space (U+202F), not a space, before ; : ! ? »"},
	{regexp.MustCompile(`«[^\x{202F}]`), "a narrow no-break space (U+202F) after «"},
	{regexp.MustCompile(`[^\x{202F}]»`), "a narrow no-break space (U+202F) before »"},
	{regexp.MustCompile(`[\p{L}\p{N})}…][;!?]([\s"]|$)`), "a narrow no-break space (U+202F) before ; ! ?"},
}

// FrenchFaults lists what is wrong with s: a plain, no-break or thin
// space, or none, where French wants a narrow no-break space (U+202F),
// before ; : ! ? and inside « ». A phone then never starts a line with
// "!" or ":". Empty when s is right.
func FrenchFaults(s string) []string {
	var out []string
	for _, r := range frenchRules {
		if m := r.re.FindString(s); m != "" {
			out = append(out, fmt.Sprintf("%q wants %s", m, r.want))
		}
	}
	return out
}
