package quest

// Detail values refine a Reason so a player gets the most specific help
// there is: the localised message "reason.<reason>.detail.<detail>" when it
// exists, else the reason's generic help. Like reasons, they are stored and
// keyed on, so never rename one.
const (
	// InvalidSID details: what is wrong with the pasted text.
	DetailEmpty      = "empty"      // nothing was pasted
	DetailLength     = "length"     // the right prefix, but too short or too long
	DetailCharacters = "characters" // something other than letters and digits
	DetailFormat     = "format"     // anything else that is not a SID
	// DetailSecret: the player pasted their own auth token or key secret.
	// It is never sent anywhere, logged nor kept.
	DetailSecret = "secret"
	// DetailLooksLikeToken: the paste held something shaped like a secret
	// (32 letters and digits, an Auth Token's or API key secret's shape)
	// or the player's own secret in any case. It was masked before being
	// kept, logged or shown, and the player is told to rotate it.
	DetailLooksLikeToken = "looks_like_token"

	// WrongResource details: which resource the well-formed SID belongs to.
	DetailAccount = "account" // AC…: the Account SID, the most common mistake
	DetailAPIKey  = "api_key" // SK…: an API key
	DetailCall    = "call"    // CA…: a call
	DetailMMS     = "mms"     // MM… where the objective wants an SMS
	DetailSMS     = "sms"     // SM… where the objective wants an MMS
	// DetailOtherResource is any other resource. It is not "other" because
	// go-i18n reserves that key for plural forms: a message table holding
	// it next to other details would not load.
	DetailOtherResource = "other_resource"

	// BadCredentials details (DetailFormat is also one of them: a malformed
	// SID or secret, refused before any request).
	DetailRejected  = "rejected"  // Twilio answered 401: wrong SID/secret pair
	DetailForbidden = "forbidden" // Twilio answered 403: a restricted API key

	// WrongDirection details: what the message was instead.
	DetailInbound  = "inbound"  // a message the player received
	DetailOutbound = "outbound" // a message sent where a received one is wanted

	// UpstreamUnavailable details: Twilio did not answer in time (a try
	// within Options.AttemptTimeout, or the whole verification within
	// Options.Timeout), or it failed so often lately that the verifier
	// is not asking it for a while (UpstreamError.RetryAfter says how
	// long).
	DetailTimeout     = "timeout"
	DetailCircuitOpen = "circuit_open"

	// Details for a call objective, where the generic help speaks of
	// messages: InvalidSID and WrongResource details get this prefix
	// ("call_account", "call_length", …), NotFound gets DetailCall, and a
	// message SID pasted for a call is DetailMessage.
	DetailCallPrefix = "call_"
	DetailMessage    = "message"

	// BodyMismatch details: which check failed.
	DetailContains = "contains"
	DetailMatches  = "matches"

	// NumberNotRegistered details: which party, or that the player has
	// registered no number at all.
	DetailNoNumbers = "no_numbers"
	DetailTo        = "to"
	DetailFrom      = "from"
	DetailEither    = "either"

	// WebhookInvalid details: an http webhook where https is required, a
	// Twilio demo address, or no URL at all. WebhookNotSet's detail is
	// the webhook (catalog.WebhookSMS or catalog.WebhookVoice).
	DetailHTTP = "http"
	DetailDemo = "demo"
	DetailURL  = "url"
	// WebhookFailed details: why the signed test request got no TwiML.
	DetailPrivate     = "private"
	DetailUnreachable = "unreachable"
	DetailStatus      = "status"
	DetailNotTwiML    = "not_twiml"
	DetailRedirect    = "redirect"

	// AttemptsExhausted details: for good, or until the window moves.
	DetailPermanent = "permanent"
	DetailWindow    = "window"

	// FailedStatus and WrongStatus details are the resource's Twilio
	// status itself, such as "failed", "undelivered" or "canceled".
)

// DetailGame refines NoCredentials for an attempt a game made (the JSON
// API, the widget): its player has no credentials page on questgate, so
// the game itself must send their credentials with the attempt.
const DetailGame = "game"
