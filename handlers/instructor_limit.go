package handlers

import (
	"context"
	"time"

	"github.com/questgate/questgate/ratelimit"
)

// LoginLimiter bounds sign-in attempts under a key (an email, a client
// address). Take counts one attempt: it says whether the attempt may go
// on and, when not, how long to wait. *ratelimit.Memory is one; a shared
// store takes its place when several instances serve one event.
type LoginLimiter interface {
	Take(ctx context.Context, key string) (ok bool, wait time.Duration, err error)
}

// DefaultAccountLimiter allows 5 sign-in attempts in a row per email,
// then one every 20 seconds: a mistyping instructor barely notices, a
// password-guesser gets 180 guesses an hour at most.
func DefaultAccountLimiter() LoginLimiter {
	return ratelimit.NewMemory(ratelimit.Limit{Events: 5, Per: 100 * time.Second}, nil)
}

// DefaultIPLimiter allows 30 sign-in attempts in a row per address, then
// one every 2 seconds. It is generous because a classroom shares one
// address behind its NAT; it stops one machine trying many emails.
func DefaultIPLimiter() LoginLimiter {
	return ratelimit.NewMemory(ratelimit.PerMinute(30), nil)
}
