package quest

import (
	"context"
	"testing"
)

// TestRecentAttemptsAnswerOnlyTheirList: a kept list answers the panel's
// read of the same player's attempts at the same objective, no longer
// than it was asked for, and nothing else; a request that asked for no
// list keeps and answers nothing.
func TestRecentAttemptsAnswerOnlyTheirList(t *testing.T) {
	three := []Submission{{ID: 3}, {ID: 2}, {ID: 1}}
	five := []Submission{{ID: 5}, {ID: 4}, {ID: 3}, {ID: 2}, {ID: 1}}
	for _, tc := range []struct {
		name      string
		ask       int // WithRecentAttempts' limit; 0 asks for none
		kept      []Submission
		player    string
		objective string
		limit     int
		want      int // how many it answers; -1 for none
	}{
		{"the same list", 5, five, "p", "send-sms", 5, 5},
		{"a shorter list", 5, five, "p", "send-sms", 2, 2},
		{"a longer list than was read", 5, five, "p", "send-sms", 8, -1},
		{"a longer list than the player has", 5, three, "p", "send-sms", 8, 3},
		{"another player", 5, five, "q", "send-sms", 5, -1},
		{"another objective", 5, five, "p", "send-mms", 5, -1},
		{"nothing kept", 5, nil, "p", "send-sms", 5, -1},
		{"no list asked for", 0, five, "p", "send-sms", 5, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := WithRecentAttempts(context.Background(), tc.ask)
			r := RecentAttemptsOf(ctx)
			if tc.kept != nil {
				r.Keep("p", "send-sms", tc.kept)
			}
			got, ok := r.Take(tc.player, tc.objective, tc.limit)
			if tc.want < 0 {
				if ok {
					t.Fatalf("answered %d attempts, want the list read again", len(got))
				}
				return
			}
			if !ok || len(got) != tc.want || got[0].ID != tc.kept[0].ID {
				t.Fatalf("answered %v (%v), want the %d newest", got, ok, tc.want)
			}
			got[0].ID = 99
			if again, _ := r.Take(tc.player, tc.objective, tc.limit); again[0].ID == 99 {
				t.Error("a caller's change to its list reached the kept one")
			}
		})
	}
}
