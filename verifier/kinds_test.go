package verifier

import (
	"testing"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
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
		{sms, quest.DetailAccount, quest.DetailAccount},
		{sms, "", ""},
		{call, quest.DetailAccount, quest.DetailCallPrefix + quest.DetailAccount},
		{call, quest.DetailSMS, quest.DetailCallPrefix + quest.DetailMessage},
		{call, quest.DetailMMS, quest.DetailCallPrefix + quest.DetailMessage},
		{call, "", ""},
	}
	for _, tt := range tests {
		if got := forKind(&tt.o, tt.detail); got != tt.want {
			t.Errorf("forKind(%s, %q) = %q, want %q", tt.o.Kind, tt.detail, got, tt.want)
		}
	}
	if got := notFoundDetail(&call); got != quest.DetailCall {
		t.Errorf("call NotFound detail = %q, want %q", got, quest.DetailCall)
	}
	if got := notFoundDetail(&sms); got != "" {
		t.Errorf("message NotFound detail = %q, want none", got)
	}
}
