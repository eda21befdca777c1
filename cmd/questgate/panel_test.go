package main

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/questgate/questgate/internal/testkit/pgtest"
)

// TestTheHackPanelListsEveryAttempt: after each HACK, the panel htmx
// swaps in lists the player's latest attempts at the objective, the one
// just made first with its verdict, on SQLite and on PostgreSQL (where
// the attempt's record reads the list in its own round trips), whatever
// the verdict: a SID Twilio does not know, a win, a repeat; five at
// most.
func TestTheHackPanelListsEveryAttempt(t *testing.T) {
	for _, db := range []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"sqlite", func(*testing.T) []string { return nil }},
		{"postgres", func(t *testing.T) []string { return []string{"--database", pgtest.Schema(t)} }},
	} {
		t.Run(db.name, func(t *testing.T) {
			if testing.Short() {
				t.Skip("runs the server")
			}
			tw := newFakeTwilio(t)
			s := startServer(t, append([]string{"--twilio-api-url", tw.api}, db.args(t)...)...)
			p := readyToHack(t, s.url, tw)
			won := tw.create(t, "Messages.json", url.Values{"From": {"+15017122661"}, "To": {"+15558675310"}, "Body": {"Ahoy"}}, "sid")
			unknown := "SM" + strings.Repeat("0", 32)
			for i, tt := range []struct{ sid, want string }{
				{unknown, "not_found"}, {won, "awarded"}, {won, "already_awarded"},
				{unknown, "not_found"}, {won, "already_awarded"}, {won, "already_awarded"},
			} {
				panel := htmxHack(t, p, s.url, tt.sid)
				rows := panel.Find(`[data-testid="attempt"]`)
				if want := min(i+1, 5); rows.Length() != want {
					t.Errorf("HACK %d (%s): the panel lists %d attempts, want %d", i+1, tt.want, rows.Length(), want)
				}
				if got := rows.First().AttrOr("data-reason", ""); got != tt.want {
					t.Errorf("HACK %d: the newest attempt listed is %q, want %q", i+1, got, tt.want)
				}
			}
		})
	}
}

// htmxHack presses HACK on send-sms as htmx does and returns the panel
// it answered.
func htmxHack(t *testing.T, p stackPlayer, base, sid string) *goquery.Document {
	t.Helper()
	_, body := pressHack(t, base, p, sid, true)
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
