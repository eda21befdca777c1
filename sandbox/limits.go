package sandbox

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/ratelimit"
	"github.com/questgate/questgate/store"
)

// Limiter keeps a budget of events per client address: the requests an
// address may make, or the accounts it may create. The contract is package
// ratelimit's (whose *Memory implements it): Take counts one event for key,
// or counts nothing and returns false with the wait (> 0) until it could.
// An error lets the request through, as questgate's pages do: a broken
// limiter must not take the sandbox down.
type Limiter interface {
	Take(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// Quota is what one sandbox account may ever hold. A zero field takes its
// default (DefaultQuota); a negative one means no limit. Without it, one
// script could fill the server's disk through a single account: the
// sandbox keeps every message, call and media URL it is sent.
type Quota struct {
	// Messages counts every message stored for the account: sent through
	// the API, and the inbound texts and replies of /inbound.
	Messages int
	// Calls counts the calls placed.
	Calls int
	// Media counts MediaUrl values, over all the account's messages.
	Media int
	// Keys counts the API keys created.
	Keys int
	// Resources counts the phone numbers, Messaging and Verify services,
	// pool numbers and verifications created.
	Resources int
}

// DefaultQuota is enough for a whole workshop of objectives many times
// over, and bounds one account to a few megabytes.
var DefaultQuota = Quota{Messages: 1000, Calls: 1000, Media: 1000, Keys: 20, Resources: 200}

// withDefaults fills the zero fields of q from DefaultQuota and turns the
// negative ones into "no limit" for the store.
func (q Quota) withDefaults() store.SandboxUse {
	pick := func(n, def int) int {
		switch {
		case n == 0:
			return def
		case n < 0:
			return math.MaxInt32
		}
		return n
	}
	return store.SandboxUse{
		Messages: pick(q.Messages, DefaultQuota.Messages), Calls: pick(q.Calls, DefaultQuota.Calls),
		Media: pick(q.Media, DefaultQuota.Media), Keys: pick(q.Keys, DefaultQuota.Keys),
		Resources: pick(q.Resources, DefaultQuota.Resources),
	}
}

// maxMediaURL bounds one MediaUrl, in bytes. Twilio documents no limit,
// but a URL of a real picture is far shorter, and without a bound ten of
// 25 KB each filled the database by 250 KB per message.
const maxMediaURL = 1024

// quotaError is the answer when an account's quota of what is used up,
// in Twilio's shape: 20429 is Twilio's "Too Many Requests", answered with
// 429 (without Retry-After: waiting does not help).
func quotaError(what string) *apiError {
	return newAPIError(http.StatusTooManyRequests, 20429,
		fmt.Sprintf("Too Many Requests: this sandbox account has used its quota of %s; create another account to go on.", what))
}

func tooManyRequests(what string) *apiError {
	return newAPIError(http.StatusTooManyRequests, 20429, "Too Many Requests: "+what)
}

// take takes one event for the request's client address from l, and
// answers Twilio's 429 with Retry-After when the budget is spent. ok says
// whether the caller may go on; a nil l always lets it.
func take(c echo.Context, l Limiter, what string) (ok bool, err error) {
	if l == nil {
		return true, nil
	}
	ctx := c.Request().Context()
	allowed, wait, err := l.Take(ctx, ratelimit.AddressKey(c.RealIP()))
	if err != nil {
		c.Logger().Warnf("sandbox: limiter failed, request let through: %v", err)
		return true, nil
	}
	if allowed {
		return true, nil
	}
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	return false, writeError(c, tooManyRequests(what))
}

// budgeted wraps h so that each request takes one event from the client
// address's budget l first (what says what was spent, in the 429); a nil
// l leaves h as it is.
func budgeted(l Limiter, what string) func(echo.HandlerFunc) echo.HandlerFunc {
	return func(h echo.HandlerFunc) echo.HandlerFunc {
		if l == nil {
			return h
		}
		return func(c echo.Context) error {
			if ok, err := take(c, l, what); !ok {
				return err
			}
			return h(c)
		}
	}
}

// takeQuota counts use against the authenticated account's quota, and
// answers the quota's 429 (naming what ran out) when it is used up. ok
// says whether the handler may store the new rows.
func (s *Sandbox) takeQuota(c echo.Context, use store.SandboxUse) (ok bool, err error) {
	err = s.st.TakeSandboxQuota(c.Request().Context(), authAccount(c).SID, use, s.quota)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, store.ErrSandboxQuota) {
		return false, fail(c, err)
	}
	what := "messages"
	switch {
	case use.Keys > 0:
		what = "API keys"
	case use.Resources > 0:
		what = "phone numbers, services and verifications"
	case use.Calls > 0:
		what = "calls"
	case use.Media > 0:
		what = "messages or media files"
	}
	return false, writeError(c, quotaError(what))
}
