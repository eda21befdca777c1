package templates

import (
	"context"
	"time"

	"github.com/questgate/questgate/locale"
)

// HumanDuration writes d as people say it, in the context's language:
// "45 seconds", "10 minutes", "1 hour 30 minutes", "2 days", never Go's
// "10m0s". It rounds up to whole seconds (waiting 1.2 s is waiting 2 s),
// speaks in the largest unit that fits, and adds the next one down only
// when it is not zero, so a wait never reads shorter than it is by more
// than that smaller unit's rounding.
func HumanDuration(ctx context.Context, d time.Duration) string {
	s := wholeSeconds(d)
	units := []struct {
		id   string
		size int
	}{{"duration.days", 86400}, {"duration.hours", 3600}, {"duration.minutes", 60}, {"duration.seconds", 1}}
	for i, u := range units {
		if s < u.size && u.size > 1 {
			continue
		}
		big := s / u.size
		rest := s % u.size
		if i == len(units)-1 || rest == 0 {
			return count(ctx, u.id, big)
		}
		next := units[i+1]
		small := (rest + next.size - 1) / next.size // round up
		if small*next.size == u.size {
			return count(ctx, u.id, big+1)
		}
		return locale.T(ctx, "duration_pair", map[string]any{"Big": count(ctx, u.id, big), "Small": count(ctx, next.id, small)})
	}
	return count(ctx, "duration.seconds", 0)
}

// count is a plural message filled with n.
func count(ctx context.Context, id string, n int) string {
	l := locale.From(ctx)
	if l == nil {
		return id
	}
	return l.N(id, n, nil)
}
