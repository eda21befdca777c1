package store

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/questgate/questgate/verifier"
)

// TestHugePastesAreClipped: however much a player pastes, a submission
// row keeps at most MaxPasteLen bytes of it (raw and normalised), cut on a
// character boundary, whichever way the attempt is recorded.
func TestHugePastesAreClipped(t *testing.T) {
	huge := strings.Repeat("x", 60<<10)
	multibyte := strings.Repeat("é€", 20<<10)
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p := newPlayer(t, s)
		record := func(paste string) (Submission, error) {
			return s.RecordAttempt(ctx, Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: paste, SID: paste,
				Reason: verifier.InvalidSID}, nil)
		}
		reserveAndFinish := func(paste string) (Submission, error) {
			r, _, err := s.ReserveAttempt(ctx, Submission{PlayerID: p.ID, ObjectiveID: "send-mms", RawSID: paste, SID: paste},
				AttemptLimit{Max: 100})
			if err != nil {
				return Submission{}, err
			}
			r.SID, r.Reason = paste, verifier.InvalidSID
			return s.FinishAttempt(ctx, r, nil)
		}
		for _, way := range []struct {
			name   string
			record func(string) (Submission, error)
		}{{"recorded", record}, {"reserved then finished", reserveAndFinish}} {
			for _, paste := range []string{huge, multibyte, " " + sid + " "} {
				got, err := way.record(paste)
				if err != nil {
					t.Fatalf("%s: %v", way.name, err)
				}
				stored, err := s.Submission(ctx, p.ID, got.ID)
				if err != nil {
					t.Fatal(err)
				}
				for what, v := range map[string][2]string{"raw_sid": {got.RawSID, stored.RawSID}, "sid": {got.SID, stored.SID}} {
					if v[0] != v[1] {
						t.Errorf("%s %s: returned %q, stored %q", way.name, what, v[0], v[1])
					}
					if len(v[1]) > MaxPasteLen || !utf8.ValidString(v[1]) {
						t.Errorf("%s %s: %d bytes kept (valid UTF-8: %v), want at most %d", way.name, what, len(v[1]),
							utf8.ValidString(v[1]), MaxPasteLen)
					}
					if len(paste) <= MaxPasteLen && v[1] != paste {
						t.Errorf("%s %s: %q kept as %q, want it whole", way.name, what, paste, v[1])
					}
					if len(paste) > MaxPasteLen && (!strings.HasSuffix(v[1], "…") || !strings.HasPrefix(paste, strings.TrimSuffix(v[1], "…"))) {
						t.Errorf("%s %s: kept %q, want a prefix of the paste and …", way.name, what, v[1])
					}
				}
			}
		}
	})
}
