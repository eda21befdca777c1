// Package locale holds every player-facing string in every supported
// language, and picks the language for a request. Templates and handlers
// never hard-code text: they ask the Localizer carried by the context.
package locale

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed messages/*.toml
var files embed.FS

// Supported lists the languages questgate speaks, the default first.
var Supported = []string{"en", "fr"}

// Bundle holds the parsed message catalogs.
type Bundle struct {
	b       *i18n.Bundle
	matcher language.Matcher
	tags    []language.Tag
	// locs are the supported languages' Localizers, made once: a
	// Localizer is safe for concurrent use and keeps what it translated,
	// so every request of a language shares one.
	locs map[string]*Localizer
}

// Load parses the embedded message files ("<topic>.<lang>.toml").
func Load() (*Bundle, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	entries, err := fs.Glob(files, "messages/*.toml")
	if err != nil {
		return nil, err
	}
	for _, name := range entries {
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if _, err := b.ParseMessageFileBytes(data, path.Base(name)); err != nil {
			return nil, fmt.Errorf("message file %s: %w", name, err)
		}
	}
	tags := make([]language.Tag, len(Supported))
	for i, s := range Supported {
		tags[i] = language.MustParse(s)
	}
	bundle := &Bundle{b: b, matcher: language.NewMatcher(tags), tags: tags, locs: map[string]*Localizer{}}
	for _, lang := range Supported {
		bundle.locs[lang] = newLocalizer(b, lang)
	}
	return bundle, nil
}

// Match picks the best supported language: an explicit choice (the
// switcher's cookie) wins when supported, then the Accept-Language header,
// then the default.
func (b *Bundle) Match(choice, acceptLanguage string) string {
	if slices.Contains(Supported, choice) {
		return choice
	}
	prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(prefs) == 0 {
		return Supported[0]
	}
	_, i, conf := b.matcher.Match(prefs...)
	if conf == language.No {
		return Supported[0]
	}
	return Supported[i]
}

// Localizer translates message ids into one language: a supported
// language's shared Localizer, or a new one for another tag.
func (b *Bundle) Localizer(lang string) *Localizer {
	if l, ok := b.locs[lang]; ok {
		return l
	}
	return newLocalizer(b.b, lang)
}

func newLocalizer(b *i18n.Bundle, lang string) *Localizer {
	return &Localizer{Lang: lang, l: i18n.NewLocalizer(b, lang)}
}

// Localizer translates into one language. It is safe for concurrent use.
type Localizer struct {
	// Lang is the chosen language ("en", "fr").
	Lang string
	l    *i18n.Localizer
	// plain keeps the messages translated without data (id → text):
	// they never change, and a page asks for the same few dozen on every
	// request (go-i18n matches the language and runs the message's
	// template on each call: 7% of a HACK's CPU before).
	plain sync.Map
	// counted keeps the plural messages N translated with no other data
	// than a small count ((id, count) → text): every HACK's verdict
	// spells its two waits, "0 seconds" nearly always, and each was a
	// template run.
	counted sync.Map
}

// maxCounted bounds the counts N keeps: below it, a message has at most
// that many texts kept, whatever the counts asked for.
const maxCounted = 100

// countedKey is a plural message with its count.
type countedKey struct {
	id    string
	count int
}

// T returns the message id in the localizer's language, filled with data.
// A missing message shows its id, which tests catch, rather than failing
// the page.
func (l *Localizer) T(id string, data ...map[string]any) string {
	if len(data) == 0 || data[0] == nil {
		if s, ok := l.plain.Load(id); ok {
			return s.(string)
		}
	}
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(data) > 0 {
		cfg.TemplateData = data[0]
	}
	s, err := l.l.Localize(cfg)
	if err != nil {
		return id
	}
	if cfg.TemplateData == nil {
		l.plain.Store(id, s)
	}
	return s
}

// N is T for a message with plural forms, chosen by count.
func (l *Localizer) N(id string, count int, data map[string]any) string {
	keep := data == nil && count >= 0 && count < maxCounted
	if keep {
		if s, ok := l.counted.Load(countedKey{id, count}); ok {
			return s.(string)
		}
	}
	if data == nil {
		data = map[string]any{}
	}
	data["Count"] = count
	s, err := l.l.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: data})
	if err != nil {
		return id
	}
	if keep {
		l.counted.Store(countedKey{id, count}, s)
	}
	return s
}

// Has reports whether id has a message, for optional, more specific help.
func (l *Localizer) Has(id string) bool {
	if _, ok := l.plain.Load(id); ok {
		return true
	}
	s, err := l.l.Localize(&i18n.LocalizeConfig{MessageID: id})
	if err == nil {
		l.plain.Store(id, s)
	}
	return err == nil
}

type ctxKey struct{}

// With returns a context carrying l, for templates to translate with.
func With(ctx context.Context, l *Localizer) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the context's Localizer. Without one it returns nil, and
// T on it returns message ids unchanged.
func From(ctx context.Context) *Localizer {
	l, _ := ctx.Value(ctxKey{}).(*Localizer)
	return l
}

// T translates id with the context's Localizer.
func T(ctx context.Context, id string, data ...map[string]any) string {
	l := From(ctx)
	if l == nil {
		return id
	}
	return l.T(id, data...)
}

// Lang returns the context's language, or the default.
func Lang(ctx context.Context) string {
	if l := From(ctx); l != nil {
		return l.Lang
	}
	return Supported[0]
}

// keys lists the message ids of every file of one language, for tests that
// prove each language has all of them.
func keys(lang string) (map[string]bool, error) {
	out := map[string]bool{}
	entries, err := fs.Glob(files, "messages/*."+lang+".toml")
	if err != nil {
		return nil, err
	}
	for _, name := range entries {
		var doc map[string]any
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if err := toml.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		flatten(strings.TrimSuffix(path.Base(name), "."+lang+".toml"), "", doc, out)
	}
	return out, nil
}

func flatten(file, prefix string, doc map[string]any, out map[string]bool) {
	for k, v := range doc {
		id := prefix + k
		sub, ok := v.(map[string]any)
		if !ok {
			out[file+":"+id] = true
			continue
		}
		// A table holding plural forms is one message, not a namespace.
		if _, plural := sub["other"]; plural {
			out[file+":"+id] = true
			continue
		}
		flatten(file, id+".", sub, out)
	}
}
