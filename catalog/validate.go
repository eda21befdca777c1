package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

var (
	idPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	prefixPattern = regexp.MustCompile(`^[A-Z]{2}$`)
	// e164 is a phone number as Twilio writes them: + and 8 to 15 digits.
	e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
)

// maxWindow bounds attempts_window: a longer one is a permanent lockout in
// all but name, which leaving the window out says plainly.
const maxWindow = 30 * 24 * time.Hour

// validate checks one objective of a file, and completes it: it parses
// the attempts window, compiles the body regular expression and renders
// the instructions' Markdown, so that nothing is parsed per request.
func (e *entry) validate() Errors {
	var errs Errors
	o := &e.o
	bad := func(field, format string, args ...any) {
		errs = append(errs, e.src.errorAt(e.path(field), format, args...))
	}
	if !idPattern.MatchString(o.ID) {
		bad("id", "%q is not an id: use 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit", o.ID)
	}
	spec, knownKind := SpecOf(o.Kind)
	allowedPrefixes := spec.Prefixes
	if !knownKind {
		bad("kind", "%q is not supported (allowed: %s)", o.Kind, joinKinds(nil))
	}
	for i, p := range o.SIDPrefixes {
		switch {
		case !prefixPattern.MatchString(p):
			bad(fmt.Sprintf("sid_prefixes[%d]", i), "%q is not two capital letters", p)
		case knownKind && !slices.Contains(allowedPrefixes, p):
			bad(fmt.Sprintf("sid_prefixes[%d]", i), "%q is not a SID prefix of a %s (allowed: %s; leave sid_prefixes out to accept all)",
				p, o.Kind, strings.Join(allowedPrefixes, ", "))
		}
	}
	if o.XP < 0 {
		bad("xp", "%d: must not be negative", o.XP)
	}
	e.validateTexts(bad)
	e.validateHints(bad)
	for i, it := range o.Items {
		if !idPattern.MatchString(it.ID) {
			bad(fmt.Sprintf("items[%d].id", i), "%q is not an id: use lowercase letters, digits and dashes", it.ID)
		}
		for _, l := range Locales {
			if strings.TrimSpace(it.Name[l]) == "" {
				bad(fmt.Sprintf("items[%d].name", i), "missing the %q name (every item needs one in %s)", l, strings.Join(Locales, " and "))
			}
		}
		if slices.IndexFunc(o.Items[:i], func(x Item) bool { return x.ID == it.ID }) >= 0 {
			bad(fmt.Sprintf("items[%d].id", i), "%q is listed twice", it.ID)
		}
	}
	for i, p := range o.Prerequisites {
		if slices.Contains(o.Prerequisites[:i], p) {
			bad(fmt.Sprintf("prerequisites[%d]", i), "%q is listed twice", p)
		}
	}
	for i, p := range o.ReusesProofOf {
		switch {
		case p == o.ID:
			bad(fmt.Sprintf("reuses_proof_of[%d]", i), "an objective always accepts its own proof: leave %q out", p)
		case slices.Contains(o.ReusesProofOf[:i], p):
			bad(fmt.Sprintf("reuses_proof_of[%d]", i), "%q is listed twice", p)
		}
	}
	switch {
	case o.MaxAttempts < 0:
		bad("max_attempts", "%d: must be 1 or more, or left out for no limit", o.MaxAttempts)
	case o.AttemptsWindow != "" && o.MaxAttempts == 0:
		bad("attempts_window", "needs max_attempts: the window limits how many attempts count within it")
	}
	if o.AttemptsWindow != "" {
		d, err := time.ParseDuration(o.AttemptsWindow)
		switch {
		case err != nil:
			bad("attempts_window", "%q is not a duration (use a number and a unit: 30s, 15m, 2h)", o.AttemptsWindow)
		case d < time.Second || d > maxWindow:
			bad("attempts_window", "%s: must be between 1s and %s; leave it out for a permanent lockout", d, maxWindow)
		default:
			o.Window = d
		}
	}
	if knownKind {
		e.validateChecks(bad)
	}
	if o.Samples.MediaURL != "" && !isHTTPURL(o.Samples.MediaURL) {
		bad("samples.media_url", "%q is not an http or https URL", o.Samples.MediaURL)
	}
	for field, v := range map[string]string{"samples.url": o.Samples.URL, "samples.sms_url": o.Samples.SMSURL,
		"samples.voice_url": o.Samples.VoiceURL} {
		if v != "" && !isHTTPURL(v) {
			bad(field, "%q is not an http or https URL", v)
		}
	}
	if o.Samples.PhoneNumber != "" && !e164.MatchString(o.Samples.PhoneNumber) {
		bad("samples.phone_number", "%q is not a phone number in E.164 form, such as +15017122661", o.Samples.PhoneNumber)
	}
	return errs
}

