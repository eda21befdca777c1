package twilioquest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/twilioquest"
)

func load(t *testing.T) (*catalog.Catalog, *locale.Bundle) {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat, bundle
}

// TestExport: the extension has the game's files for every objective, in
// every language, JSON that parses, a mission listing every objective
// after its prerequisites, and validators aimed at the cohort's endpoint.
func TestExport(t *testing.T) {
	cat, bundle := load(t)
	files, err := twilioquest.Export(cat, bundle, twilioquest.Options{PublicURL: "https://quest.example/", JoinCode: "ABCD2345", CohortName: "Lyon"})
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string][]byte{}
	for _, f := range files {
		if _, dup := byPath[f.Path]; dup {
			t.Errorf("%s written twice", f.Path)
		}
		byPath[f.Path] = f.Data
		if strings.HasSuffix(f.Path, ".json") && !json.Valid(f.Data) {
			t.Errorf("%s is not JSON", f.Path)
		}
	}
	var pkg struct {
		Name    string            `json:"name"`
		Engines map[string]string `json:"engines"`
	}
	if err := json.Unmarshal(byPath["package.json"], &pkg); err != nil || pkg.Name != "questgate-abcd2345" || pkg.Engines["twilioquest"] != twilioquest.Engine {
		t.Errorf("package.json: %+v %v", pkg, err)
	}
	var level struct {
		IsMission  bool     `json:"is_mission"`
		Objectives []string `json:"objectives"`
		Desc       string   `json:"description"`
	}
	if err := json.Unmarshal(byPath["levels/questgate/level.json"], &level); err != nil || !level.IsMission || !strings.Contains(level.Desc, "Lyon") {
		t.Fatalf("level.json: %+v %v", level, err)
	}
	if len(level.Objectives) != len(cat.All()) {
		t.Errorf("the mission lists %d objectives, the catalog has %d", len(level.Objectives), len(cat.All()))
	}
	for i, id := range level.Objectives {
		o, _ := cat.Get(id)
		for _, p := range o.Prerequisites {
			if j := slices.Index(level.Objectives, p); j < 0 || j > i {
				t.Errorf("%s comes before its prerequisite %s", id, p)
			}
		}
		dir := "levels/questgate/objectives/" + id + "/"
		for _, name := range []string{"objective.json", "objective.fr.json", "description.md", "description.fr.md", "walkthrough.md", "walkthrough.fr.md", "validator.js"} {
			if len(byPath[dir+name]) == 0 {
				t.Errorf("%s%s is missing", dir, name)
			}
		}
		var obj struct {
			Title   string              `json:"title"`
			Fields  []twilioquest.Field `json:"validation_fields"`
			Rewards struct {
				XP    int      `json:"xp"`
				Items []string `json:"items"`
			} `json:"rewards"`
		}
		if err := json.Unmarshal(byPath[dir+"objective.fr.json"], &obj); err != nil {
			t.Fatal(err)
		}
		if obj.Title != o.Title.In("fr") || obj.Rewards.XP != o.XP || !slices.Equal(obj.Rewards.Items, o.ItemIDs()) && len(o.Items) > 0 {
			t.Errorf("%s: objective.fr.json %+v", id, obj)
		}
		wantFields := 1
		if i == 0 {
			wantFields = 2 // the player's name, asked once
		}
		if len(obj.Fields) != wantFields || obj.Fields[0].Placeholder != o.Placeholder() {
			t.Errorf("%s: fields %+v", id, obj.Fields)
		}
		v := string(byPath[dir+"validator.js"])
		if !strings.Contains(v, `"endpoint": "https://quest.example/api/v1/cohorts/ABCD2345/verifications"`) ||
			!strings.Contains(v, `"objective": "`+id+`"`) || strings.Contains(v, "/*CONFIG*/") {
			t.Errorf("%s: validator.js is not configured for the cohort", id)
		}
		if strings.Count(v, "require(") != 2 || !strings.Contains(v, "require('http')") || !strings.Contains(v, "require('https')") {
			t.Errorf("%s: validator.js requires something beyond Node's http and https", id)
		}
	}
}

// TestSIDFieldFollowsTheKindTable: every kind of the catalog's table
// gives its hack field a name, its own label in every language and its
// placeholder, with no code here knowing the kinds.
func TestSIDFieldFollowsTheKindTable(t *testing.T) {
	_, bundle := load(t)
	for _, spec := range catalog.Specs() {
		o := catalog.Objective{ID: "x", Kind: spec.Kind}
		for _, lang := range catalog.Locales {
			f := twilioquest.SIDField(o, bundle.Localizer(lang))
			if !regexp.MustCompile(`^[a-z][a-z0-9_]*$`).MatchString(f.Name) || f.Type != "text" || f.Label == "" || f.Label == spec.Texts.Label || !strings.HasPrefix(f.Placeholder, spec.Prefixes[0]) {
				t.Errorf("%s in %s: %+v", spec.Kind, lang, f)
			}
		}
	}
}

// TestExportRefuses: nowhere to send, or no cohort, is an error.
func TestExportRefuses(t *testing.T) {
	cat, bundle := load(t)
	for _, opts := range []twilioquest.Options{
		{PublicURL: "quest.example", JoinCode: "ABCD2345"},
		{PublicURL: "ftp://quest.example", JoinCode: "ABCD2345"},
		{PublicURL: "https://quest.example"},
	} {
		if _, err := twilioquest.Export(cat, bundle, opts); err == nil {
			t.Errorf("%+v exported", opts)
		}
	}
}

// TestWriteDir writes the files under their folders.
func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	if err := twilioquest.WriteDir(dir, []twilioquest.File{{Path: "a/b/c.json", Data: []byte("{}")}}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "a", "b", "c.json")); err != nil || string(b) != "{}" {
		t.Errorf("read back %q, %v", b, err)
	}
}
