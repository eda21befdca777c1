package templates

import (
	"strconv"
	"strings"
	"testing"

	"github.com/questgate/questgate/quest"
)

func TestInitials(t *testing.T) {
	for in, want := range map[string]string{
		"Ada Lovelace":              "A. L.",
		"élodie de la Tour":         "É. D. L.",
		"🎉 Bob":                     "B.",
		"   ":                       "",
		"<script>alert(1)</script>": "",
	} {
		if got := Initials(in); got != want {
			t.Errorf("Initials(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"names": NamesFull, "hidden": NamesHidden, "": NamesInitials, "leaderboard": NamesInitials} {
		if got := ParseNames(in); got != want {
			t.Errorf("ParseNames(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStuckPanelSaysWhenItShowsSome renders the Stuck panel listing all
// of the stuck players and only the most recent of them: the heading
// counts them all, and a note says when some are not listed, in every
// language.
func TestStuckPanelSaysWhenItShowsSome(t *testing.T) {
	row := StuckRow{Stuck: quest.Stuck{PlayerID: "pl_ada", PlayerName: "Ada", ObjectiveID: "send-sms", Failures: 3, LastReason: quest.NotFound}}
	rule := quest.StuckRule{Failures: 3, Minutes: 10}
	for _, lang := range []string{"en", "fr"} {
		ctx := contextIn(t, lang)
		for _, tc := range []struct {
			total int
			note  bool
		}{{1, false}, {250, true}} {
			doc := parse(t, renderString(t, ctx, StuckPanel(StuckView{Shown: true, Rule: rule, Rows: []StuckRow{row}, Total: tc.total})))
			if got := doc.Find(`[data-testid="stuck-player"]`).Length(); got != 1 {
				t.Errorf("%s, %d stuck: %d rows", lang, tc.total, got)
			}
			if h := doc.Find("h2").Text(); !strings.Contains(h, strconv.Itoa(tc.total)) {
				t.Errorf("%s, %d stuck: heading %q", lang, tc.total, h)
			}
			note := doc.Find(`[data-testid="stuck-recent"]`)
			if (note.Length() == 1) != tc.note || strings.Contains(note.Text(), "workshop.") {
				t.Errorf("%s, %d stuck: note %q", lang, tc.total, note.Text())
			}
		}
	}
}