// validateTexts checks that every text is written in every locale, and
// renders the instructions.
func (e *entry) validateTexts(bad func(field, format string, args ...any)) {
	o := &e.o
	for _, f := range []struct {
		name string
		text Text
	}{{"title", o.Title}, {"summary", o.Summary}, {"instructions", o.Instructions}} {
		for l := range f.text {
			if !slices.Contains(Locales, l) {
				bad(f.name+"."+l, "%q is not a supported language (allowed: %s)", l, strings.Join(Locales, ", "))
			}
		}
		for _, l := range Locales {
			if strings.TrimSpace(f.text[l]) == "" {
				bad(f.name, "missing the %q text (every objective is written in %s)", l, strings.Join(Locales, " and "))
			}
		}
	}
	o.html = Text{}
	for _, l := range Locales {
		if s := o.Instructions[l]; s != "" {
			html, err := renderMarkdown(s)
			if err != nil {
				bad("instructions."+l, "%v", err)
				continue
			}
			o.html[l] = html
		}
	}
}

// validateChecks checks the checks against what the objective's kind can
// have.
func (e *entry) validateChecks(bad func(field, format string, args ...any)) {
	o := &e.o
	c := &o.Checks
	set := func(field string, values, allowed []string) {
		for i, v := range values {
			if !slices.Contains(allowed, v) {
				bad(fmt.Sprintf("checks.%s[%d]", field, i), "%q is not a %s %s (allowed: %s)",
					v, o.Kind, strings.TrimSuffix(strings.Split(field, "_")[0], "_"), strings.Join(allowed, ", "))
			}
		}
	}
	spec := o.Spec()
	set("direction_in", c.DirectionIn, spec.Directions)
	set("status_in", c.StatusIn, spec.Statuses)
	set("status_not_in", c.StatusNotIn, spec.Statuses)
	for _, s := range c.StatusIn {
		if slices.Contains(c.StatusNotIn, s) {
			bad("checks.status_not_in", "%q is also in status_in: no %s could pass", s, o.Kind)
		}
	}
	if !spec.HasBody {
		for field, set := range map[string]bool{"body_contains": c.BodyContains != "", "body_matches": c.BodyMatches != "",
			"body_not_sample": c.BodyNotSample, "min_media": c.MinMedia != 0} {
			if set {
				bad("checks."+field, "a %s has no body nor media: this check only applies to kind %s", o.Kind, joinKinds(withBody))
			}
		}
	}
	if c.BodyMatches != "" {
		re, err := regexp.Compile(c.BodyMatches)
		if err != nil {
			bad("checks.body_matches", "not an RE2 regular expression: %v", err)
		} else {
			c.bodyRE = re
		}
	}
	if c.BodyNotSample && len(o.Samples.Body) == 0 {
		bad("checks.body_not_sample", "needs samples.body: the sample texts to refuse")
	}
	if c.MinMedia < 0 || c.MinMedia > 10 {
		bad("checks.min_media", "%d: must be between 0 and 10 (Twilio sends at most 10 media)", c.MinMedia)
	}
	if c.MinMedia > 0 && len(o.SIDPrefixes) > 0 && !slices.Contains(o.SIDPrefixes, "MM") {
		bad("checks.min_media", "a message with media has an MM SID: add MM to sid_prefixes")
	}
	e.validateProductChecks(bad)
	switch c.RegisteredNumber {
	case "", PartyTo, PartyFrom, PartyEither:
	default:
		bad("checks.registered_number", "%q is not a party (allowed: %s, %s, %s)", c.RegisteredNumber, PartyTo, PartyFrom, PartyEither)
	}
	for field, v := range map[string]string{"samples.from": o.Samples.From, "samples.to": o.Samples.To} {
		if v == "" {
			continue
		}
		if spec.Channel != "" {
			// The examples send the samples as they are: on the kind's
			// channel, or Twilio would send an SMS instead.
			number, ok := strings.CutPrefix(v, spec.Channel+":")
			if !ok || !e164.MatchString(number) {
				bad(field, "%q is not a %s address: %s: and a phone number in E.164 form, such as %s:+15017122661",
					v, o.Kind, spec.Channel, spec.Channel)
			}
			continue
		}
		if !e164.MatchString(v) {
			bad(field, "%q is not a phone number in E.164 form, such as +15017122661", v)
		}
	}
}

