package verifier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sony/gobreaker/v2"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	messagingv1 "github.com/twilio/twilio-go/rest/messaging/v1"
	verifyv2 "github.com/twilio/twilio-go/rest/verify/v2"

	"github.com/questgate/questgate/quest"
)

// Defaults of the upstream discipline (see Options). A try gets 5 s
// because Twilio answers a fetch in well under a second when it is well,
// and a try that has not answered by then rarely does: trying again inside
// the 15 s a player waits beats waiting out one stuck connection.
const (
	DefaultAttemptTimeout     = 5 * time.Second
	DefaultMaxTries           = 3
	DefaultAccountConcurrency = 10
	// DefaultBreakerThreshold fetches in a row that found Twilio
	// unavailable (after their retries) make the verifier fail fast.
	DefaultBreakerThreshold = 5
	// DefaultBreakerCooldown is how long it then fails fast before one
	// fetch is let through to see whether Twilio is back.
	DefaultBreakerCooldown = 10 * time.Second
)

// Backoff between tries: exponential from backoffBase, capped at
// backoffCap, with full jitter so that a classroom whose checks failed
// together does not retry together.
const (
	backoffBase = 200 * time.Millisecond
	backoffCap  = 2 * time.Second
)

// Metrics receives what the verifier measures; package metrics implements it for Prometheus.
type Metrics interface {
	// UpstreamRequest is one HTTP try at Twilio: outcome is "ok", "not_found", "rejected", "rate_limited", "unavailable" or "timeout"; d its latency.
	UpstreamRequest(outcome string, d time.Duration)
	// Retry is a try about to be repeated, for reason "rate_limited", "unavailable" or "timeout".
	Retry(reason string)
	// InFlight moves the number of upstream requests in flight by delta.
	InFlight(delta int)
	// CircuitState reports the breaker's new state: "closed", "half-open" or "open".
	CircuitState(state string)
}

// Labels given to Metrics.
const (
	labelOK          = "ok"
	labelNotFound    = "not_found"
	labelRejected    = "rejected"
	labelRateLimited = "rate_limited"
	labelUnavailable = "unavailable"
	labelTimeout     = "timeout"
)

// noMetrics is the Metrics of a Verifier given none.
type noMetrics struct{}

func (noMetrics) UpstreamRequest(string, time.Duration) {}
func (noMetrics) Retry(string)                          {}
func (noMetrics) InFlight(int)                          {}
func (noMetrics) CircuitState(string)                   {}

var (
	// errCircuitOpen: no request was made, Twilio failed too often lately.
	errCircuitOpen = errors.New("twilio failed repeatedly: not asking it for a while")
	// errAllLeft cancels a fetch whose every caller has gone.
	errAllLeft = errors.New("every caller has gone")
	// errNoResource: Twilio answered, but not with the resource asked for.
	errNoResource = errors.New("the answer holds no such resource")
)

// operation is one request through twilio-go: it returns what the answer
// holds (nil with an error wrapping errNoResource when it does not hold
// what was asked for) or twilio-go's error.
type operation func(api *apis) (any, error)

// apis are twilio-go's services an operation may call, all bound to the
// same credentials, context and transport: the 2010 API, Messaging v1
// and Verify v2.
type apis struct {
	*openapi.ApiService
	messaging *messagingv1.ApiService
	verify    *verifyv2.ApiService
}

// fetched is what a fetch, with its tries, came to. It is shared by every
// caller of a coalesced fetch, so nothing in it is ever modified.
type fetched struct {
	value    any        // what the last try's operation returned, nil on error
	res      callResult // the last try, or why none was made
	attempts int        // HTTP tries made
}

// fetch runs op under the verifier's upstream discipline, coalesced with
// identical fetches in flight: see Options and the package documentation.
// key names what op asks of whom; the credentials' secret is hashed into
// it, so a wrong secret never shares a right one's answer.
func (v *Verifier) fetch(ctx context.Context, kind string, c quest.Credentials, what string, op operation) fetched {
	f, err := v.flights.do(ctx, fetchKey(kind, c, what), func(fctx context.Context) fetched { return v.tries(fctx, c, op) })
	if err != nil {
		return fetched{res: callResult{err: fmt.Errorf("waiting for twilio: %w", err)}}
	}
	return f
}

// fetchKey names a fetch of what (a SID, or nothing) of kind with c.
func fetchKey(kind string, c quest.Credentials, what string) string {
	secret := sha256.Sum256([]byte(c.Secret))
	return kind + "\x00" + c.AccountSID + "\x00" + c.Username() + "\x00" + hex.EncodeToString(secret[:]) + "\x00" + what
}

