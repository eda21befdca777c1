// Package twilioquest builds a TwilioQuest 3 extension from the catalog,
// so that a workshop's players play questgate's objectives inside the
// game: one mission listing the objectives in prerequisite order, each
// with its texts in every language and a validator.js that asks questgate
// to verify what the player pasted. Everything that differs between kinds
// of objective (the field's label and placeholder, the SID prefixes) comes
// from the catalog's kind table, so a new kind exports with no change here.
//
// The extension carries no secret: a player is known to questgate by the
// Twilio account they configured in the game (see quest.GamePlayers).
package twilioquest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
)

// Engine is the TwilioQuest version the extension needs
// (package.json's engines.twilioquest): the first 3.x able to load
// extensions.
const Engine = ">=3.1.44"

// LevelID is the mission's folder under levels/.
const LevelID = "questgate"

// NameField is the validation field of the first objective that asks the
// player's name for the instructor's views.
const NameField = "questgate_name"

// ValidatorTimeoutMS bounds one HACK's request to questgate: generous, as
// a slow but valid check must not fail (questgate itself gives Twilio
// less).
const ValidatorTimeoutMS = 45000

// Options are what an export needs beyond the catalog.
type Options struct {
	// PublicURL is where players' games reach questgate, without a
	// trailing slash.
	PublicURL string
	// JoinCode is the cohort the players join; "" exports for no cohort,
	// which a validator refuses to use (it has nowhere to send).
	JoinCode string
	// CohortName is shown in the mission's description when set.
	CohortName string
	// Version is the extension's version (package.json).
	Version string
}

// File is one file of the extension, its path relative to the
// extension's folder, with forward slashes.
type File struct {
	Path string
	Data []byte
}

// Export returns the extension's files, in a stable order.
func Export(cat *catalog.Catalog, bundle *locale.Bundle, opts Options) ([]File, error) {
	u, err := url.Parse(opts.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("public URL %q: give an absolute http:// or https:// URL", opts.PublicURL)
	}
	opts.PublicURL = strings.TrimSuffix(opts.PublicURL, "/")
	if opts.JoinCode == "" {
		return nil, fmt.Errorf("a cohort's join code is needed: the players' progress goes to a cohort")
	}
	if opts.Version == "" {
		opts.Version = "1.0.0"
	}
	en := bundle.Localizer(catalog.Locales[0])
	ordered := PlayOrder(cat)
	var files []File
	add := func(path string, data []byte) { files = append(files, File{Path: path, Data: data}) }
	addJSON := func(path string, v any) error {
		b, err := marshal(v)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		add(path, b)
		return nil
	}

	pkg := map[string]any{
		"name":        FolderName(opts.JoinCode),
		"version":     opts.Version,
		"description": en.T("twilioquest.package_description", map[string]any{"URL": opts.PublicURL}),
		"engines":     map[string]string{"twilioquest": Engine},
	}
	if err := addJSON("package.json", pkg); err != nil {
		return nil, err
	}
	ids := make([]string, len(ordered))
	for i, o := range ordered {
		ids[i] = o.ID
	}
	for _, lang := range catalog.Locales {
		l := bundle.Localizer(lang)
		desc := l.T("twilioquest.mission_description")
		if opts.CohortName != "" {
			desc += " " + l.T("twilioquest.mission_cohort", map[string]any{"Cohort": opts.CohortName})
		}
		level := map[string]any{
			"title": l.T("twilioquest.mission_title"), "description": desc, "is_mission": true,
			"questTitle": l.T("twilioquest.mission_title"), "questDescription": desc, "priority": 100, "objectives": ids,
		}
		if err := addJSON("levels/"+LevelID+"/"+localised("level", lang, ".json"), level); err != nil {
			return nil, err
		}
	}
	for i, o := range ordered {
		dir := "levels/" + LevelID + "/objectives/" + o.ID + "/"
		first := i == 0
		for _, lang := range catalog.Locales {
			l := bundle.Localizer(lang)
			if err := addJSON(dir+localised("objective", lang, ".json"), objectiveJSON(o, l, lang, first)); err != nil {
				return nil, err
			}
			add(dir+localised("description", lang, ".md"), []byte(description(o, l, lang)))
			add(dir+localised("walkthrough", lang, ".md"), []byte(walkthrough(o, l, first)))
		}
		v, err := validator(o, bundle, opts, first)
		if err != nil {
			return nil, err
		}
		add(dir+"validator.js", v)
	}
	return files, nil
}