// validateProductChecks checks the checks that only some kinds have: a
// phone number's webhooks, a service's sender pool, a verification's
// channel.
func (e *entry) validateProductChecks(bad func(field, format string, args ...any)) {
	o := &e.o
	c := &o.Checks
	spec := o.Spec()
	only := func(field string, set, applies bool, which func(KindSpec) bool) {
		if set && !applies {
			bad("checks."+field, "a %s has no such property: this check only applies to kind %s", o.Kind, joinKinds(which))
		}
	}
	webhooks := func(s KindSpec) bool { return s.Webhooks }
	senders := func(s KindSpec) bool { return s.Senders }
	channels := func(s KindSpec) bool { return len(s.Channels) > 0 }
	only("webhook", c.Webhook != "", spec.Webhooks, webhooks)
	only("webhook_allow_http", c.WebhookAllowHTTP, spec.Webhooks, webhooks)
	only("webhook_answers", c.WebhookAnswers, spec.Webhooks, webhooks)
	only("inbound_request_url", c.InboundRequestURL, spec.Senders, senders)
	only("channel_in", len(c.ChannelIn) > 0, channels(spec), channels)
	switch c.Webhook {
	case "", WebhookSMS, WebhookVoice:
	default:
		bad("checks.webhook", "%q is not a webhook (allowed: %s, %s)", c.Webhook, WebhookSMS, WebhookVoice)
	}
	if channels(spec) {
		for i, ch := range c.ChannelIn {
			if !slices.Contains(spec.Channels, ch) {
				bad(fmt.Sprintf("checks.channel_in[%d]", i), "%q is not a %s channel (allowed: %s)", ch, o.Kind, strings.Join(spec.Channels, ", "))
			}
		}
	}
	if len(spec.Directions) == 0 && len(c.DirectionIn) > 0 {
		bad("checks.direction_in", "a %s has no direction", o.Kind)
	}
	if len(spec.Statuses) == 0 && (len(c.StatusIn) > 0 || len(c.StatusNotIn) > 0) {
		bad("checks.status_in", "a %s has no status", o.Kind)
	}
}

// joinKinds names the kinds whose spec keep accepts, or every kind when
// keep is nil.
func joinKinds(keep func(KindSpec) bool) string {
	var s []string
	for _, spec := range kinds {
		if keep == nil || keep(spec) {
			s = append(s, string(spec.Kind))
		}
	}
	return strings.Join(s, ", ")
}

// withBody keeps the kinds whose resources have a body.
func withBody(s KindSpec) bool { return s.HasBody }

func isHTTPURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}