// tries runs op until Twilio answers, a try fails in a way that is not
// safe to retry, MaxTries are spent or the overall deadline would pass.
// The breaker is asked first and told how the fetch went.
func (v *Verifier) tries(ctx context.Context, c quest.Credentials, op operation) fetched {
	ctx, cancel := context.WithTimeoutCause(ctx, v.timeout, v.timeoutErr)
	defer cancel()
	done, wait := v.breaker.allow()
	if done == nil {
		return fetched{res: callResult{err: errCircuitOpen, retryAfter: wait}}
	}
	var f fetched
	for try := 1; ; try++ {
		release, err := v.accounts.Acquire(ctx, c.AccountSID)
		if err != nil {
			if try == 1 {
				f.res = callResult{err: fmt.Errorf("%w: waiting for one of the %d requests allowed at once to account %s",
					err, v.accountLimit, c.AccountSID)}
			}
			// Else the last answer stands.
			break
		}
		var timedOut bool
		f.value, f.res, timedOut = v.try(ctx, c, op)
		release()
		f.attempts = try
		if context.Cause(ctx) == errAllLeft {
			break
		}
		reason := retryReason(f.res, timedOut || ctx.Err() != nil)
		v.metrics.UpstreamRequest(requestLabel(f.res, reason), f.res.elapsed)
		if reason == "" || try >= v.maxTries || ctx.Err() != nil {
			break
		}
		pause := v.backoff(try)
		if f.res.retryAfter > 0 {
			pause = f.res.retryAfter
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= pause {
			// Waiting would outlast the player: answer now, with
			// Twilio's Retry-After when it gave one.
			break
		}
		if v.breaker.open() {
			break
		}
		v.metrics.Retry(reason)
		if v.sleep(ctx, pause) != nil {
			break
		}
	}
	done(f.breakerResult(ctx))
	return f
}

// try makes one HTTP try, within AttemptTimeout, and reports whether that
// timeout (not the overall deadline) cut it.
func (v *Verifier) try(ctx context.Context, c quest.Credentials, op operation) (any, callResult, bool) {
	actx, cancel := context.WithTimeoutCause(ctx, v.attemptTimeout, v.attemptErr)
	defer cancel()
	v.metrics.InFlight(1)
	value, res := v.call(actx, c, op)
	v.metrics.InFlight(-1)
	timedOut := res.err != nil && ctx.Err() == nil && errors.Is(context.Cause(actx), v.attemptErr)
	return value, res, timedOut
}

// retryReason says why a try may be repeated ("rate_limited",
// "unavailable" or "timeout", as Metrics.Retry names them), or "" when it
// must not be: an answer, a player's mistake, or an upstream fault that a
// second try would only repeat (a redirect, a broken 200).
func retryReason(r callResult, timedOut bool) string {
	if r.err == nil {
		return ""
	}
	if timedOut {
		return labelTimeout
	}
	switch r.outcome() {
	case outcomeRateLimited:
		return labelRateLimited
	case outcomeUnavailable:
		if r.status >= 500 || r.status == 0 && connectionError(r.err) || r.bodyErr != nil && connectionError(r.bodyErr) {
			return labelUnavailable
		}
	}
	return ""
}

// connectionError reports whether err is the network failing under a
// request: the connection reset, refused or cut short, or a name
// server's passing trouble.
func connectionError(err error) bool {
	if errors.Is(err, errCircuitOpen) {
		return false
	}
	for _, target := range []error{io.EOF, io.ErrUnexpectedEOF, syscall.ECONNRESET, syscall.ECONNREFUSED,
		syscall.ECONNABORTED, syscall.EPIPE} {
		if errors.Is(err, target) {
			return true
		}
	}
	if dns, ok := errors.AsType[*net.DNSError](err); ok {
		return dns.IsTemporary || dns.IsTimeout
	}
	if ne, ok := errors.AsType[net.Error](err); ok {
		return ne.Timeout()
	}
	return false
}

// requestLabel names a try's outcome for Metrics.UpstreamRequest.
func requestLabel(r callResult, reason string) string {
	if reason == labelTimeout {
		return labelTimeout
	}
	switch r.outcome() {
	case outcomeOK:
		return labelOK
	case outcomeNotFound:
		return labelNotFound
	case outcomeRejected, outcomeForbidden, outcomeFormat:
		return labelRejected
	case outcomeRateLimited:
		return labelRateLimited
	}
	if errors.Is(r.err, context.DeadlineExceeded) {
		return labelTimeout
	}
	return labelUnavailable
}

// backoff is the pause before try+1: full jitter over an exponential
// ceiling.
func (v *Verifier) backoff(try int) time.Duration {
	ceiling := backoffCap
	if try < 16 {
		ceiling = min(backoffCap, backoffBase<<(try-1))
	}
	return v.jitter(ceiling)
}

// fullJitter returns a random duration in [0, d].
func fullJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// sleepCtx waits d, or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Breaker accounting: errBreakerFailure counts against Twilio,
// errBreakerIgnored counts neither way.
var (
	errBreakerFailure = errors.New("twilio unavailable")
	errBreakerIgnored = errors.New("not twilio's doing")
)

// breakerResult tells the breaker how a fetch went. Only unavailability
// counts against Twilio: 5xx, broken answers, connection errors and
// timeouts. Any other answer, a rate limit included (it is per account),
// shows Twilio is there. A fetch that made no try (it waited for its
// account's turn until the deadline) or whose callers all left says
// nothing about Twilio.
func (f fetched) breakerResult(ctx context.Context) error {
	switch {
	case f.attempts == 0 || context.Cause(ctx) == errAllLeft:
		return errBreakerIgnored
	case f.res.outcome() == outcomeUnavailable:
		return errBreakerFailure
	}
	return nil
}

// breaker fails fetches fast while Twilio is down, so players get an
// immediate "try again in N s" instead of each waiting out the deadline,
// and a struggling Twilio is not piled on. It wraps gobreaker, which does
// not say when an open breaker will let a request through again.
type breaker struct {
	cb       *gobreaker.TwoStepCircuitBreaker[struct{}]
	cooldown time.Duration
	openedAt atomic.Int64 // unix nanoseconds of the last opening
}

func newBreaker(threshold int, cooldown time.Duration, m Metrics) *breaker {
	b := &breaker{cooldown: cooldown}
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "twilio",
		MaxRequests: 1, // one fetch probes a half-open breaker
		Timeout:     cooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= uint32(threshold) },
		OnStateChange: func(_ string, _, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				b.openedAt.Store(time.Now().UnixNano())
			}
			m.CircuitState(stateLabel(to))
		},
		IsExcluded: func(err error) bool { return errors.Is(err, errBreakerIgnored) },
	})
	m.CircuitState(stateLabel(gobreaker.StateClosed))
	return b
}

