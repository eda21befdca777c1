package catalog

import (
	"slices"
	"strings"
)

// Kind names the Twilio resource an objective asks the player to create.
// Everything that differs from one kind to another lives in its KindSpec,
// in the kinds table below: code elsewhere asks an objective's Spec rather
// than compare kinds, so that a new kind is one more row (and its texts),
// not a hunt through the templates and the verifier.
type Kind string

const (
	// KindMessage is an SMS (SM…) or MMS (MM…) fetched from the Messages
	// resource.
	KindMessage Kind = "message"
	// KindCall is a phone call (CA…) fetched from the Calls resource.
	KindCall Kind = "call"
	// KindWhatsApp is a message (SM… or MM…) sent on the WhatsApp
	// channel: a message whose From and To carry the "whatsapp:" prefix.
	KindWhatsApp Kind = "whatsapp"
	// KindPhoneNumber is a phone number of the player's account (PN…),
	// fetched from IncomingPhoneNumbers, whose webhook points at the
	// player's code.
	KindPhoneNumber Kind = "phone_number"
	// KindMessagingService is a Messaging Service (MG…) with at least one
	// phone number in its sender pool, fetched from Messaging v1.
	KindMessagingService Kind = "messaging_service"
	// KindVerification is a Verify verification (VE…), in one of the
	// player's Verify services (VA…), fetched from Verify v2.
	KindVerification Kind = "verification"
)

// KindSpec is what questgate knows of one kind of Twilio resource: how it
// is fetched, what checks can apply to it, what the hack panel and the
// code examples say about it, and whether the sandbox makes one. It is
// data: a template or the verifier reads a field, never tests the kind.
type KindSpec struct {
	// Kind is the spec's own kind, as catalog files write it.
	Kind Kind
	// Resource is the Twilio REST list the resource lives in, as the
	// 2010-04-01 API's path names it ("Messages", "Calls"): the
	// examples create in it, and the verifier keeps one fetcher per
	// resource.
	Resource string
	// Prefixes are the SID prefixes the resource can have; an
	// objective's sid_prefixes must be among them, and defaults to all
	// of them. The first is the one the placeholder shows.
	Prefixes []string
	// Directions and Statuses are the values the resource can have, as
	// Twilio spells them: checks naming anything else are typos that
	// would never match.
	Directions []string
	Statuses   []string
	// Channel is the channel address prefix, without its colon, that the
	// resource's From and To must both carry ("whatsapp" for
	// whatsapp:+15558675310); "" for a plain phone number. The verifier
	// refuses a resource on another channel (a plain SMS for a WhatsApp
	// objective), and an objective's samples must be on it.
	Channel string
	// HasBody is true when the resource carries a body and media: the
	// body and media checks apply, and pages show its body. A call has
	// neither.
	HasBody bool
	// Detail is the word the verifier puts before a SID problem's detail
	// ("call" gives "call_account", …) and gives as NotFound's detail,
	// so that the help speaks of this kind; "" for the default wording,
	// which speaks of messages.
	Detail string
	// Texts are the ids of the localised texts that speak of this kind.
	Texts KindTexts
	// Samples are the request parameters the instructions list, in the
	// order they show.
	Samples []SampleField
	// Example is how each language's code example creates the resource.
	Example KindExample
	// SandboxCanProduce is true when questgate's sandbox can create the
	// resource, so a player without a Twilio account can complete it.
	SandboxCanProduce bool
	// ByNumber is true when a player may paste the resource's phone
	// number (+E.164) instead of its SID: the verifier looks the number
	// up in the player's account (a phone number's SID is rarely what a
	// player has at hand; its number always is).
	ByNumber bool
	// Webhooks is true when the resource has webhooks the checks
	// webhook, webhook_allow_http and webhook_answers apply to.
	Webhooks bool
	// Senders is true when the resource has a sender pool: the service
	// must hold at least one phone number, and inbound_request_url
	// applies.
	Senders bool
	// Channels are the channels the resource may travel on
	// (checks.channel_in); none when the kind has no such choice.
	Channels []string
	// Steps is the number of API requests a player makes to create the
	// resource: the generated code examples only cover one (Example);
	// a kind of several (a service, then a phone number in it) has its
	// steps written in its objectives' instructions instead.
	Steps int
}

