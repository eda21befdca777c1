package verifier

import (
	"testing"

	"github.com/questgate/questgate/catalog"
)

// TestEveryKindHasAFetcher keeps the kinds table and the verifier in step:
// an objective of a kind whose resource has no fetcher could not be
// verified at all.
func TestEveryKindHasAFetcher(t *testing.T) {
	for _, s := range catalog.Specs() {
		if fetchers[s.Resource] == nil {
			t.Errorf("kind %s: no fetcher for resource %q", s.Kind, s.Resource)
		}
	}
}

// TestDetailsSpeakOfTheKind checks the wording the kinds table picks: a
// call objective's SID problems get the call's details.
func TestDetailsSpeakOfTheKind(t *testing.T) {
	sms := catalog.Objective{Kind: catalog.KindMessage}
	call := catalog.Objective{Kind: catalog.KindCall}
	tests := []struct {
		o            catalog.Objective
		detail, want string
	}{
		{sms, DetailAccount, DetailAccount},
		{sms, "", ""},
		{call, DetailAccount, DetailCallPrefix + DetailAccount},
		{call, DetailSMS, DetailCallPrefix + DetailMessage},
		{call, DetailMMS, DetailCallPrefix + DetailMessage},
		{call, "", ""},
	}
	for _, tt := range tests {
		if got := forKind(tt.o, tt.detail); got != tt.want {
			t.Errorf("forKind(%s, %q) = %q, want %q", tt.o.Kind, tt.detail, got, tt.want)
		}
	}
	if got := notFoundDetail(call); got != DetailCall {
		t.Errorf("call NotFound detail = %q, want %q", got, DetailCall)
	}
	if got := notFoundDetail(sms); got != "" {
		t.Errorf("message NotFound detail = %q, want none", got)
	}
}
