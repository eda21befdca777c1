// Package templates renders questgate's pages with templ, in the HTTP
// layer beside handlers, over domain values (quest, catalog), never store
// rows nor verifier types. It only renders:
// handlers gather the data into the *Props types declared here and pick the
// HTTP status, a verdict's from the one table that presents verdicts
// (verdict.go), which the API and `questgate verify` read too. Every word a player reads comes from the locale bundle
// (locale.T with the request's context) or from the objective catalog
// (Text.In), never from these files, so that adding a language touches only
// message files. templ escapes every value it prints, so text from players,
// Twilio or the catalog can never become markup.
package templates

import (
	"context"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
)

type versionKey struct{}

// WithVersion returns a context carrying the release version, which the
// page footer shows so that a player reporting a problem can say which
// release they saw.
func WithVersion(ctx context.Context, v string) context.Context {
	return context.WithValue(ctx, versionKey{}, v)
}

// Version returns the version carried by ctx, or "" when none was set.
func Version(ctx context.Context) string {
	v, _ := ctx.Value(versionKey{}).(string)
	return v
}

type playerKey struct{}

// PlayerName is what the layout shows of the request's player.
type PlayerName struct {
	// Name is the display name, "" when the player has not chosen one.
	Name string
}

// WithPlayer returns a context carrying the request's player for the
// layout, which then shows their name and the profile link. Pages without
// a player (errors for unknown addresses) show neither.
func WithPlayer(ctx context.Context, displayName string) context.Context {
	return context.WithValue(ctx, playerKey{}, PlayerName{Name: displayName})
}

// playerOf returns the player carried by ctx, and false when none.
func playerOf(ctx context.Context) (PlayerName, bool) {
	p, ok := ctx.Value(playerKey{}).(PlayerName)
	return p, ok
}

// PageProps are what every full page passes to the layout.
type PageProps struct {
	// Title is the page's own title, already localised; the layout adds
	// the application's name.
	Title string
	// Path is the GET-able address of the page, where the language
	// switcher comes back to. A POST that renders a page passes the page
	// it belongs to (the objective, not its /hack action).
	Path string
	// Nav is the navigation entry to mark as current: NavHome,
	// NavCredentials, NavSubmissions, NavProgress or "".
	Nav string
	// Area is AreaInstructor on the instructors' dashboard, which has its
	// own navigation; "" for the player pages.
	Area string
	// Instructor is the signed-in instructor's email, shown with the
	// sign-out button; "" on the sign-in page.
	Instructor string
}

// The navigation entries a page can mark as current.
const (
	NavHome        = "home"
	NavCredentials = "credentials"
	NavProfile     = "profile"
)

// tr translates id in the context's language. It is a shorthand for
// locale.T that keeps the templates readable.
func tr(ctx context.Context, id string, data ...map[string]any) string {
	return locale.T(ctx, id, data...)
}

// text picks the catalog text in the context's language.
func text(ctx context.Context, t catalog.Text) string {
	return t.In(locale.Lang(ctx))
}

// langURL is the switcher's link to lang, coming back to path.
func langURL(lang, path string) string {
	if path == "" {
		path = "/"
	}
	return "/lang/" + url.PathEscape(lang) + "?next=" + url.QueryEscape(path)
}

// dateFormat is the one date format pages use. Numeric and in UTC, it reads
// the same in every language and matches what Twilio's console shows.
const dateFormat = "2006-01-02 15:04 UTC"

// formatDate renders t for people; zero times render as "".
func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateFormat)
}

// machineDate renders t for the datetime attribute of <time>.
func machineDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// sidPlaceholder is the hack field's placeholder for an objective, built
// from its first accepted prefix ("SMXXXX…") as the game shows it.
func sidPlaceholder(o *catalog.Objective) string { return o.Placeholder() }

// sidPrefix is the prefix a player's SID should start with, for hints.
func sidPrefix(o *catalog.Objective) string { return o.PrefixText() }

// samplesHeading is the id of the samples section's heading: the kind's
// own, or a general one when the objective adds a value (a MediaUrl).
func samplesHeading(o catalog.Objective) string { return o.SamplesHeading() }

// hackLabel and hackHint are the ids of the SID field's label and hint,
// which speak of the objective's kind (a call, a message).
func hackLabel(o *catalog.Objective) string { return o.Spec().Texts.Label }

func hackHint(o *catalog.Objective) string { return o.Spec().Texts.Hint }

// sampleTestID is the data-testid of a sample value: "sample-" and the
// parameter in lowercase words ("sample-media-url" for MediaUrl).
func sampleTestID(param string) string {
	var b strings.Builder
	b.WriteString("sample")
	for i, r := range param {
		if unicode.IsUpper(r) || i == 0 {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// limitText says how many attempts the objective allows.
func limitText(ctx context.Context, o catalog.Objective) string {
	if o.Window > 0 {
		return tr(ctx, "objective.limit_window", map[string]any{"Max": o.MaxAttempts, "Window": HumanDuration(ctx, o.Window)})
	}
	return tr(ctx, "objective.limit", map[string]any{"Max": o.MaxAttempts})
}

// itemNames lists item ids by their names in the context's language.
func itemNames(ctx context.Context, o catalog.Objective, ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = o.ItemName(id, locale.Lang(ctx))
	}
	return strings.Join(names, ", ")
}
