package verifier

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
)

// createdGrace is how much earlier than the player's first visit a
// resource may be dated and still count as created after it: Twilio's
// clock and questgate's may differ a little, and a player who opens the
// page and sends at once must not be refused.
const createdGrace = 2 * time.Minute

// checkResource applies the objective's checks to the message or call
// Twilio returned, in the order a player should fix things (see
// docs/objectives.md).
func checkResource(verdict quest.Verdict, req quest.CheckRequest, msg *quest.Message, accountSID string) quest.Verdict {
	obj := req.Objective
	c := obj.Checks
	// Twilio looked the resource up under the player's account, so this
	// only fails if something upstream misbehaves; but proof must come
	// from the player's own account, so never trust it blindly. Another
	// account's resource is not shown.
	if msg.AccountSID != accountSID {
		return verdict.Reject(quest.NotFound, notFoundDetail(obj))
	}
	verdict.Message = msg
	if spec := obj.Spec(); spec.Channel != "" && !(spec.OnChannel(msg.From) && spec.OnChannel(msg.To)) {
		return verdict.Reject(quest.WrongChannel, spec.Channel)
	}
	if !directionAccepted(msg.Direction, c.DirectionIn) {
		detail := ""
		switch {
		case msg.Direction == "inbound":
			detail = quest.DetailInbound
		case strings.HasPrefix(msg.Direction, "outbound") && !slices.ContainsFunc(c.DirectionIn, isOutbound):
			detail = quest.DetailOutbound
		}
		return verdict.Reject(quest.WrongDirection, detail)
	}
	if len(c.StatusIn) > 0 && !slices.Contains(c.StatusIn, msg.Status) {
		return verdict.Reject(quest.WrongStatus, msg.Status)
	}
	if slices.Contains(c.StatusNotIn, msg.Status) {
		return verdict.Reject(quest.FailedStatus, msg.Status)
	}
	if c.CreatedAfterOpened {
		switch {
		case req.Player == nil:
			verdict.Skipped = append(verdict.Skipped, "created_after_opened")
		case msg.DateCreated.IsZero() || msg.DateCreated.Before(req.Player.OpenedAt.Add(-createdGrace)):
			return verdict.Reject(quest.CreatedBeforeOpened, "")
		}
	}
	if party := c.RegisteredNumber; party != "" {
		switch {
		case req.Player == nil:
			verdict.Skipped = append(verdict.Skipped, "registered_number")
		case len(req.Player.Numbers) == 0:
			return verdict.Reject(quest.NumberNotRegistered, quest.DetailNoNumbers)
		case !registered(msg, party, req.Player.Numbers):
			return verdict.Reject(quest.NumberNotRegistered, party)
		}
	}
	if msg.NumMedia < c.MinMedia {
		return verdict.Reject(quest.NoMedia, "")
	}
	if c.BodyNotSample && isSampleBody(msg.Body, obj.Samples.Body) {
		return verdict.Reject(quest.SampleBody, "")
	}
	body := withoutTrialPrefix(msg.Body)
	if c.BodyContains != "" && !strings.Contains(fold(body), fold(c.BodyContains)) {
		return verdict.Reject(quest.BodyMismatch, quest.DetailContains)
	}
	if re, ok := c.BodyRegexp(); !ok || re != nil && !re.MatchString(body) {
		return verdict.Reject(quest.BodyMismatch, quest.DetailMatches)
	}
	verdict.Passed, verdict.Reason, verdict.Detail = true, "", ""
	return verdict
}

// registered reports whether the party of msg is one of numbers. A
// channel prefix ("whatsapp:") is not part of the number.
func registered(msg *quest.Message, party string, numbers []string) bool {
	to, from := bareNumber(msg.To), bareNumber(msg.From)
	for _, n := range numbers {
		n = bareNumber(n)
		switch {
		case party == catalog.PartyTo && n == to,
			party == catalog.PartyFrom && n == from,
			party == catalog.PartyEither && (n == to || n == from):
			return true
		}
	}
	return false
}

func bareNumber(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// fold prepares text for a comparison that ignores case and Unicode form.
func fold(s string) string { return cases.Fold().String(norm.NFKC.String(s)) }

// withoutTrialPrefix removes what Twilio prepends to a trial account's
// messages, which the player did not write.
func withoutTrialPrefix(body string) string {
	if len(body) >= len(trialPrefix) && strings.EqualFold(body[:len(trialPrefix)], trialPrefix) {
		return body[len(trialPrefix):]
	}
	return body
}

func isOutbound(direction string) bool { return strings.HasPrefix(direction, "outbound") }

// directionAccepted reports whether a message's direction is one of
// allowed (any, when allowed is empty). outbound-api and outbound-reply
// stand for each other: a reply sent through a Messaging Service shows
// outbound-api, so an objective listing either accepts both.
func directionAccepted(direction string, allowed []string) bool {
	if len(allowed) == 0 {
		return true
	}
	sent := func(d string) bool { return d == "outbound-api" || d == "outbound-reply" }
	for _, a := range allowed {
		if a == direction || sent(a) && sent(direction) {
			return true
		}
	}
	return false
}

// trialPrefix is what Twilio prepends to every message a trial account
// sends; the player did not write it.
const trialPrefix = "Sent from your Twilio trial account - "

// isSampleBody reports whether body is, for a human, one of the sample
// bodies of the objective's instructions, in any language: the page may
// have been read in French while the player's language is English (checking
// only the current language's sample is a known validator bug).
func isSampleBody(body string, samples catalog.Text) bool {
	got := bodyKey(body)
	if got == "" {
		return false
	}
	for _, sample := range samples {
		if want := bodyKey(sample); want != "" && got == want {
			return true
		}
	}
	return false
}

var trialPrefixKey = letters(cases.Fold().String(trialPrefix))

// bodyKey reduces a body to what makes it a different text: its letters and
// digits, Unicode-normalised and case-folded, without Twilio's trial prefix.
// Case, spacing, punctuation, typographic apostrophes and the space French
// puts before "!" all differ between copies of the same sample, and none of
// them makes the player's message their own.
func bodyKey(s string) string {
	// A Caser is stateful: one per call, never shared between goroutines.
	k := letters(cases.Fold().String(norm.NFKC.String(s)))
	return strings.TrimPrefix(k, trialPrefixKey)
}

func letters(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

// convert copies twilio-go's message, whose every field is an optional
// pointer, into a Message. Missing or malformed fields are zero.
func convert(m *openapi.ApiV2010Message) *quest.Message {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	msg := &quest.Message{
		SID:        str(m.Sid),
		AccountSID: str(m.AccountSid),
		Status:     str(m.Status),
		Direction:  str(m.Direction),
		To:         str(m.To),
		From:       str(m.From),
		Body:       str(m.Body),
	}
	if n, err := strconv.Atoi(strings.TrimSpace(str(m.NumMedia))); err == nil && n > 0 {
		msg.NumMedia = n
	}
	if t, err := time.Parse(time.RFC1123Z, str(m.DateCreated)); err == nil {
		msg.DateCreated = t.UTC()
	}
	return msg
}