// HasExamples reports whether questgate writes code examples for the
// kind: only for a resource one request creates.
func (s KindSpec) HasExamples() bool { return s.Steps <= 1 && s.Example.Var != "" }

// KindTexts are message ids (locale/messages/*.toml) of the texts that
// differ between kinds. Label, Hint and CopySID receive the accepted
// prefixes as {{.Prefix}}.
type KindTexts struct {
	// Label names the hack panel's SID field ("Message SID").
	Label string
	// Hint says under the field what to paste.
	Hint string
	// Success is the help shown when the objective is awarded.
	Success string
	// Date labels the date Twilio gives the resource ("Sent").
	Date string
	// CopySID is the code examples' last comment: what to paste.
	CopySID string
	// SamplesHeading heads the list of sample values, when the objective
	// adds no optional one (a MediaUrl); SamplesHeadingValues otherwise.
	SamplesHeading string
}

// SamplesHeadingValues is the samples heading for any set of values
// beyond the kind's usual ones.
const SamplesHeadingValues = "objective.samples_heading_values"

// Request parameters an example sends, as Twilio's REST API names them.
const (
	ParamFrom     = "From"
	ParamTo       = "To"
	ParamBody     = "Body"
	ParamMediaURL = "MediaUrl"
	ParamURL      = "Url"
	// ParamPhoneNumber is the number a new IncomingPhoneNumber buys.
	ParamPhoneNumber = "PhoneNumber"
	// ParamSMSURL and ParamVoiceURL are a phone number's webhooks.
	ParamSMSURL   = "SmsUrl"
	ParamVoiceURL = "VoiceUrl"
)

// SampleField is one request parameter of a kind, as the instructions
// list it and the code examples send it.
type SampleField struct {
	// Param is the REST parameter (ParamBody, …); Samples.Value reads
	// the objective's sample for it.
	Param string
	// Help is the id of the text explaining the value.
	Help string
	// Optional fields show, and are sent, only when the objective gives
	// a sample (an MMS's MediaUrl).
	Optional bool
	// OwnText marks the text the player must write themselves: the
	// examples say so in a comment.
	OwnText bool
	// List is true when the libraries take a list (media_url=[…]).
	List bool
	// Python, Node and Go name the parameter in each library: the
	// keyword, the object key and the setter.
	Python, Node, Go string
}

// KindExample names what each language's code example calls to create the
// resource.
type KindExample struct {
	// Var is the name of the created resource in the code ("message").
	Var string
	// Python and Node are the client's list ("messages" in
	// client.messages.create).
	Python, Node string
	// GoParams and GoCreate are twilio-go's parameter type and method
	// (CreateMessageParams, CreateMessage).
	GoParams, GoCreate string
}

var (
	fieldFrom = func(help string) SampleField {
		return SampleField{Param: ParamFrom, Help: help, Python: "from_", Node: "from", Go: "SetFrom"}
	}
	fieldTo = func(help string) SampleField {
		return SampleField{Param: ParamTo, Help: help, Python: "to", Node: "to", Go: "SetTo"}
	}
	// A message's body and media, on any channel.
	fieldBody     = SampleField{Param: ParamBody, Help: "objective.sample_body", OwnText: true, Python: "body", Node: "body", Go: "SetBody"}
	fieldMediaURL = SampleField{Param: ParamMediaURL, Help: "objective.sample_media_url", Optional: true, List: true,
		Python: "media_url", Node: "mediaUrl", Go: "SetMediaUrl"}
	// messageExample creates a message, on any channel.
	messageExample = KindExample{Var: "message", Python: "messages", Node: "messages",
		GoParams: "CreateMessageParams", GoCreate: "CreateMessage"}
)

// A message's directions and statuses, on any channel, as Twilio spells
// them.
var (
	messageDirections = []string{"inbound", "outbound-api", "outbound-call", "outbound-reply"}
	messageStatuses   = []string{"queued", "sending", "sent", "failed", "delivered", "undelivered", "receiving", "received",
		"accepted", "scheduled", "read", "partially_delivered", "canceled"}
)

