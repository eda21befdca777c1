package sandbox

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/questgate/questgate/store"
)

// Message statuses and direction, as Twilio spells them.
const (
	statusQueued      = "queued"
	statusSending     = "sending"
	statusSent        = "sent"
	statusDelivered   = "delivered"
	statusUndelivered = "undelivered"
	statusFailed      = "failed"
	statusReceived    = "received"

	directionOutboundAPI   = "outbound-api"
	directionOutboundReply = "outbound-reply"
	directionInbound       = "inbound"

	apiVersion = "2010-04-01"
	apiRoot    = "/" + apiVersion
)

// Limits Twilio enforces on a new message.
const (
	maxBodyChars = 1600
	maxMedia     = 10
)

// fate is what a magic number does to a message: refuse it at creation,
// or let it end in a status other than delivered.
type fate struct {
	refuse *apiError
	final  string
	code   int
}

// magicTo maps the documented magic 'To' numbers (see the package doc).
var magicTo = map[string]fate{
	"+15005550001": {refuse: invalidTo("+15005550001")},
	"+15005550004": {final: statusFailed, code: 30006},
	"+15005550009": {final: statusUndelivered, code: 30003},
}

// magicFrom maps the documented magic 'From' numbers.
var magicFrom = map[string]fate{
	"+15005550001": {refuse: invalidFrom("+15005550001")},
}

// errorMessages are the error_message texts of the final error codes.
var errorMessages = map[int]string{
	30003: "Unreachable destination handset",
	30006: "Landline or unreachable carrier",
}

// newMessage is a validated create-message request.
type newMessage struct {
	to, from, body, service string
	media                   int
	mediaURLs               []string
	final                   string
	code                    int
}

// parseNewMessage validates a create-message form in the order Twilio
// reports problems: the first one wins.
func parseNewMessage(form url.Values) (newMessage, *apiError) {
	m := newMessage{
		to:      strings.TrimSpace(form.Get("To")),
		from:    strings.TrimSpace(form.Get("From")),
		body:    form.Get("Body"),
		service: strings.TrimSpace(form.Get("MessagingServiceSid")),
		final:   statusDelivered,
	}
	media := form["MediaUrl"]
	m.media, m.mediaURLs = len(media), media
	if m.to == "" {
		return m, errMissingTo
	}
	if !validTo(m.to) {
		return m, invalidTo(m.to)
	}
	if f := magicTo[bareNumber(m.to)]; f.refuse != nil {
		return m, f.refuse
	}
	if m.from == "" && m.service == "" {
		return m, errMissingFrom
	}
	if m.from != "" && !validFrom(m.from) {
		return m, invalidFrom(m.from)
	}
	if f := magicFrom[bareNumber(m.from)]; f.refuse != nil {
		return m, f.refuse
	}
	if m.from != "" && channelOf(m.from) != channelOf(m.to) {
		return m, errChannelPair
	}
	if m.service != "" && !serviceSIDPattern.MatchString(m.service) {
		return m, invalidService(m.service)
	}
	if m.body == "" && m.media == 0 {
		return m, errMissingBody
	}
	if utf8.RuneCountInString(m.body) > maxBodyChars {
		return m, errBodyTooLong
	}
	if m.media > maxMedia {
		return m, errTooManyMedia
	}
	for _, u := range media {
		if !validMediaURL(u) {
			return m, invalidMediaURL(shortened(u))
		}
	}
	if f := magicTo[bareNumber(m.to)]; f.final != "" {
		m.final, m.code = f.final, f.code
	}
	return m, nil
}

// shortened is u cut to a length fit to quote in an error: the error
// answers a URL refused for its length, which must not echo it whole.
func shortened(u string) string {
	const quoted = 100
	if len(u) <= quoted {
		return u
	}
	r := []rune(u[:quoted])
	return string(r[:len(r)-1]) + "…"
}

// channelWhatsApp is the one channel the sandbox speaks besides SMS and
// MMS: an address "whatsapp:+15558675310" is that phone's WhatsApp. The
// message keeps the prefix in its to and from, as Twilio's does.
const channelWhatsApp = "whatsapp"

// channelOf returns the channel of a message address: "whatsapp" for
// whatsapp:+15558675310, "" for a phone number, short code or sender ID.
func channelOf(addr string) string {
	if strings.HasPrefix(addr, channelWhatsApp+":") {
		return channelWhatsApp
	}
	return ""
}

// bareNumber strips a channel prefix such as "whatsapp:".
func bareNumber(addr string) string {
	if rest, ok := strings.CutPrefix(addr, channelWhatsApp+":"); ok {
		return rest
	}
	return addr
}

// validTo accepts E.164-ish numbers (+ and 8 to 15 digits), optionally
// on the WhatsApp channel (whatsapp:+15558675310; whatsapp: and anything
// else is refused like a malformed number).
func validTo(to string) bool { return phoneNumberPattern.MatchString(bareNumber(to)) }

