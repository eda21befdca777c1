package quest

import (
	"strings"
	"unicode/utf8"
)

// secretLen is the length of every Twilio secret a player could paste by
// mistake: an Auth Token is 32 hexadecimal digits, an API key's secret 32
// letters and digits. A SID is 34 (two letters, then 32 hexadecimal
// digits), so a run of exactly 32 is never one.
const secretLen = 32

// minKnownSecretLen is the length from which a known secret (the player's
// own) is looked for inside what was pasted: shorter ones (never
// Twilio's) could match by chance.
const minKnownSecretLen = 16

// MaskSecrets hides anything in a player's paste that is or looks like a
// secret, before the paste goes anywhere (the database, a log line, a
// page, the live view, a webhook): the player may have pasted a real
// token, and a token seen by anyone else must be rotated.
//
// It masks, in any case, every occurrence of the known secrets (the
// player's own, at least minKnownSecretLen long), and every run of exactly
// 32 ASCII letters and digits that other letters or digits do not extend:
// an Auth Token's or an API key secret's shape, whoever's it is; except a
// SID cut short by two digits (an upper-case prefix such as SM, then 30
// lower-case hexadecimal digits), a player's mistake the verifier has
// better help for, and a shape no token has (Twilio writes tokens in
// lower case, and an upper-cased one has upper-case digits too). Runs are
// looked for both in raw and in raw cleaned as Normalize cleans it (an
// invisible character may split or join them). Each masked secret becomes
// "****" and its last four characters, enough for the player to tell which
// one it was.
//
// When nothing is masked it returns raw unchanged and false. Otherwise it
// returns the cleaned, masked text and true: the paste is then no SID, and
// only the masked text may be kept.
func MaskSecrets(raw string, known ...string) (string, bool) {
	s, hit := maskRuns(strings.ToValidUTF8(raw, "\uFFFD"), known)
	c, hit2 := maskRuns(clean(s), known)
	if !hit && !hit2 {
		return raw, false
	}
	return c, true
}

// maskRuns masks known secrets, ignoring case, then secret-shaped runs.
func maskRuns(s string, known []string) (string, bool) {
	hit := false
	for _, k := range known {
		if len(k) < minKnownSecretLen {
			continue
		}
		if m, ok := maskKnown(s, k); ok {
			s, hit = m, true
		}
	}
	var b strings.Builder
	start := -1
	flush := func(end int) {
		run := s[start:end]
		if len(run) == secretLen && !shortSID(run) {
			b.WriteString(masked(run))
			hit = true
		} else {
			b.WriteString(run)
		}
		start = -1
	}
	for i := range len(s) {
		alnum := isLetter(s[i]) || '0' <= s[i] && s[i] <= '9'
		switch {
		case alnum && start < 0:
			start = i
		case !alnum && start >= 0:
			flush(i)
		}
		if !alnum {
			b.WriteByte(s[i])
		}
	}
	if start >= 0 {
		flush(len(s))
	}
	return b.String(), hit
}

// maskKnown replaces every occurrence of the secret k in s, ignoring
// case as Unicode's simple folding does (strings.EqualFold, which is what
// a case-insensitive regular expression of k matches), left to right and
// without overlaps, with masked(k). It reports whether it found any. Every
// HACK checks its paste against the player's own secrets: compiling a
// regular expression of each for that was a tenth of what a HACK
// allocated. The window of k's length in runes slides over s one rune at
// a time, and EqualFold gives up at the first rune that differs, so a
// long paste (the form bounds it only by the body's size) costs a pass
// over it, not a pass per rune of k.
func maskKnown(s, k string) (string, bool) {
	n := utf8.RuneCountInString(k)
	// next returns the end of the rune of s that starts at i.
	next := func(i int) int {
		_, w := utf8.DecodeRuneInString(s[i:])
		return i + w
	}
	// [i, j) is the window: n runes of s, fewer only at its end.
	i, j := 0, 0
	for runes := 0; runes < n && j < len(s); runes++ {
		j = next(j)
	}
	var b strings.Builder
	last := 0
	for i < len(s) {
		if strings.EqualFold(s[i:j], k) {
			b.WriteString(s[last:i])
			b.WriteString(masked(k))
			i, last = j, j
			for runes := 0; runes < n && j < len(s); runes++ {
				j = next(j)
			}
			continue
		}
		if j == len(s) {
			break // the window lost its last rune: no match is left
		}
		i, j = next(i), next(j)
	}
	if last == 0 {
		return s, false
	}
	b.WriteString(s[last:])
	return b.String(), true
}

// shortSID reports whether run is a SID two digits short: a known SID
// prefix in upper case, then lower-case hexadecimal digits only.
func shortSID(run string) bool {
	if _, ok := resourceDetails[run[:2]]; !ok {
		return false
	}
	for i := 2; i < len(run); i++ {
		if !('0' <= run[i] && run[i] <= '9' || 'a' <= run[i] && run[i] <= 'f') {
			return false
		}
	}
	return true
}

// masked is how a secret is shown: never more than its last four
// characters, lower-cased so that the same token always reads the same.
func masked(secret string) string {
	return "****" + strings.ToLower(secret[len(secret)-4:])
}
