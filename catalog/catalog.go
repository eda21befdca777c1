// Package catalog holds the objectives players can complete. Objectives are
// data, not code: an embedded YAML file ships the defaults so that a new
// objective or a new language needs no Go change.
package catalog

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

//go:embed catalog.yaml
var embedded []byte

// Locales are the languages every objective text must be written in. The
// first one is the fallback when a player's language has no translation.
var Locales = []string{"en", "fr"}

// Kind names the Twilio resource an objective asks the player to create.
type Kind string

// KindMessage is an SMS or MMS fetched from the Messages resource.
const KindMessage Kind = "message"

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

// Checks are the rules a fetched resource must satisfy beyond existing in
// the player's account. Empty sets mean "no constraint".
type Checks struct {
	// DirectionIn lists accepted message directions.
	DirectionIn []string `yaml:"direction_in"`
	// StatusNotIn lists statuses that mean the message never made it.
	StatusNotIn []string `yaml:"status_not_in"`
	// BodyNotSample rejects a body equal to a sample body in any locale,
	// so copying the instructions verbatim does not count.
	BodyNotSample bool `yaml:"body_not_sample"`
}

// Samples are the placeholder values shown in an objective's instructions
// and code examples.
type Samples struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
	Body Text   `yaml:"body"`
}

// Objective is one thing a player can do to earn XP.
type Objective struct {
	ID           string   `yaml:"id"`
	Kind         Kind     `yaml:"kind"`
	SIDPrefixes  []string `yaml:"sid_prefixes"`
	XP           int      `yaml:"xp"`
	Title        Text     `yaml:"title"`
	Summary      Text     `yaml:"summary"`
	Instructions Text     `yaml:"instructions"`
	Checks       Checks   `yaml:"checks"`
	Samples      Samples  `yaml:"samples"`
}

// AcceptsPrefix reports whether a SID starting with prefix (e.g. "SM") is the
// kind of resource this objective wants.
func (o Objective) AcceptsPrefix(prefix string) bool {
	return slices.Contains(o.SIDPrefixes, prefix)
}

// Catalog is an ordered, validated set of objectives.
type Catalog struct {
	objectives []Objective
	byID       map[string]int
}

// Default returns the catalog embedded in the binary.
func Default() (*Catalog, error) {
	return Parse("catalog.yaml", embedded)
}

// Parse decodes and validates a catalog file. Errors name the file and, where
// the YAML decoder knows it, the line, so authors can fix them quickly.
func Parse(name string, data []byte) (*Catalog, error) {
	var doc struct {
		Objectives []Objective `yaml:"objectives"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField())
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, true))
	}
	c := &Catalog{byID: map[string]int{}}
	var errs []error
	for i, o := range doc.Objectives {
		for _, err := range validate(o) {
			errs = append(errs, fmt.Errorf("%s: objective %d (%q): %w", name, i+1, o.ID, err))
		}
		if _, dup := c.byID[o.ID]; dup {
			errs = append(errs, fmt.Errorf("%s: objective %d: id %q is used twice", name, i+1, o.ID))
		}
		c.byID[o.ID] = i
		c.objectives = append(c.objectives, o)
	}
	if len(doc.Objectives) == 0 {
		errs = append(errs, fmt.Errorf("%s: no objectives", name))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

var (
	idPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	prefixPattern = regexp.MustCompile(`^[A-Z]{2}$`)
)

func validate(o Objective) []error {
	var errs []error
	if !idPattern.MatchString(o.ID) {
		errs = append(errs, errors.New("id: use 1 to 63 lowercase letters, digits and dashes"))
	}
	if o.Kind != KindMessage {
		errs = append(errs, fmt.Errorf("kind: %q is not supported (allowed: %s)", o.Kind, KindMessage))
	}
	if len(o.SIDPrefixes) == 0 {
		errs = append(errs, errors.New("sid_prefixes: list at least one, such as SM"))
	}
	for _, p := range o.SIDPrefixes {
		if !prefixPattern.MatchString(p) {
			errs = append(errs, fmt.Errorf("sid_prefixes: %q is not two capital letters", p))
		}
	}
	if o.XP < 0 {
		errs = append(errs, errors.New("xp: must not be negative"))
	}
	for field, t := range map[string]Text{"title": o.Title, "summary": o.Summary, "instructions": o.Instructions} {
		for _, l := range Locales {
			if strings.TrimSpace(t[l]) == "" {
				errs = append(errs, fmt.Errorf("%s: missing the %q text", field, l))
			}
		}
	}
	if o.Checks.BodyNotSample && len(o.Samples.Body) == 0 {
		errs = append(errs, errors.New("checks.body_not_sample: needs samples.body"))
	}
	return errs
}

// All returns the objectives in catalog order.
func (c *Catalog) All() []Objective { return slices.Clone(c.objectives) }

// Get returns the objective with id.
func (c *Catalog) Get(id string) (Objective, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Objective{}, false
	}
	return c.objectives[i], true
}
