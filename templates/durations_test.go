package templates

import (
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	for _, tt := range []struct {
		d      time.Duration
		en, fr string
	}{
		{0, "0 seconds", "0 seconde"},
		{time.Second, "1 second", "1 seconde"},
		{1200 * time.Millisecond, "2 seconds", "2 secondes"},
		{45 * time.Second, "45 seconds", "45 secondes"},
		{time.Minute, "1 minute", "1 minute"},
		{10 * time.Minute, "10 minutes", "10 minutes"},
		{9*time.Minute + 1*time.Second, "9 minutes 1 second", "9 minutes 1 seconde"},
		{90 * time.Minute, "1 hour 30 minutes", "1 heure 30 minutes"},
		{2 * time.Hour, "2 hours", "2 heures"},
		{119*time.Minute + 30*time.Second, "2 hours", "2 heures"},
		{48 * time.Hour, "2 days", "2 jours"},
	} {
		for lang, want := range map[string]string{"en": tt.en, "fr": tt.fr} {
			if got := HumanDuration(contextIn(t, lang), tt.d); got != want {
				t.Errorf("%s: HumanDuration(%v) = %q, want %q", lang, tt.d, got, want)
			}
		}
	}
}
