package twilioquest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
)

// validatorJS is every objective's validator, its CONFIG left to fill.
//
//go:embed validator.js
var validatorJS string

// configMark is where validatorJS takes its CONFIG.
const configMark = "/*CONFIG*/ null"

// validatorConfig is what one objective's validator knows.
type validatorConfig struct {
	Endpoint  string `json:"endpoint"`
	Objective string `json:"objective"`
	Field     string `json:"field"`
	NameField string `json:"nameField,omitempty"`
	TimeoutMS int    `json:"timeoutMs"`
	Version   string `json:"version"`
	// Languages are the extension's, the default first.
	Languages []string `json:"languages"`
	// Messages are the validator's own texts per language, for what it
	// must say without questgate: missing settings, an empty field,
	// questgate out of reach.
	Messages map[string]map[string]string `json:"messages"`
}

// Endpoint is the game API's URL for a cohort.
func Endpoint(publicURL, joinCode string) string {
	return strings.TrimSuffix(publicURL, "/") + "/api/v1/cohorts/" + url.PathEscape(joinCode) + "/verifications"
}

func validator(o catalog.Objective, bundle *locale.Bundle, opts Options, first bool) ([]byte, error) {
	cfg := validatorConfig{Endpoint: Endpoint(opts.PublicURL, opts.JoinCode), Objective: o.ID,
		TimeoutMS: ValidatorTimeoutMS, Version: opts.Version, Languages: catalog.Locales,
		Messages: map[string]map[string]string{}}
	for _, lang := range catalog.Locales {
		l := bundle.Localizer(lang)
		if cfg.Field == "" {
			cfg.Field = SIDField(o, l).Name
		}
		data := map[string]any{"URL": opts.PublicURL, "Prefix": o.PrefixText(), "Status": "{status}"}
		m := map[string]string{}
		for _, id := range []string{"no_credentials", "no_sid", "unreachable", "timeout", "server"} {
			m[id] = l.T("twilioquest.fail."+id, data)
		}
		cfg.Messages[lang] = m
	}
	if first {
		cfg.NameField = NameField
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("validator of %s: %w", o.ID, err)
	}
	if !strings.Contains(validatorJS, configMark) {
		return nil, fmt.Errorf("validator.js lost its %s", configMark)
	}
	return []byte(strings.Replace(validatorJS, configMark, string(b), 1)), nil
}
