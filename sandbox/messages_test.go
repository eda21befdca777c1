package sandbox

import (
	"strings"
	"testing"
)

func TestSegments(t *testing.T) {
	tests := []struct {
		name string
		body string
		want int
	}{
		{"empty (media only)", "", 1},
		{"short", "Body", 1},
		{"160 GSM", strings.Repeat("a", 160), 1},
		{"161 GSM", strings.Repeat("a", 161), 2},
		{"306 GSM", strings.Repeat("a", 306), 2},
		{"307 GSM", strings.Repeat("a", 307), 3},
		{"GSM accents stay GSM", strings.Repeat("é", 160), 1},
		{"extension characters count twice", strings.Repeat("€", 80), 1},
		{"81 extension characters", strings.Repeat("€", 81), 2},
		{"70 UCS-2", strings.Repeat("ç", 70), 1},
		{"71 UCS-2", strings.Repeat("ç", 71), 2},
		{"emoji is two UTF-16 units", strings.Repeat("😀", 35), 1},
		{"36 emoji", strings.Repeat("😀", 36), 2},
		{"one non-GSM character switches the whole body", strings.Repeat("a", 100) + "ç", 2},
	}
	for _, tt := range tests {
		if got := segments(tt.body); got != tt.want {
			t.Errorf("%s: segments = %d, want %d", tt.name, got, tt.want)
		}
	}
}
