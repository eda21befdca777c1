package quest_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
)

func TestParseDisplayName(t *testing.T) {
	tests := []struct {
		in, want, problem string
	}{
		{"Ada", "Ada", ""},
		{"  Ada Lovelace \t", "Ada Lovelace", ""},
		{"<script>alert(1)</script>", "<script>alert(1)</script>", ""},
		{"Robert'); DROP TABLE players;--", "Robert'); DROP TABLE players;--", ""},
		{"Zoë 👩‍💻", "Zoë 👩‍💻", ""},
		{strings.Repeat("é", 40), strings.Repeat("é", 40), ""},
		{"", "", quest.NameRequired},
		{" \t\n ", "", quest.NameRequired},
		{strings.Repeat("a", 41), "", quest.NameTooLong},
		{"Ada\nLovelace", "", quest.NameControl},
		{"Ada\x00", "", quest.NameControl},
		{"Ada\x1b[31m", "", quest.NameControl},
		{"evil\u202Eeman", "", quest.NameControl},
		{"bad \xff utf8", "", quest.NameControl},
		{"\u200B\u200B", "", quest.NameInvisible},
		{"\u200D\u2060\uFEFF", "", quest.NameInvisible},
		{"\u3164", "", quest.NameInvisible},
		{"\u115F\u1160 \uFFA0", "", quest.NameInvisible},
		{"\u2800\u2800", "", quest.NameInvisible},
		{"\u0301\u0308", "", quest.NameInvisible},
		{"\uFE0F\U000E0041", "", quest.NameInvisible},
		{"\uE000", "", quest.NameInvisible},
		{"\u00AD", "", quest.NameInvisible},
		{"\u3000\u200B\u3000", "", quest.NameInvisible},
		{"e\u0301", "e\u0301", ""},
		{"\u200BAda", "\u200BAda", ""},
		{"😀", "😀", ""},
		{"李", "李", ""},
		{"42", "42", ""},
		{"-", "-", ""},
	}
	for _, tt := range tests {
		got, err := quest.ParseDisplayName(tt.in)
		var ne *quest.NameError
		switch {
		case tt.problem == "" && (err != nil || got != tt.want):
			t.Errorf("ParseDisplayName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		case tt.problem != "" && (!errors.As(err, &ne) || ne.Problem != tt.problem || got != ""):
			t.Errorf("ParseDisplayName(%q) = %q, %v; want problem %s", tt.in, got, err, tt.problem)
		}
	}
}

func TestJoinCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c := quest.NewJoinCode()
		if n, ok := quest.NormalizeJoinCode(c); !ok || n != c {
			t.Fatalf("NewJoinCode gave %q, which does not normalise to itself", c)
		}
		seen[c] = true
	}
	if len(seen) < 199 {
		t.Errorf("only %d distinct codes in 200", len(seen))
	}
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ABCD2345", "ABCD2345", true},
		{" abcd-2345 ", "ABCD2345", true},
		{"abcd 2345", "ABCD2345", true},
		{"ABCD234", "", false},
		{"ABCD23450", "", false},
		{"ABCD2O45", "", false}, // O is not in the alphabet
		{"ABCD2I45", "", false},
		{"../../etc", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got, ok := quest.NormalizeJoinCode(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeJoinCode(%q) = %q %v, want %q %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func newService(t *testing.T) (*quest.Players, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return quest.NewPlayers(st), st
}

func TestJoin(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	c, err := svc.CreateCohort(ctx, "  Paris workshop  ")
	if err != nil || c.Name != "Paris workshop" || len(c.JoinCode) != quest.JoinCodeLength {
		t.Fatalf("CreateCohort = %+v, %v", c, err)
	}
	if _, err := svc.CreateCohort(ctx, ""); err == nil {
		t.Error("a cohort without a name was created")
	}
	archived, err := svc.CreateCohort(ctx, "Old one")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetArchived(ctx, archived.ID, true); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		player   string // existing display name
		code     string
		typed    string
		wantErr  error
		problem  string
		wantName string
		joined   bool
	}{
		{"a name is asked of a nameless player", "", c.JoinCode, "", nil, quest.NameRequired, "", false},
		{"nameless player with a name", "", strings.ToLower(c.JoinCode), "Ada", nil, "", "Ada", true},
		{"named player keeps the name", "Bob", c.JoinCode, "", nil, "", "Bob", true},
		{"named player renames", "Bob", c.JoinCode, "Robert", nil, "", "Robert", true},
		{"bad new name changes nothing", "Bob", c.JoinCode, "a\x00b", nil, quest.NameControl, "Bob", false},
		{"unknown code", "Bob", "ZZZZ2222", "", quest.ErrUnknownCohort, "", "Bob", false},
		{"malformed code", "Bob", "<script>", "", quest.ErrUnknownCohort, "", "Bob", false},
		{"archived cohort", "", archived.JoinCode, "Eve", quest.ErrArchivedCohort, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := st.CreatePlayer(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tt.player != "" {
				if err := st.SetDisplayName(ctx, p.ID, tt.player); err != nil {
					t.Fatal(err)
				}
				p.DisplayName = tt.player
			}
			_, err = svc.Join(ctx, p, tt.code, tt.typed)
			var ne *quest.NameError
			switch {
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			case tt.problem != "" && (!errors.As(err, &ne) || ne.Problem != tt.problem):
				t.Errorf("err = %v, want problem %s", err, tt.problem)
			case tt.wantErr == nil && tt.problem == "" && err != nil:
				t.Errorf("err = %v", err)
			}
			got, err := st.Player(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.DisplayName != tt.wantName || (got.CohortID == c.ID) != tt.joined {
				t.Errorf("player = %+v, want name %q joined %v", got, tt.wantName, tt.joined)
			}
		})
	}
}