// kinds is the table: one row per kind, in the order error messages name
// them.
var kinds = []KindSpec{
	{
		Kind:       KindMessage,
		Resource:   "Messages",
		Prefixes:   []string{"SM", "MM"},
		Directions: messageDirections,
		Statuses:   messageStatuses,
		HasBody:    true,
		Texts: KindTexts{
			Label:          "hack.label",
			Hint:           "hack.hint",
			Success:        "reason.awarded.help",
			Date:           "hack.field_date",
			CopySID:        "code.copy_sid",
			SamplesHeading: "objective.samples_heading",
		},
		Samples: []SampleField{
			fieldBody,
			fieldTo("objective.sample_to"),
			fieldFrom("objective.sample_from"),
			fieldMediaURL,
		},
		Example:           messageExample,
		SandboxCanProduce: true,
		Steps:             1,
	},
	{
		Kind:       KindCall,
		Resource:   "Calls",
		Prefixes:   []string{"CA"},
		Directions: []string{"inbound", "outbound-api", "outbound-dial", "trunking-terminating", "trunking-originating"},
		Statuses:   []string{"queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"},
		Detail:     "call",
		Texts: KindTexts{
			Label:          "hack.label_call",
			Hint:           "hack.hint_call",
			Success:        "kind.call.success",
			Date:           "kind.call.date",
			CopySID:        "code.copy_call_sid",
			SamplesHeading: SamplesHeadingValues,
		},
		Samples: []SampleField{
			fieldTo("objective.sample_to_call"),
			fieldFrom("objective.sample_from_call"),
			{Param: ParamURL, Help: "objective.sample_url", Python: "url", Node: "url", Go: "SetUrl"},
		},
		Example: KindExample{Var: "call", Python: "calls", Node: "calls",
			GoParams: "CreateCallParams", GoCreate: "CreateCall"},
		SandboxCanProduce: true,
		Steps:             1,
	},
	{
		Kind:       KindWhatsApp,
		Resource:   "Messages",
		Prefixes:   []string{"SM", "MM"},
		Channel:    "whatsapp",
		Directions: messageDirections,
		Statuses:   messageStatuses,
		HasBody:    true,
		Texts: KindTexts{
			Label:          "kind.whatsapp.label",
			Hint:           "kind.whatsapp.hint",
			Success:        "kind.whatsapp.success",
			Date:           "hack.field_date",
			CopySID:        "kind.whatsapp.copy_sid",
			SamplesHeading: "kind.whatsapp.samples_heading",
		},
		Samples: []SampleField{
			fieldBody,
			fieldTo("kind.whatsapp.sample_to"),
			fieldFrom("kind.whatsapp.sample_from"),
			fieldMediaURL,
		},
		Example:           messageExample,
		SandboxCanProduce: true,
		Steps:             1,
	},
	phoneNumberSpec,
	messagingServiceSpec,
	verificationSpec,
}

// The rows of the kinds that go beyond one Messages or Calls request.
var (
	phoneNumberSpec = KindSpec{
		Kind:     KindPhoneNumber,
		Resource: "IncomingPhoneNumbers",
		Prefixes: []string{"PN"},
		Statuses: []string{"in-use"},
		Detail:   "phone_number",
		Texts: KindTexts{
			Label:          "kind.phone_number.label",
			Hint:           "kind.phone_number.hint",
			Success:        "kind.phone_number.success",
			Date:           "kind.phone_number.date",
			CopySID:        "kind.phone_number.copy_sid",
			SamplesHeading: SamplesHeadingValues,
		},
		Samples: []SampleField{
			{Param: ParamPhoneNumber, Help: "kind.phone_number.sample_phone_number", Python: "phone_number", Node: "phoneNumber", Go: "SetPhoneNumber"},
			{Param: ParamSMSURL, Help: "kind.phone_number.sample_sms_url", Optional: true, Python: "sms_url", Node: "smsUrl", Go: "SetSmsUrl"},
			{Param: ParamVoiceURL, Help: "kind.phone_number.sample_voice_url", Optional: true, Python: "voice_url", Node: "voiceUrl", Go: "SetVoiceUrl"},
		},
		Example: KindExample{Var: "number", Python: "incoming_phone_numbers", Node: "incomingPhoneNumbers",
			GoParams: "CreateIncomingPhoneNumberParams", GoCreate: "CreateIncomingPhoneNumber"},
		SandboxCanProduce: true,
		ByNumber:          true,
		Webhooks:          true,
		Steps:             1,
	}
	messagingServiceSpec = KindSpec{
		Kind:     KindMessagingService,
		Resource: "Messaging.Services",
		Prefixes: []string{"MG"},
		Detail:   "messaging_service",
		Texts: KindTexts{
			Label:          "kind.messaging_service.label",
			Hint:           "kind.messaging_service.hint",
			Success:        "kind.messaging_service.success",
			Date:           "kind.messaging_service.date",
			CopySID:        "kind.messaging_service.copy_sid",
			SamplesHeading: SamplesHeadingValues,
		},
		SandboxCanProduce: true,
		Senders:           true,
		Steps:             2,
	}
	verificationSpec = KindSpec{
		Kind:     KindVerification,
		Resource: "Verify.Verifications",
		Prefixes: []string{"VE"},
		Statuses: []string{"pending", "approved", "canceled", "max_attempts_reached", "deleted", "failed", "expired"},
		Channels: []string{"sms", "call", "email", "whatsapp", "sna"},
		Detail:   "verification",
		Texts: KindTexts{
			Label:          "kind.verification.label",
			Hint:           "kind.verification.hint",
			Success:        "kind.verification.success",
			Date:           "kind.verification.date",
			CopySID:        "kind.verification.copy_sid",
			SamplesHeading: SamplesHeadingValues,
		},
		SandboxCanProduce: true,
		Steps:             3,
	}
)

