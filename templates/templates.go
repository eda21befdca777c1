// Package templates renders questgate's pages with templ. It only renders:
// handlers gather the data into the *Props types declared here and pick the
// HTTP status. Every word a player reads comes from the locale bundle
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

// paragraphs splits catalog text on blank lines, so that instructions
// written as plain text in the YAML keep their paragraphs while staying
// plain text: no markup from the catalog ever reaches the page.
func paragraphs(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []string
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.Join(strings.Fields(p), " "))
		}
	}
	return out
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

// last4 returns the last four characters of a secret, the only part of a
// real account's secret a page may show, so that a player can tell which
// token is saved without anyone reading it over their shoulder.
func last4(secret string) string {
	r := []rune(secret)
	if len(r) <= 4 {
		// A secret this short shows nothing: four characters of five
		// would reveal almost all of it.
		return ""
	}
	return string(r[len(r)-4:])
}

// sidPlaceholder is the hack field's placeholder for an objective, built
// from its first accepted prefix ("SMXXXX…") as the game shows it.
func sidPlaceholder(o catalog.Objective) string {
	p := "SM"
	if len(o.SIDPrefixes) > 0 {
		p = o.SIDPrefixes[0]
	}
	return p + "XXXX…"
}

// sidPrefix is the prefix a player's SID should start with, for hints.
func sidPrefix(o catalog.Objective) string {
	if len(o.SIDPrefixes) > 0 {
		return strings.Join(o.SIDPrefixes, " / ")
	}
	return "SM"
}
