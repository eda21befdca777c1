package quest

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// What a SID was picked out of, when the player pasted more than the SID
// (Submission.PickedFrom). Pages say which, so the player sees what was
// checked and learns to copy the SID alone next time.
const (
	PastedJSON  = "json"  // Twilio's whole JSON answer
	PastedField = "field" // one "sid": "…" line of it
	PastedURL   = "url"   // a Twilio console (or API) address
)

var (
	// sidField is a "sid" key with its value, as JSON, JavaScript,
	// Python's repr or a form writes it: "sid": "SM…", sid: 'SM…',
	// sid=SM…. The character before the key keeps account_sid and
	// messaging_service_sid out.
	sidField = regexp.MustCompile(`(?i)(?:^|[\s{,"'])sid["']?\s*[:=]\s*["']?([A-Za-z]{2}[0-9a-fA-F]{32})(?:[^0-9A-Za-z]|$)`)
)

// PickSID turns what a player pasted into the SID to check: Normalize's
// work on a bare SID, and, when the paste is not one, the SID picked out of
// the forms players paste instead: Twilio's whole JSON answer or its
// "sid" line (the resource's own "sid", never "account_sid"), or a
// Twilio console or API address (the last SID in it that is not the
// account's). from says which (PastedJSON, PastedField, PastedURL), ""
// when nothing was picked: the result is then Normalize(raw), which an
// error message can show as typed.
func PickSID(raw string) (sid, from string) {
	c := clean(raw)
	if s := foldSID(c); sidPattern.MatchString(s) {
		return s, ""
	}
	if m := sidField.FindStringSubmatch(c); m != nil {
		return foldSID(m[1]), pasteForm(c)
	}
	if form := pasteForm(c); form == PastedURL {
		if s := sidInURL(c); s != "" {
			return s, PastedURL
		}
	}
	return foldSID(c), ""
}

// pasteForm names the form of a cleaned paste that is not a bare SID.
func pasteForm(c string) string {
	lower := strings.ToLower(c)
	switch {
	case strings.HasPrefix(c, "{") || strings.HasPrefix(c, "["):
		return PastedJSON
	case strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://"):
		return PastedURL
	default:
		return PastedField
	}
}

// sidInURL is the last SID in an address, its query decoded (the console
// nests the resource's address in a frameUrl parameter), skipping the
// account's own SID, which every API address holds too.
func sidInURL(c string) string {
	text := c
	if d, err := url.QueryUnescape(c); err == nil {
		text = d
	}
	var last string
	words := strings.FieldsFunc(text, func(r rune) bool { return r > unicode.MaxASCII || !isLetter(byte(r)) && !('0' <= r && r <= '9') })
	for _, w := range words {
		if s := foldSID(w); sidPattern.MatchString(s) && !strings.HasPrefix(s, "AC") {
			last = s
		}
	}
	return last
}

// PickedFrom says what the attempt's SID was picked out of (PastedJSON,
// PastedField, PastedURL), or "" when the player pasted the SID itself.
// It reads the recorded paste, clipped as it is, whose start is enough
// to tell.
func (s Submission) PickedFrom() string {
	if s.SID == "" || s.RawSID == "" || Normalize(s.RawSID) == s.SID {
		return ""
	}
	return pasteForm(clean(s.RawSID))
}
