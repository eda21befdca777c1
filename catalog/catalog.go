// Package catalog holds the objectives players can complete. Objectives are
// data, not code: an embedded YAML file ships the defaults, and instructors
// and game authors load their own file on top of it (see docs/objectives.md
// for the schema), so that a new objective or a new language needs no Go
// change.
package catalog

import (
	_ "embed"
	"iter"
	"regexp"
	"slices"
	"time"
)

//go:embed catalog.yaml
var embedded []byte

// Locales are the languages every objective text must be written in. The
// first one is the fallback when a player's language has no translation.
var Locales = []string{"en", "fr"}

// Text is a piece of player-facing text keyed by locale ("en", "fr", ...).
type Text map[string]string

// In returns the text in locale, falling back to the first supported
// locale so that a missing translation never shows an empty page.
func (t Text) In(locale string) string {
	if s, ok := t[locale]; ok && s != "" {
		return s
	}
	return t[Locales[0]]
}

// All returns every translation, for checks that must hold in any language
// (a sample body copied from the French page is still a sample body).
func (t Text) All() []string {
	out := make([]string, 0, len(t))
	for _, l := range Locales {
		if s := t[l]; s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Which party of a resource must be one of the player's registered numbers
// (Checks.RegisteredNumber).
const (
	PartyTo     = "to"
	PartyFrom   = "from"
	PartyEither = "either"
)

// Checks are the rules a fetched resource must satisfy beyond existing in
// the player's account. Zero values mean "no constraint"; an objective may
// combine any of them.
type Checks struct {
	// DirectionIn lists accepted directions. outbound-api and
	// outbound-reply stand for each other (a reply sent through a
	// Messaging Service reads outbound-api).
	DirectionIn []string `yaml:"direction_in"`
	// StatusIn lists the only accepted statuses.
	StatusIn []string `yaml:"status_in"`
	// StatusNotIn lists statuses that mean the resource never made it.
	StatusNotIn []string `yaml:"status_not_in"`
	// BodyContains must appear in the body, ignoring case.
	BodyContains string `yaml:"body_contains"`
	// BodyMatches is an RE2 regular expression the body must match
	// (anywhere: anchor it with ^ and $ to match the whole body).
	BodyMatches string `yaml:"body_matches"`
	// BodyNotSample rejects a body equal to a sample body in any locale,
	// so copying the instructions verbatim does not count.
	BodyNotSample bool `yaml:"body_not_sample"`
	// MinMedia is the least number of media files a message must carry
	// (1 for an MMS objective).
	MinMedia int `yaml:"min_media"`
	// RegisteredNumber names the party ("to", "from" or "either") that
	// must be one of the numbers the player registered in questgate.
	RegisteredNumber string `yaml:"registered_number"`
	// CreatedAfterOpened rejects a resource created before the player
	// first opened the objective, so one made before the quest (or for
	// another objective) cannot be reused.
	CreatedAfterOpened bool `yaml:"created_after_opened"`

	// Webhook names the phone number's webhook that must point at the
	// player's code: WebhookSMS (sms_url, the default) or WebhookVoice
	// (voice_url). Kinds with webhooks only (KindSpec.Webhooks).
	Webhook string `yaml:"webhook"`
	// WebhookAllowHTTP accepts an http:// webhook; by default only an
	// https one counts, as Twilio signs and players should serve.
	WebhookAllowHTTP bool `yaml:"webhook_allow_http"`
	// WebhookAnswers sends the webhook a request signed as Twilio signs
	// them (X-Twilio-Signature) and requires TwiML back within a few
	// seconds. It refuses private addresses unless the operator allows
	// them (--allow-private-webhooks).
	WebhookAnswers bool `yaml:"webhook_answers"`
	// InboundRequestURL requires a Messaging Service's inbound request
	// URL to be set (kinds with a sender pool only).
	InboundRequestURL bool `yaml:"inbound_request_url"`
	// ChannelIn lists the channels a verification may have been sent on
	// (kinds with channels only); any when empty.
	ChannelIn []string `yaml:"channel_in"`

	bodyRE *regexp.Regexp
}

// BodyRegexp returns BodyMatches compiled, or nil when there is none. A
// catalog compiles it once at load; checks built by hand (tests) compile
// it here, and an invalid one is reported by ok false.
func (c Checks) BodyRegexp() (re *regexp.Regexp, ok bool) {
	if c.BodyMatches == "" {
		return nil, true
	}
	if c.bodyRE != nil {
		return c.bodyRE, true
	}
	re, err := regexp.Compile(c.BodyMatches)
	return re, err == nil
}

// The webhooks checks.webhook may name.
const (
	WebhookSMS   = "sms"
	WebhookVoice = "voice"
)

// Samples are the placeholder values shown in an objective's instructions
// and code examples.
type Samples struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
	Body Text   `yaml:"body"`
	// MediaURL is the picture of an MMS example.
	MediaURL string `yaml:"media_url"`
	// URL is the TwiML a call example plays.
	URL string `yaml:"url"`
	// PhoneNumber is the number a phone number example buys, SMSURL and
	// VoiceURL the webhooks it sets.
	PhoneNumber string `yaml:"phone_number"`
	SMSURL      string `yaml:"sms_url"`
	VoiceURL    string `yaml:"voice_url"`
}

// Item is a reward granted with an objective, beside its XP.
type Item struct {
	ID   string `yaml:"id"`
	Name Text   `yaml:"name"`
}

// Objective is one thing a player can do to earn XP.
type Objective struct {
	ID          string   `yaml:"id"`
	Kind        Kind     `yaml:"kind"`
	SIDPrefixes []string `yaml:"sid_prefixes"`
	XP          int      `yaml:"xp"`
	Items       []Item   `yaml:"items"`
	Title       Text     `yaml:"title"`
	// Summary is one plain-text line, shown on the objectives list.
	Summary Text `yaml:"summary"`
	// Instructions are Markdown; see InstructionsHTML.
	Instructions Text `yaml:"instructions"`
	// Prerequisites are the ids of objectives a player must hold before
	// this one unlocks.
	Prerequisites []string `yaml:"prerequisites"`
	// ReusesProofOf lists objectives whose proof may also prove this one:
	// a SID that won the player one of them may win this one too, and the
	// other way round. Without it, one SID wins a player at most one
	// objective, so that one message cannot be cashed in twice (one SMS
	// to the player's own number is both sent and, to the checks, a
	// reply). A list rather than a boolean: the author names the pairs
	// that make sense, and nothing else is opened.
	ReusesProofOf []string `yaml:"reuses_proof_of"`
	// MaxAttempts caps the attempts that count against the player (see
	// docs/objectives.md); zero means no cap.
	MaxAttempts int `yaml:"max_attempts"`
	// AttemptsWindow, a Go duration such as "15m", turns the cap into a
	// sliding window: at most MaxAttempts counted attempts within any
	// such period. Empty means a permanent lockout once the cap is hit.
	AttemptsWindow string  `yaml:"attempts_window"`
	Checks         Checks  `yaml:"checks"`
	Samples        Samples `yaml:"samples"`
	// Hints are revealed one at a time from the objective's page (see Hint).
	Hints []Hint `yaml:"hints"`

	// Window is AttemptsWindow parsed.
	Window time.Duration `yaml:"-"`
	// html is Instructions rendered, per locale.
	html Text
}

// AcceptsPrefix reports whether a SID starting with prefix (e.g. "SM") is the
// kind of resource this objective wants.
func (o *Objective) AcceptsPrefix(prefix string) bool {
	return slices.Contains(o.Prefixes(), prefix)
}

// Prefixes returns the SID prefixes the objective accepts: its own list,
// else every prefix of its kind.
func (o *Objective) Prefixes() []string {
	if len(o.SIDPrefixes) > 0 {
		return o.SIDPrefixes
	}
	return o.Spec().Prefixes
}

// InstructionsHTML returns the instructions in locale (with the usual
// fallback) as HTML rendered from their Markdown when the catalog loaded.
// It is safe to insert as is: raw HTML in the Markdown was dropped and
// every value escaped (see markdown). An objective built by hand, outside
// a catalog, has none, and gets its Markdown source escaped.
func (o *Objective) InstructionsHTML(locale string) string {
	if s := o.html.In(locale); s != "" {
		return s
	}
	html, err := renderMarkdown(o.Instructions.In(locale))
	if err != nil {
		return ""
	}
	return html
}

// Limited reports whether the objective caps attempts.
func (o *Objective) Limited() bool { return o.MaxAttempts > 0 }

// ItemName returns the name of the objective's item id in locale.
func (o *Objective) ItemName(id, locale string) string {
	for _, it := range o.Items {
		if it.ID == id {
			return it.Name.In(locale)
		}
	}
	return id
}

// ItemIDs returns the ids of the objective's items.
func (o *Objective) ItemIDs() []string {
	out := make([]string, len(o.Items))
	for i, it := range o.Items {
		out[i] = it.ID
	}
	return out
}

// Catalog is an ordered, validated set of objectives.
type Catalog struct {
	objectives []Objective
	byID       map[string]int
}

// All returns the objectives in catalog order.
func (c *Catalog) All() []Objective { return slices.Clone(c.objectives) }

// Objectives yields the catalog's own objectives in catalog order, for
// callers that read them and never change them. A HACK's answer walks
// every objective to say what the win unlocked: copying each (half a
// kilobyte, All's clone and then the loop's variable) was a fifth of
// what a HACK allocated.
func (c *Catalog) Objectives() iter.Seq[*Objective] {
	return func(yield func(*Objective) bool) {
		for i := range c.objectives {
			if !yield(&c.objectives[i]) {
				return
			}
		}
	}
}

// Get returns the objective with id.
func (c *Catalog) Get(id string) (Objective, bool) {
	if o, ok := c.Lookup(id); ok {
		return *o, true
	}
	return Objective{}, false
}

// Lookup returns the catalog's own objective with id, for callers that
// read it and never change it. An objective is half a kilobyte: a copy
// on the stack of every HACK waiting for Twilio (a thousand at once in a
// big event) was part of what doubled their stacks.
func (c *Catalog) Lookup(id string) (*Objective, bool) {
	i, ok := c.byID[id]
	if !ok {
		return nil, false
	}
	return &c.objectives[i], true
}

// Has reports whether the catalog has an objective with id.
func (c *Catalog) Has(id string) bool {
	_, ok := c.byID[id]
	return ok
}

// ProofSharers returns the ids of the objectives whose awarded SID may
// also win objective id: those it lists under reuses_proof_of, and those
// listing it. Sharing goes both ways so that the order in which a player
// completes two objectives does not matter.
func (c *Catalog) ProofSharers(id string) []string {
	o, ok := c.Lookup(id)
	if !ok {
		return nil
	}
	out := slices.Clone(o.ReusesProofOf)
	for _, other := range c.objectives {
		if other.ID != id && slices.Contains(other.ReusesProofOf, id) && !slices.Contains(out, other.ID) {
			out = append(out, other.ID)
		}
	}
	return out
}

// Locked reports whether o has a prerequisite that done does not report
// done: whether Missing would return any, without building the list.
func (c *Catalog) Locked(o *Objective, done func(id string) bool) bool {
	for _, id := range o.Prerequisites {
		if !done(id) && c.Has(id) {
			return true
		}
	}
	return false
}

// Missing returns the prerequisites of o that done does not report done,
// in the order o lists them: o is locked while any is missing.
func (c *Catalog) Missing(o *Objective, done func(id string) bool) []Objective {
	var out []Objective
	for _, id := range o.Prerequisites {
		if !done(id) {
			if p, ok := c.Lookup(id); ok {
				out = append(out, *p)
			}
		}
	}
	return out
}
