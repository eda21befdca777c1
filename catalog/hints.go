package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// MaxHints bounds an objective's hints, and MaxHintCost one hint's XP
// cost: a hint is a nudge, not a way to drain a player's XP.
const (
	MaxHints    = 5
	MaxHintCost = 1000
)

// Hint is one stage of an objective's hints: Markdown in every locale,
// revealed one at a time, in order, from the objective's page. Cost is
// the XP it takes off the objective's award (zero: free).
type Hint struct {
	Text Text `yaml:"text"`
	Cost int  `yaml:"cost"`
	// html is Text rendered, per locale.
	html Text
}

// HTML returns the hint in locale (with the usual fallback) as HTML
// rendered from its Markdown when the catalog loaded, safe to insert as
// is (see markdown); a hint built by hand has its source escaped.
func (h Hint) HTML(locale string) string {
	if s := h.html.In(locale); s != "" {
		return s
	}
	html, err := renderMarkdown(h.Text.In(locale))
	if err != nil {
		return ""
	}
	return html
}

// validateHints checks and renders an objective's hints.
func (e *entry) validateHints(bad func(field, format string, args ...any)) {
	o := &e.o
	if len(o.Hints) > MaxHints {
		bad("hints", "%d hints: at most %d", len(o.Hints), MaxHints)
	}
	for i := range o.Hints {
		h := &o.Hints[i]
		field := fmt.Sprintf("hints[%d]", i)
		if h.Cost < 0 || h.Cost > MaxHintCost {
			bad(field+".cost", "%d: must be between 0 and %d XP", h.Cost, MaxHintCost)
		}
		for l := range h.Text {
			if !slices.Contains(Locales, l) {
				bad(field+".text."+l, "%q is not a supported language (allowed: %s)", l, strings.Join(Locales, ", "))
			}
		}
		h.html = Text{}
		for _, l := range Locales {
			s := h.Text[l]
			if strings.TrimSpace(s) == "" {
				bad(field+".text", "missing the %q text (every hint is written in %s)", l, strings.Join(Locales, " and "))
				continue
			}
			html, err := renderMarkdown(s)
			if err != nil {
				bad(field+".text."+l, "%v", err)
				continue
			}
			h.html[l] = html
		}
	}
}
