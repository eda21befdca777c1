package handlers_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// TestSubmissionsCSVWordsFollowEachRow: the export looks each reason's
// outcome and title up once and reuses them, so every row must still
// carry its own reason's words, in the instructor's language, and every
// row must arrive, over several flushes, newest first.
func TestSubmissionsCSVWordsFollowEachRow(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, ada := e.newPlayer()
	reasons := []quest.Reason{quest.NotFound, quest.UpstreamUnavailable, quest.InvalidSID, quest.NotFound, quest.WrongDirection}
	const n = 450 // more than two flushes' worth of rows
	for i := range n {
		e.record(ada, reasons[i%len(reasons)], fmt.Sprintf("SM%032x", i), nil)
	}
	e.record(ada, quest.Awarded, testMessageSID, &quest.Message{Status: "delivered", Body: "hi"})
	e.signIn()
	for _, lang := range []string{"en", "fr"} {
		t.Run(lang, func(t *testing.T) {
			e.get("/lang/" + lang)
			_, rows := readCSV(t, e, "/instructor/submissions.csv")
			if len(rows) != n+2 {
				t.Fatalf("%d rows, want a heading and %d", len(rows), n+1)
			}
			col := map[string]int{}
			for i, name := range rows[0] {
				col[name] = i
			}
			cell := func(r []string, id string) string { return r[col[e.msg(lang, "instructor.csv."+id)]] }
			last := int64(0)
			for i, r := range rows[1:] {
				reason := quest.Reason(cell(r, "reason"))
				title, _, _ := templates.ReasonMessageIDs(reason, "")
				if got, want := cell(r, "reason_title"), e.msg(lang, title); got != want {
					t.Fatalf("row %d (%s): title %q, want %q", i, reason, got, want)
				}
				if got, want := cell(r, "outcome"), e.msg(lang, "instructor.outcome."+string(quest.OutcomeOf(reason))); got != want {
					t.Fatalf("row %d (%s): outcome %q, want %q", i, reason, got, want)
				}
				id, err := strconv.ParseInt(cell(r, "submission"), 10, 64)
				if err != nil || i > 0 && id >= last {
					t.Fatalf("row %d: id %q after %d, want newest first", i, cell(r, "submission"), last)
				}
				last = id
			}
			if got := cell(rows[1], "body"); got != "hi" {
				t.Errorf("newest row's body %q, want hi", got)
			}
		})
	}
}
