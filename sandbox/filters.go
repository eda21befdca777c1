package sandbox

import (
	"net/http"
	"net/url"
	"time"
)

// The filters Twilio's spec lists for the Messages and Calls lists, beside
// To and From (which the store applies) and paging. The sandbox honours
// them all; any other is refused (knownFilters).
var (
	messageTimeFilters = []string{"DateSent", "DateSent<", "DateSent>"}
	callFilters        = []string{"ParentCallSid", "Status", "StartTime", "StartTime<", "StartTime>", "EndTime", "EndTime<", "EndTime>"}
)

// timeFilter is one of DateSent, StartTime or EndTime with its three
// forms: on that day (or at that instant), on or before, on or after.
type timeFilter struct {
	on, notAfter, notBefore *bound
}

// bound is a parsed filter value: a whole UTC day (2026-05-24) or an
// instant (2026-05-24T17:44:46Z).
type bound struct {
	from, to time.Time // [from, to]
}

func parseBound(name, v string) (*bound, *apiError) {
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return &bound{from: d, to: d.Add(24*time.Hour - time.Nanosecond)}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return &bound{from: t.UTC(), to: t.UTC()}, nil
	}
	return nil, newAPIError(http.StatusBadRequest, 20001, "Invalid parameter "+name+": "+v+" is not a date (YYYY-MM-DD) nor a time (RFC 3339)")
}

// parseTimeFilter reads name, name< and name> from q.
func parseTimeFilter(q url.Values, name string) (timeFilter, *apiError) {
	var f timeFilter
	for _, x := range []struct {
		param string
		dst   **bound
	}{{name, &f.on}, {name + "<", &f.notAfter}, {name + ">", &f.notBefore}} {
		if v := q.Get(x.param); v != "" {
			b, apiErr := parseBound(x.param, v)
			if apiErr != nil {
				return f, apiErr
			}
			*x.dst = b
		}
	}
	return f, nil
}

func (f timeFilter) active() bool { return f.on != nil || f.notAfter != nil || f.notBefore != nil }

// keeps reports whether a resource whose time is v (RFC 2822, nil when it
// has none yet) passes the filter. A resource without the time never
// passes an active filter: a message not yet sent has no date_sent.
func (f timeFilter) keeps(v *string) bool {
	if !f.active() {
		return true
	}
	if v == nil {
		return false
	}
	t, err := time.Parse(time.RFC1123Z, *v)
	if err != nil {
		return false
	}
	t = t.UTC()
	switch {
	case f.on != nil && (t.Before(f.on.from) || t.After(f.on.to)),
		f.notAfter != nil && t.After(f.notAfter.to),
		f.notBefore != nil && t.Before(f.notBefore.from):
		return false
	}
	return true
}

// filteredPage cuts page p from all after keep, for lists whose filters
// run on the rendered resources (status and times follow a resource's age,
// so the database cannot apply them).
func filteredPage[T any](all []T, keep func(T) bool, p paging) (page []T, more bool) {
	var kept []T
	for _, x := range all {
		if keep(x) {
			kept = append(kept, x)
		}
	}
	start := min(p.page*p.size, len(kept))
	end := min(start+p.size, len(kept))
	return kept[start:end], end < len(kept)
}