// Kinds lists every kind, in the order error messages name them.
var Kinds = func() []Kind {
	out := make([]Kind, len(kinds))
	for i, s := range kinds {
		out[i] = s.Kind
	}
	return out
}()

// Specs returns every kind's spec, in the order of Kinds.
func Specs() []KindSpec { return slices.Clone(kinds) }

// SpecOf returns the spec of kind k, and false when no such kind exists.
func SpecOf(k Kind) (KindSpec, bool) {
	for _, s := range kinds {
		if s.Kind == k {
			return s, true
		}
	}
	return KindSpec{}, false
}

// Spec returns the spec of the objective's kind. An objective built by
// hand without a kind is a message, as one loaded from a file cannot be.
func (o *Objective) Spec() KindSpec {
	if s, ok := SpecOf(o.Kind); ok {
		return s
	}
	return kinds[0]
}

// OnChannel reports whether a resource's address (its To or From) is on
// the kind's channel: "whatsapp:+15558675310" for a WhatsApp message, a
// plain number (no channel prefix) for a kind without one.
func (s KindSpec) OnChannel(address string) bool {
	channel, _, found := strings.Cut(strings.TrimSpace(address), ":")
	if !found {
		return s.Channel == ""
	}
	return s.Channel != "" && channel == s.Channel
}

// Placeholder is the hack field's placeholder, from the first accepted
// prefix ("CAXXXX…"), as the game shows it.
func (o *Objective) Placeholder() string { return o.Prefixes()[0] + "XXXX…" }

// PrefixText is the accepted prefixes for a player to read ("SM / MM").
func (o *Objective) PrefixText() string { return strings.Join(o.Prefixes(), " / ") }

// SamplesHeading is the id of the samples section's heading: the kind's
// own, unless the objective adds an optional value (an MMS's MediaUrl).
func (o *Objective) SamplesHeading() string {
	for _, f := range o.SampleFields() {
		if f.Optional {
			return SamplesHeadingValues
		}
	}
	return o.Spec().Texts.SamplesHeading
}

// SampleFields are the kind's request parameters this objective sends:
// the optional ones only when it has a sample for them.
func (o *Objective) SampleFields() []SampleField {
	var out []SampleField
	for _, f := range o.Spec().Samples {
		if f.Optional && o.Samples.Value(f.Param, Locales[0]) == "" {
			continue
		}
		out = append(out, f)
	}
	return out
}

// Value returns the sample for a request parameter (ParamBody, …) in
// locale, "" when there is none.
func (s Samples) Value(param, locale string) string {
	switch param {
	case ParamFrom:
		return s.From
	case ParamTo:
		return s.To
	case ParamBody:
		return s.Body.In(locale)
	case ParamMediaURL:
		return s.MediaURL
	case ParamURL:
		return s.URL
	case ParamPhoneNumber:
		return s.PhoneNumber
	case ParamSMSURL:
		return s.SMSURL
	case ParamVoiceURL:
		return s.VoiceURL
	}
	return ""
}
