package quest

import (
	"regexp"
	"strings"

	"github.com/questgate/questgate/catalog"
)

// quoteChars are the quotes copy-paste brings around a value: ASCII quotes
// and backticks from code and chat, curly quotes from word processors,
// guillemets from French keyboards, low and CJK quotes from other locales.
const quoteChars = "\"'`“”‘’«»‹›„‟‚‛「」『』＂＇"

// invisible reports whether r is a character that takes no room on screen
// but breaks an exact comparison: zero-width spaces and joiners, the word
// joiner, the byte-order mark, direction marks and the soft hyphen. Chat
// apps and PDFs insert them silently.
func invisible(r rune) bool {
	switch r {
	case '\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u2060', '\uFEFF', '\u00AD':
		return true
	}
	return false
}

// clean removes what copy-paste adds around a value: invisible characters
// anywhere, then, repeatedly, surrounding white space (NBSP included),
// quotes of any common kind, and a trailing period or comma (a SID copied
// from the end of a sentence). Nothing a SID, key or token can contain is
// ever removed, so cleaning never turns a wrong value into another one.
func clean(raw string) string {
	s := strings.ToValidUTF8(raw, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s)
	for {
		before := s
		s = strings.TrimSpace(s)
		s = strings.TrimLeft(s, quoteChars)
		s = strings.TrimRight(s, quoteChars+".,")
		if s == before {
			return s
		}
	}
}

// Normalize turns what a player pasted into the SID Twilio knows, so that
// the same message always gives the same string (it is the key awarded
// SIDs are deduplicated on).
//
// It removes invisible characters, surrounding white space and quotes, and a
// trailing period or comma (see clean). Then, when the result has a SID's
// shape (two letters and 32 hexadecimal digits, in any case), it upper-cases
// the two-letter prefix and lower-cases the digits: Twilio always issues
// SIDs that way, so a SID retyped with caps lock or read back from a
// screenshot still finds the message. Anything else keeps its case, so an
// error message can show the player what they typed.
func Normalize(raw string) string {
	return foldSID(clean(raw))
}

// foldSID puts a SID-shaped string into Twilio's canonical case.
func foldSID(s string) string {
	if len(s) != sidLen || !isLetter(s[0]) || !isLetter(s[1]) || !allHex(s[2:]) {
		return s
	}
	return strings.ToUpper(s[:2]) + strings.ToLower(s[2:])
}

// sidLen is the length of every Twilio SID: a two-letter prefix naming the
// resource type and 32 hexadecimal digits.
const sidLen = 34

var (
	sidPattern     = regexp.MustCompile(`^[A-Z]{2}[0-9a-f]{32}$`)
	accountPattern = regexp.MustCompile(`^AC[0-9a-f]{32}$`)
	apiKeyPattern  = regexp.MustCompile(`^SK[0-9a-f]{32}$`)
)

func isLetter(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }

func isHex(b byte) bool { return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F' }

func allHex(s string) bool {
	for i := range len(s) {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func alphanumeric(s string) bool {
	for i := range len(s) {
		if !isLetter(s[i]) && !('0' <= s[i] && s[i] <= '9') {
			return false
		}
	}
	return true
}

// messagePrefixes are what an objective built without a kind accepts: a
// message's, as the kinds table gives them.
var messagePrefixes = new(catalog.Objective{}).Prefixes()

// resourceDetails names the resources whose SIDs players paste by mistake,
// keyed by prefix, as Detail values of WrongResource.
var resourceDetails = map[string]string{
	"AC": DetailAccount,
	"SK": DetailAPIKey,
	"CA": DetailCall,
	"MM": DetailMMS,
	"SM": DetailSMS,
}

// checkSID decides whether a normalised SID can be looked up for an
// objective accepting the given prefixes. It returns an empty reason when
// it can, and otherwise InvalidSID or WrongResource with a Detail.
func CheckSID(sid string, accepted []string) (Reason, string) {
	if len(accepted) == 0 {
		accepted = messagePrefixes
	}
	accepts := func(prefix string) bool {
		for _, p := range accepted {
			if strings.EqualFold(p, prefix) {
				return true
			}
		}
		return false
	}
	switch {
	case sid == "":
		return InvalidSID, DetailEmpty
	case !alphanumeric(sid):
		return InvalidSID, DetailCharacters
	case sidPattern.MatchString(sid):
		prefix := sid[:2]
		if accepts(prefix) {
			return "", ""
		}
		if d, ok := resourceDetails[prefix]; ok {
			return WrongResource, d
		}
		return WrongResource, DetailOtherResource
	case len(sid) >= 2 && accepts(sid[:2]) && allHex(sid[2:]):
		// The right kind of SID, cut short or pasted twice.
		return InvalidSID, DetailLength
	default:
		return InvalidSID, DetailFormat
	}
}
