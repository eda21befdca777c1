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

// Sign-in budgets. The per-account one counts an email's attempts from
// one client address only: were it per email alone, anyone could lock an
// instructor out for good with a wrong password every 20 seconds. The
// ceiling bounds what all addresses together may try on one account; it
// is far above what one address can spend (3 a minute at most once its
// burst is gone), so an attacker needs several addresses, trying without
// pause, before the owner is kept waiting too.
var (
	// AccountAddressSignIns: 5 attempts in a row per email and address,
	// then one every 20 seconds: a mistyping instructor barely notices, a
	// guesser from one address gets 180 guesses an hour at most.
	AccountAddressSignIns = ratelimit.Limit{Events: 5, Per: 100 * time.Second}
	// AccountSignIns: 100 attempts in a row per email from anywhere, then
	// one every 6 seconds (600 an hour).
	AccountSignIns = ratelimit.Limit{Events: 100, Per: 10 * time.Minute}
	// AddressSignIns: 30 attempts in a row per address, then one every 2
	// seconds. It is generous because a classroom shares one address
	// behind its NAT; it stops one machine trying many emails.
	AddressSignIns = ratelimit.PerMinute(30)
)

// DefaultAccountLimiter keeps AccountAddressSignIns on the clock now (nil
// for time.Now). Its keys are an email and an address together.
func DefaultAccountLimiter(now func() time.Time) LoginLimiter {
	return ratelimit.NewMemory(AccountAddressSignIns, now)
}

// DefaultAccountCeiling keeps AccountSignIns on the clock now (nil for
// time.Now). Its keys are emails.
func DefaultAccountCeiling(now func() time.Time) LoginLimiter {
	return ratelimit.NewMemory(AccountSignIns, now)
}

// DefaultIPLimiter keeps AddressSignIns on the clock now (nil for
// time.Now). Its keys are client addresses.
func DefaultIPLimiter(now func() time.Time) LoginLimiter {
	return ratelimit.NewMemory(AddressSignIns, now)
}

// accountAddressKey is the AccountLimiter's key of an attempt: the email,
// case folded, and the client address. NUL cannot occur in either.
func accountAddressKey(email, address string) string {
	return email + "\x00" + address
}
