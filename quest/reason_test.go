package quest

import "testing"

func TestReasonOutcome(t *testing.T) {
	for r, want := range map[Reason]string{
		Awarded: "passed", AlreadyAwarded: "passed",
		UpstreamRateLimited: "undecided", UpstreamUnavailable: "undecided",
		BadCredentials: "undecided", NoCredentials: "undecided",
		NotFound: "failed", RateLimited: "failed", Locked: "failed", SampleBody: "failed",
	} {
		if got := r.Outcome(); got != want {
			t.Errorf("%s.Outcome() = %q, want %q", r, got, want)
		}
	}
}