// validFrom also accepts what Twilio lets a sender be: a short code or an
// alphanumeric sender ID (up to 11 characters, at least one letter), on
// SMS only: a WhatsApp sender is a phone number.
func validFrom(from string) bool {
	return validTo(from) || shortCodePattern.MatchString(from) ||
		(alphaSenderPattern.MatchString(from) && alphaSenderHasAlpha.MatchString(from))
}

// validMediaURL accepts an http or https URL with a host, of at most
// maxMediaURL bytes.
func validMediaURL(raw string) bool {
	if len(raw) > maxMediaURL {
		return false
	}
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// messageResource is the JSON of api.v2010.account.message. Nullable
// fields are pointers so that they encode as null, as Twilio's do.
type messageResource struct {
	AccountSID          string            `json:"account_sid"`
	APIVersion          string            `json:"api_version"`
	Body                string            `json:"body"`
	DateCreated         string            `json:"date_created"`
	DateSent            *string           `json:"date_sent"`
	DateUpdated         string            `json:"date_updated"`
	Direction           string            `json:"direction"`
	ErrorCode           *int              `json:"error_code"`
	ErrorMessage        *string           `json:"error_message"`
	From                *string           `json:"from"`
	MessagingServiceSID *string           `json:"messaging_service_sid"`
	NumMedia            string            `json:"num_media"`
	NumSegments         string            `json:"num_segments"`
	Price               *string           `json:"price"`
	PriceUnit           string            `json:"price_unit"`
	SID                 string            `json:"sid"`
	Status              string            `json:"status"`
	SubresourceURIs     map[string]string `json:"subresource_uris"`
	To                  string            `json:"to"`
	URI                 string            `json:"uri"`
}

// render shows m as it stands at now: the status follows the message's
// age (see the package doc), and so do date_sent, date_updated and the
// error fields, which appear only once the final status is reached.
func (s *Sandbox) render(m store.SandboxMessage, now time.Time) messageResource {
	base := messageURI(m.AccountSID, m.SID)
	r := messageResource{
		AccountSID:  m.AccountSID,
		APIVersion:  apiVersion,
		Body:        m.Body,
		DateCreated: rfc2822(m.CreatedAt),
		DateUpdated: rfc2822(m.CreatedAt),
		Direction:   m.Direction,
		From:        nullable(m.From),
		NumMedia:    strconv.Itoa(m.NumMedia),
		NumSegments: strconv.Itoa(segments(m.Body)),
		PriceUnit:   "USD",
		SID:         m.SID,
		Status:      statusQueued,
		SubresourceURIs: map[string]string{
			"media":    strings.TrimSuffix(base, ".json") + "/Media.json",
			"feedback": strings.TrimSuffix(base, ".json") + "/Feedback.json",
		},
		To:                  m.To,
		URI:                 base,
		MessagingServiceSID: nullable(m.MessagingServiceSID),
	}
	if m.Direction == directionInbound {
		// A received message is logged once it has arrived.
		r.Status, r.DateSent = m.FinalStatus, nullable(rfc2822(m.CreatedAt))
		return r
	}
	age := now.Sub(m.CreatedAt)
	sentAt := m.CreatedAt.Add(s.step)
	if age < s.step {
		return r
	}
	if m.FinalStatus != statusFailed {
		r.DateSent = nullable(rfc2822(sentAt))
	}
	if age < 2*s.step {
		r.Status = statusSent
		if m.FinalStatus == statusFailed {
			r.Status = statusSending
		}
		r.DateUpdated = rfc2822(sentAt)
		return r
	}
	r.Status = m.FinalStatus
	r.DateUpdated = rfc2822(m.CreatedAt.Add(2 * s.step))
	if m.ErrorCode != 0 {
		code := m.ErrorCode
		r.ErrorCode = &code
		r.ErrorMessage = nullable(errorMessages[code])
	}
	return r
}

func messageURI(accountSID, sid string) string {
	return apiRoot + "/Accounts/" + accountSID + "/Messages/" + sid + ".json"
}

// rfc2822 formats t as Twilio dates its resources: "Fri, 24 May 2019
// 17:44:46 +0000".
func rfc2822(t time.Time) string { return t.UTC().Format(time.RFC1123Z) }

// nullable returns nil for "" so that the field encodes as null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// GSM 03.38: the basic character set costs one septet, the extension
// table two.
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtended = "\f^{}\\[~]|€"
)

// segments counts the SMS segments a body needs, as Twilio bills them:
// GSM-7 bodies hold 160 septets in one segment or 153 per segment when
// split; anything else is UCS-2, 70 code units or 67 per segment. A
// media-only message counts as one.
func segments(body string) int {
	septets, gsm := 0, true
	for _, r := range body {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			septets++
		case strings.ContainsRune(gsmExtended, r):
			septets += 2
		default:
			gsm = false
		}
	}
	single, multi, units := 160, 153, septets
	if !gsm {
		single, multi, units = 70, 67, len(utf16.Encode([]rune(body)))
	}
	if units <= single {
		return 1
	}
	return (units + multi - 1) / multi
}