// allow asks to make a fetch. It returns the function to report the
// fetch's result to, or nil and how long to wait before asking again.
func (b *breaker) allow() (func(error), time.Duration) {
	done, err := b.cb.Allow()
	if err == nil {
		return done, 0
	}
	// Half-open with its probe in flight (the probe answers soon), or
	// open and just about to let one through.
	wait := time.Second
	if errors.Is(err, gobreaker.ErrOpenState) {
		if left := b.cooldown - time.Since(time.Unix(0, b.openedAt.Load())); left > 0 {
			wait = left
		}
	}
	return nil, wait
}

// open reports whether the breaker fails fetches fast now.
func (b *breaker) open() bool { return b.cb.State() == gobreaker.StateOpen }

func stateLabel(s gobreaker.State) string {
	switch s {
	case gobreaker.StateOpen:
		return "open"
	case gobreaker.StateHalfOpen:
		return "half-open"
	}
	return "closed"
}

// flights coalesces identical fetches in flight (a double-click storm)
// into one. The first caller (the leader) makes the fetch on its own
// goroutine, so a fetch costs no goroutine of its own: at a thousand
// verifications in flight, a goroutine each was a fifth of the server's
// memory. The fetch runs with a context of its own, carrying the leader's
// values but not its cancellation, so one player leaving does not cut the
// answer others wait for; it is cancelled (errAllLeft) once every caller
// has left.
//
// A follower that leaves returns at once. The leader cannot: it is the one
// fetching, so it returns, with its own context's cause, when the fetch
// ends, which the verifier's timeout bounds. Nothing waits on that answer
// but the leader's own goroutine: the player has gone.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

// flight is one fetch in flight and the callers waiting for it.
type flight struct {
	key    string
	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{} // closed once res is set
	res    fetched
	// present counts the callers who have not left, the leader included,
	// under flights.mu; the fetch is cancelled when it reaches 0.
	present int
}

func newFlights() *flights { return &flights{m: map[string]*flight{}} }

// do returns fn's result, running fn once for the concurrent callers with
// the same key. A follower returns early, with ctx's cause, when ctx is
// done; the leader returns ctx's cause too, once fn has returned.
func (fs *flights) do(ctx context.Context, key string, fn func(context.Context) fetched) (fetched, error) {
	if err := context.Cause(ctx); err != nil {
		return fetched{}, err
	}
	fs.mu.Lock()
	fl := fs.m[key]
	leader := fl == nil
	if leader {
		fctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
		fl = &flight{key: key, ctx: fctx, cancel: cancel, done: make(chan struct{})}
		fs.m[key] = fl
	}
	fl.present++
	fs.mu.Unlock()
	if leader {
		stop := context.AfterFunc(ctx, func() { fs.leave(fl) })
		fl.res = fn(fl.ctx)
		fs.mu.Lock()
		if fs.m[key] == fl {
			// Callers from now on start a fetch of their own.
			delete(fs.m, key)
		}
		fs.mu.Unlock()
		close(fl.done)
		if !stop() {
			return fetched{}, context.Cause(ctx)
		}
		fs.leave(fl)
		return fl.res, nil
	}
	select {
	case <-fl.done:
		fs.leave(fl)
		return fl.res, nil
	case <-ctx.Done():
		fs.leave(fl)
		return fetched{}, context.Cause(ctx)
	}
}

// leave counts one caller gone, and cancels the fetch when it was the
// last: a caller arriving after that starts a fetch of its own rather
// than join one being cancelled.
func (fs *flights) leave(fl *flight) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fl.present--
	if fl.present == 0 {
		fl.cancel(errAllLeft)
		if fs.m[fl.key] == fl {
			delete(fs.m, fl.key)
		}
	}
}

// waiting is the number of callers waiting for key's flight, the ones
// who left aside.
func (fs *flights) waiting(key string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fl := fs.m[key]; fl != nil {
		return fl.present
	}
	return 0
}