// localised names a file in lang: the default language's has no suffix
// (objective.json), the others carry theirs (objective.fr.json).
func localised(base, lang, ext string) string {
	if lang == catalog.Locales[0] {
		return base + ext
	}
	return base + "." + lang + ext
}

// PlayOrder returns the objectives with every prerequisite before the
// objectives that need it, otherwise in catalog order.
func PlayOrder(cat *catalog.Catalog) []catalog.Objective {
	all := cat.All()
	done := map[string]bool{}
	var out []catalog.Objective
	for len(out) < len(all) {
		progressed := false
		for _, o := range all {
			if done[o.ID] {
				continue
			}
			ready := true
			for _, p := range o.Prerequisites {
				if _, known := cat.Get(p); known && !done[p] {
					ready = false
					break
				}
			}
			if ready {
				done[o.ID], progressed = true, true
				out = append(out, o)
				break
			}
		}
		if !progressed {
			// A cycle, which catalog validation refuses: keep the rest
			// in catalog order rather than loop.
			for _, o := range all {
				if !done[o.ID] {
					out = append(out, o)
				}
			}
		}
	}
	return out
}

// Field is one of an objective's validation fields, as objective.json
// declares it.
type Field struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Label       string `json:"label"`
	Placeholder string `json:"placeholder"`
}

// SIDField is the field where the player pastes the SID: named after the
// resource the kind creates ("message_sid", "call_sid"), labelled and
// filled in as the objective's page does.
func SIDField(o catalog.Objective, l *locale.Localizer) Field {
	spec := o.Spec()
	name := spec.Example.Var
	if name == "" {
		name = strings.TrimSuffix(spec.Resource, "s")
	}
	// A field name is an identifier: the example's variable may be a
	// path ("messaging.service").
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(name))
	return Field{Name: name + "_sid", Type: "text", Label: l.T(spec.Texts.Label, map[string]any{"Prefix": o.PrefixText()}),
		Placeholder: o.Placeholder()}
}

// fields are the objective's validation fields: the SID, and the name on
// the first objective.
func fields(o catalog.Objective, l *locale.Localizer, first bool) []Field {
	out := []Field{SIDField(o, l)}
	if first {
		out = append(out, Field{Name: NameField, Type: "text", Label: l.T("twilioquest.name_label"),
			Placeholder: l.T("twilioquest.name_placeholder")})
	}
	return out
}

func objectiveJSON(o catalog.Objective, l *locale.Localizer, lang string, first bool) map[string]any {
	items := slices.Clone(o.ItemIDs())
	if items == nil {
		items = []string{}
	}
	return map[string]any{
		"title":             o.Title.In(lang),
		"description":       "<p>" + html.EscapeString(o.Summary.In(lang)) + "</p>",
		"show_ide":          false,
		"validation_fields": fields(o, l, first),
		"rewards":           map[string]any{"xp": o.XP, "items": items},
	}
}

// description is the objective's instructions, beside the hack
// interface: its Markdown as the catalog has it.
func description(o catalog.Objective, l *locale.Localizer, lang string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s\n", o.Title.In(lang), strings.TrimSpace(o.Instructions.In(lang)))
	return b.String()
}

func walkthrough(o catalog.Objective, l *locale.Localizer, first bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s\n", l.T("twilioquest.walkthrough_heading"),
		l.T("twilioquest.walkthrough", map[string]any{"Prefix": o.PrefixText()}))
	if first {
		fmt.Fprintf(&b, "\n%s\n", l.T("twilioquest.walkthrough_name"))
	}
	return b.String()
}

// marshal is JSON as people read it: indented, HTML characters kept.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
