package handlers_test

import (
	"strings"
	"testing"

	"github.com/questgate/questgate/quest"
)

// TestCSVIsSafeWhereSemicolonsSplit: a spreadsheet that splits on
// semicolons (where the comma is the decimal mark), or an import that
// ignores the quotes, cuts a cell at each ";" or ",". No piece of any cell
// may then start as a formula, and what the player typed stays readable.
func TestCSVIsSafeWhereSemicolonsSplit(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, ada := e.newPlayer()
	pasted := map[string]string{ // what was pasted: the cell the export must hold
		`SM1;=HYPERLINK("http://evil.example","x")`: `SM1;'=HYPERLINK("http://evil.example","x")`,
		"ok, =1+1":             "ok,' =1+1",
		"a;+1;-1;@SUM(A1)":     "a;'+1;'-1;'@SUM(A1)",
		"x,\t=1":               "x,'\t=1",
		"y;\r=1":               "y;'\r=1",
		"=1;=2":                "'=1;'=2",
		"SMfine; plain, words": "SMfine; plain, words",
		"trailing;":            "trailing;",
		"semicolons;;;":        "semicolons;;;",
	}
	for raw := range pasted {
		e.record(ada, quest.InvalidSID, raw, &quest.Message{Body: "Hi;=cmd|' /C calc'!A0", Status: "sent"})
	}
	e.signIn()
	_, rows := readCSV(t, e, "/instructor/submissions.csv?player="+ada)
	if len(rows) != len(pasted)+1 {
		t.Fatalf("%d rows, want a heading and %d", len(rows), len(pasted))
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	rawCol, bodyCol := col[e.msg("en", "instructor.csv.raw_sid")], col[e.msg("en", "instructor.csv.body")]
	got := map[string]bool{}
	for _, r := range rows[1:] {
		got[r[rawCol]] = true
		if r[bodyCol] != "Hi;'=cmd|' /C calc'!A0" {
			t.Errorf("body cell %q", r[bodyCol])
		}
		for _, cell := range r {
			for piece := range strings.FieldsFuncSeq(cell, func(c rune) bool { return c == ';' || c == ',' }) {
				if p := strings.TrimLeft(piece, ` "`); p != "" && strings.ContainsRune("=+-@\t\r", rune(p[0])) {
					t.Errorf("cell %q: the piece %q is a formula where the line is split on its separators", cell, piece)
				}
			}
		}
	}
	for raw, want := range pasted {
		if !got[want] {
			t.Errorf("pasted %q: no cell %q", raw, want)
		}
	}
}
