package verifier

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	messagingv1 "github.com/twilio/twilio-go/rest/messaging/v1"
	verifyv2 "github.com/twilio/twilio-go/rest/verify/v2"

	"github.com/questgate/questgate/keyslots"
	"github.com/questgate/questgate/quest"
)

// e164 is a phone number as Twilio writes them.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// DefaultBaseURL is Twilio's REST API.
const DefaultBaseURL = "https://api.twilio.com"

// DefaultTimeout bounds one verification. It is generous on purpose: a
// validator that gave up after 5 s failed players whose messages were fine,
// and a player waits more happily than they retry.
const DefaultTimeout = 15 * time.Second

// Options configure a Verifier. The zero value talks to Twilio.
type Options struct {
	// BaseURL is where the Twilio REST API lives: DefaultBaseURL when
	// empty. It may carry a path prefix, as a Twilio-compatible sandbox
	// mounted in another server does (http://localhost:8080/sandbox).
	BaseURL string
	// Transport sends the requests. Pass the same one to every Verifier
	// so they share one connection pool; when nil, a clone of
	// http.DefaultTransport with a larger idle pool. Each call wraps it,
	// never modifies it.
	Transport http.RoundTripper
	// Timeout is the overall deadline of each verification, on top of
	// the caller's context: every try, pause and wait for a turn fits in
	// it. DefaultTimeout when zero.
	Timeout time.Duration
	// AttemptTimeout bounds one HTTP try inside Timeout, so that one
	// stuck connection leaves time for another try:
	// DefaultAttemptTimeout when zero.
	AttemptTimeout time.Duration
	// MaxTries is how many HTTP tries a fetch may make when Twilio fails
	// in a way that is safe to retry (429 or error 20429, 5xx, connection
	// errors, tries that timed out): DefaultMaxTries when zero; 1 never
	// retries.
	MaxTries int
	// AccountConcurrency is how many requests may be in flight at once
	// per Twilio account (Twilio limits concurrency per account); others
	// wait for their turn within Timeout: DefaultAccountConcurrency when
	// zero.
	AccountConcurrency int
	// BreakerThreshold is how many fetches in a row must find Twilio
	// unavailable (after their retries) before the verifier fails fast,
	// without a request, for BreakerCooldown; then one fetch is let
	// through, and closes the breaker if Twilio answers. Rate limits and
	// the player's mistakes never count. DefaultBreakerThreshold and
	// DefaultBreakerCooldown when zero.
	BreakerThreshold int
	BreakerCooldown  time.Duration
	// Metrics, when set, hears of every try, retry and breaker change.
	Metrics Metrics
	// Webhooks tests players' webhooks (checks.webhook_answers); a
	// WebhookTester refusing private addresses when nil.
	Webhooks *WebhookTester
}

// Verifier checks attempts against Twilio. It is safe for concurrent use:
// each call builds its own small twilio-go client around the shared
// transport. One Verifier talks to one upstream, so its breaker, account
// turns and coalesced fetches are that upstream's.
type Verifier struct {
	base           *url.URL
	transport      http.RoundTripper
	timeout        time.Duration
	timeoutErr     error
	attemptTimeout time.Duration
	attemptErr     error
	maxTries       int
	metrics        Metrics
	breaker        *breaker
	accounts       *keyslots.Slots // accountLimit requests in flight per account
	accountLimit   int
	flights        *flights
	webhooks       *WebhookTester
	// jitter picks a pause in [0, d] and sleep waits one out, or until
	// ctx is done: tests replace them to run fast and deterministically.
	jitter func(d time.Duration) time.Duration
	sleep  func(ctx context.Context, d time.Duration) error
}

// New checks opts and returns a Verifier. BaseURL must be an absolute http
// or https URL without user info, query or fragment, and no duration or
// count may be negative: they are configuration, so a mistake should stop
// the server at start, not fail every player later.
func New(opts Options) (*Verifier, error) {
	raw := opts.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("verifier: base URL: %w", err)
	}
	const want = "want an absolute http or https URL such as " + DefaultBaseURL
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("verifier: base URL %q: scheme %q: %s", u.Redacted(), u.Scheme, want)
	case u.Host == "" || u.Opaque != "":
		return nil, fmt.Errorf("verifier: base URL %q: no host: %s", u.Redacted(), want)
	case u.User != nil:
		return nil, fmt.Errorf("verifier: base URL %q: must not hold credentials: players' credentials are used", u.Redacted())
	case u.RawQuery != "" || u.ForceQuery:
		return nil, fmt.Errorf("verifier: base URL %q: must not have a query", u.Redacted())
	case u.Fragment != "":
		return nil, fmt.Errorf("verifier: base URL %q: must not have a fragment", u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"timeout", &opts.Timeout, DefaultTimeout},
		{"attempt timeout", &opts.AttemptTimeout, DefaultAttemptTimeout},
		{"breaker cooldown", &opts.BreakerCooldown, DefaultBreakerCooldown},
	} {
		if *d.v < 0 {
			return nil, fmt.Errorf("verifier: %s %s: must not be negative", d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	for _, n := range []struct {
		name string
		v    *int
		def  int
	}{
		{"max tries", &opts.MaxTries, DefaultMaxTries},
		{"account concurrency", &opts.AccountConcurrency, DefaultAccountConcurrency},
		{"breaker threshold", &opts.BreakerThreshold, DefaultBreakerThreshold},
	} {
		if *n.v < 0 {
			return nil, fmt.Errorf("verifier: %s %d: must not be negative", n.name, *n.v)
		}
		if *n.v == 0 {
			*n.v = n.def
		}
	}
	if opts.Transport == nil {
		opts.Transport = newTransport()
	}
	if opts.Metrics == nil {
		opts.Metrics = noMetrics{}
	}
	if opts.Webhooks == nil {
		opts.Webhooks = &WebhookTester{}
	}
	return &Verifier{
		base:           u,
		transport:      opts.Transport,
		timeout:        opts.Timeout,
		timeoutErr:     fmt.Errorf("twilio did not answer within %s: %w", opts.Timeout, context.DeadlineExceeded),
		attemptTimeout: opts.AttemptTimeout,
		attemptErr:     fmt.Errorf("twilio did not answer one try within %s: %w", opts.AttemptTimeout, context.DeadlineExceeded),
		maxTries:       opts.MaxTries,
		metrics:        opts.Metrics,
		breaker:        newBreaker(opts.BreakerThreshold, opts.BreakerCooldown, opts.Metrics),
		accounts:       keyslots.New(opts.AccountConcurrency),
		accountLimit:   opts.AccountConcurrency,
		flights:        newFlights(),
		webhooks:       opts.Webhooks,
		jitter:         fullJitter,
		sleep:          sleepCtx,
	}, nil
}

// Verify decides whether req proves its objective.
//
// A player's outcome is a Verdict and a nil error: Passed, or a Reason
// (and Detail) saying what to fix. Local checks come first and cost no
// request, in the order a player should fix things: the SID (InvalidSID,
// WrongResource), then the credentials (NoCredentials, BadCredentials with
// DetailFormat). Then the message (or the call, for a call objective) is
// fetched from the player's own account
// and checked (NotFound, BadCredentials, WrongDirection, FailedStatus,
// SampleBody).
//
// The fetch keeps the upstream discipline of Options: tries bounded by
// AttemptTimeout within Timeout, retries with backoff for what is safe to
// retry, a turn among the account's AccountConcurrency requests, one
// upstream call for identical checks in flight, and no call at all while
// the breaker is open.
//
// When Twilio cannot answer (rate limit, outage, timeout, network, an
// open breaker, a cancelled ctx), the error is an *UpstreamError and the
// Verdict carries the same Reason and Detail, the SID, the tries and the
// time spent: the attempt must not count against the player. No other
// error is returned.
func (v *Verifier) Verify(ctx context.Context, req quest.CheckRequest) (quest.Verdict, error) {
	sid, creds, verdict, fetch := prepare(&req)
	if fetch == nil {
		return verdict, nil
	}
	start := time.Now()
	f := fetch(v, ctx, creds, sid)
	return v.judge(ctx, &req, verdict, creds, f, start)
}

// judge is the rest of Verify once the fetch f, started at start, has
// ended. It is a function of its own so that the frame a verification
// holds while it waits for Twilio stays small: its locals (a message, a
// product's facts, verdicts) are on the stack only after the wait.
func (v *Verifier) judge(ctx context.Context, req *quest.CheckRequest, verdict quest.Verdict, creds quest.Credentials, f fetched, start time.Time) (quest.Verdict, error) {
	verdict.Attempts = f.attempts
	if !errors.Is(f.res.err, errCircuitOpen) {
		verdict.Upstream = time.Since(start)
	}
	switch outcome := f.res.outcome(); outcome {
	case outcomeOK:
	case outcomeNotFound:
		return verdict.Reject(quest.NotFound, notFoundDetail(req.Objective)), nil
	case outcomeRejected, outcomeForbidden, outcomeFormat:
		return verdict.Reject(quest.BadCredentials, outcome.detail()), nil
	default:
		ue := f.res.upstreamError(outcome, creds)
		verdict.Reason, verdict.Detail = ue.Reason, ue.Detail
		return verdict, ue
	}
	// The fetch may be shared with other callers: each gets its own copy.
	var msg quest.Message
	var facts *productFacts
	switch value := f.value.(type) {
	case *quest.Message:
		msg = *value
	case *productFacts:
		facts = value
		msg = value.msg
		if msg.SID != "" {
			// A number pasted as such is recorded by its SID, so that
			// the same number cannot win twice under two spellings.
			verdict.SID = msg.SID
		}
	}
	verdict = checkResource(verdict, *req, &msg, creds.AccountSID)
	if verdict.Passed && req.Objective.Checks.MinMedia > 0 && msg.NumMedia > 0 {
		// What was verified includes the picture: its SIDs, to show it
		// again. A list that fails leaves none; the win stands.
		msg.Media = v.listMedia(ctx, creds, verdict.SID)
	}
	if verdict.Passed && facts != nil {
		verdict = v.checkProduct(ctx, verdict, *req, facts, creds)
	}
	return verdict, nil
}

// fetchMessage fetches message sid from the player's account: its value
// is a *Message.
func (v *Verifier) fetchMessage(ctx context.Context, creds quest.Credentials, sid string) fetched {
	return v.fetch(ctx, "message", creds, sid, func(api *apis) (any, error) {
		msg, err := api.FetchMessage(sid, &openapi.FetchMessageParams{PathAccountSid: &creds.AccountSID})
		if err != nil {
			return nil, err
		}
		if msg == nil || msg.Sid == nil || !strings.EqualFold(*msg.Sid, sid) {
			return nil, fmt.Errorf("twilio answered without message %s: %w", sid, errNoResource)
		}
		return convert(msg), nil
	})
}

// CheckCredentials makes one cheap call to tell a player, while they fill
// in the credentials form, whether Twilio accepts their credentials: with an
// Auth Token it fetches the Account resource; with an API key it reads one
// page of one message, since Twilio refuses Standard and restricted keys on
// the Account resource but lets them read messages, which is all questgate
// needs. The call keeps the same upstream discipline as Verify. It returns
// nil when it does; a
// *CredentialsError for what the player must fix (the same shape checks as
// ParseCredentials, then ProblemRejected on the secret for a 401,
// ProblemForbidden for a 403 (an API key not allowed to read messages),
// ProblemNotFound on the account SID when Twilio knows no such account for
// these credentials); or an *UpstreamError when Twilio could not answer.
func (v *Verifier) CheckCredentials(ctx context.Context, c quest.Credentials) error {
	c = c.Normalized()
	if err := c.Check(); err != nil {
		return err
	}
	var f fetched
	if c.APIKeySID != "" {
		f = v.fetch(ctx, "messages", c, "", func(api *apis) (any, error) {
			_, err := api.PageMessage((&openapi.ListMessageParams{}).SetPathAccountSid(c.AccountSID).SetPageSize(1), "", "")
			return nil, err
		})
	} else {
		f = v.fetch(ctx, "account", c, "", func(api *apis) (any, error) {
			account, err := api.FetchAccount(c.AccountSID)
			if err != nil {
				return nil, err
			}
			if account == nil || account.Sid == nil {
				return nil, fmt.Errorf("twilio answered without the account: %w", errNoResource)
			}
			return *account.Sid, nil
		})
		if f.res.err == nil && f.value != c.AccountSID {
			return &quest.CredentialsError{Field: quest.FieldAccountSID, Problem: quest.ProblemNotFound}
		}
	}
	switch outcome := f.res.outcome(); outcome {
	case outcomeOK:
		return nil
	case outcomeNotFound:
		return &quest.CredentialsError{Field: quest.FieldAccountSID, Problem: quest.ProblemNotFound}
	case outcomeRejected:
		return &quest.CredentialsError{Field: quest.FieldSecret, Problem: quest.ProblemRejected}
	case outcomeForbidden:
		return &quest.CredentialsError{Field: quest.FieldSecret, Problem: quest.ProblemForbidden}
	case outcomeFormat:
		return &quest.CredentialsError{Field: quest.FieldSecret, Problem: quest.ProblemFormat}
	default:
		return f.res.upstreamError(outcome, c)
	}
}

// callResult is what one HTTP try at Twilio gave.
type callResult struct {
	err        error         // twilio-go's error, or a broken answer's
	status     int           // last HTTP status; zero when none came
	retryAfter time.Duration // from the last response
	url        string        // where the last request went
	elapsed    time.Duration
	bodyErr    error // what cut a successful answer's body short
}

// call makes one try: it runs op with a twilio-go API service bound to c,
// ctx and the configured base URL. The value is nil unless the try
// succeeded.
func (v *Verifier) call(ctx context.Context, c quest.Credentials, op operation) (any, callResult) {
	t := &callTransport{ctx: ctx, base: v.base, next: v.transport, products: v.base.Host != defaultHost}
	tc := &client.Client{
		Credentials: client.NewCredentials(c.Username(), c.Secret),
		HTTPClient: &http.Client{
			Transport: t,
			// A redirect is never Twilio's answer to a fetch: report it
			// rather than follow it with the player's credentials.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	tc.SetAccountSid(c.AccountSID)
	// A bare RequestHandler (not client.NewRequestHandler) so that the
	// TWILIO_EDGE and TWILIO_REGION environment variables cannot reroute
	// requests: BaseURL is the one place that says where they go. And no
	// twilio.RestClient: it builds dozens of services a call never uses.
	rh := &client.RequestHandler{Client: tc}
	api := &apis{ApiService: openapi.NewApiService(rh), messaging: messagingv1.NewApiService(rh), verify: verifyv2.NewApiService(rh)}

	start := time.Now()
	value, err := op(api)
	res := callResult{err: err, status: t.status, retryAfter: t.retryAfter, url: t.url, elapsed: time.Since(start), bodyErr: t.bodyErr}
	if (err == nil || errors.Is(err, errNoResource)) && t.status != 0 && (t.status < 200 || t.status > 299) {
		// twilio-go takes a 3xx for success; it is not an answer.
		res.err = fmt.Errorf("twilio answered HTTP %d", t.status)
	}
	if res.err != nil && ctx.Err() != nil {
		// Say why the call was cut: a timeout, or the callers leaving.
		if cause := context.Cause(ctx); !errors.Is(res.err, cause) {
			res.err = fmt.Errorf("%w: %w", cause, res.err)
		}
	}
	var ue *url.Error
	if errors.As(res.err, &ue) && t.url != "" && ue.URL != t.url {
		// twilio-go's URL is api.twilio.com whatever BaseURL says.
		ue.URL = t.url
	}
	if res.err != nil {
		value = nil
	}
	return value, res
}

// outcome classifies a call's result.
type outcome int

const (
	outcomeOK outcome = iota
	outcomeNotFound
	outcomeRejected
	outcomeForbidden
	outcomeFormat
	outcomeRateLimited
	outcomeUnavailable
)

func (o outcome) detail() string {
	switch o {
	case outcomeRejected:
		return quest.DetailRejected
	case outcomeForbidden:
		return quest.DetailForbidden
	case outcomeFormat:
		return quest.DetailFormat
	}
	return ""
}

// Twilio error codes the verifier tells apart.
const (
	codeAuthenticate    = 20003
	codeNotFound        = 20404
	codeTooManyRequests = 20429
	codeInvalidUsername = 21222 // twilio-go's local refusal, no request made
	codeInvalidPassword = 21224 // idem
)

func (r callResult) outcome() outcome {
	if r.err == nil {
		return outcomeOK
	}
	if errors.Is(r.err, errAbsent) {
		return outcomeNotFound
	}
	if r.status == 429 {
		return outcomeRateLimited
	}
	// Only a Twilio error body speaks for the player: a 404 or 401 page
	// from a proxy or a wrong BaseURL is an outage, not a wrong SID, even
	// in JSON (twilio-go decodes any JSON object into a TwilioRestError).
	var tre *client.TwilioRestError
	if !errors.As(r.err, &tre) {
		return outcomeUnavailable
	}
	status := r.status
	if status == 0 {
		if tre.Code == codeInvalidUsername || tre.Code == codeInvalidPassword {
			return outcomeFormat
		}
		status = tre.Status
	}
	if !twilios(tre, status) {
		return outcomeUnavailable
	}
	switch {
	case status == 401:
		return outcomeRejected
	case status == 403:
		return outcomeForbidden
	case status == 404:
		return outcomeNotFound
	case status == 429:
		return outcomeRateLimited
	case tre.Code == codeAuthenticate:
		return outcomeRejected
	case tre.Code == codeNotFound:
		return outcomeNotFound
	case tre.Code == codeTooManyRequests:
		return outcomeRateLimited
	}
	return outcomeUnavailable
}

// twilios reports whether an error body is Twilio's own: it carries one
// of Twilio's error codes (five digits, such as 20003 or 20404; a gateway
// puts none, or an HTTP status, in "code") and, when it says a status, the
// HTTP status it came with. Anything else (a wrong --twilio-api-url, a
// proxy's JSON 404) says nothing about the player's SID or credentials.
func twilios(tre *client.TwilioRestError, status int) bool {
	return tre.Code >= 10000 && tre.Code <= 99999 && (tre.Status == 0 || tre.Status == status)
}

// upstreamError turns a failed call into the error Verify and
// CheckCredentials return, with the secret scrubbed from its text.
func (r callResult) upstreamError(o outcome, c quest.Credentials) *quest.UpstreamError {
	reason := quest.UpstreamUnavailable
	if o == outcomeRateLimited {
		reason = quest.UpstreamRateLimited
	}
	err := r.err
	if tre, ok := errors.AsType[*client.TwilioRestError](err); ok && r.status >= 400 && r.status < 500 && !twilios(tre, r.status) {
		// Say in the log why a 401 or 404 is not the player's.
		err = fmt.Errorf("HTTP %d from %s without a Twilio error code (code %d, status %d): not Twilio's answer: %w",
			r.status, r.url, tre.Code, tre.Status, err)
	}
	ue := &quest.UpstreamError{Reason: reason, RetryAfter: r.retryAfter, Status: r.status, Err: redact(err, c)}
	if !errors.Is(r.err, errCircuitOpen) {
		// The breaker's wait is ours; any other is Twilio's header.
		ue.TwilioRetryAfter = r.retryAfter
	}
	switch {
	case errors.Is(r.err, errCircuitOpen):
		ue.Detail = quest.DetailCircuitOpen
	case reason == quest.UpstreamUnavailable && errors.Is(r.err, context.DeadlineExceeded):
		ue.Detail = quest.DetailTimeout
	}
	return ue
}

// redact returns err, or when its text holds the secret of c, alone or as
// the HTTP Basic credentials it was sent as (an upstream that echoes what
// it got, say), an error with the same text and the secret masked. The
// redacted error keeps context errors in its chain and drops the rest,
// which could print the secret.
func redact(err error, c quest.Credentials) error {
	if err == nil || c.Secret == "" {
		return err
	}
	basic := base64.StdEncoding.EncodeToString([]byte(c.Username() + ":" + c.Secret))
	msg := err.Error()
	if !strings.Contains(msg, c.Secret) && !strings.Contains(msg, basic) {
		return err
	}
	msg = strings.ReplaceAll(strings.ReplaceAll(msg, basic, "****"), c.Secret, "****")
	r := &redactedError{msg: msg}
	for _, target := range []error{context.DeadlineExceeded, context.Canceled} {
		if errors.Is(err, target) {
			r.cause = target
		}
	}
	return r
}

type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// prepare checks what Verify can check without Twilio: the SID's shape
// (or a number's, for the kinds found by number) and the credentials'.
// It returns the SID and credentials to fetch with, the verdict so far,
// and the fetcher of the objective's resource: nil when that verdict is
// final. It is a function of its
// own so that Verify's frame, which a verification holds while it waits
// for Twilio, stays small.
func prepare(req *quest.CheckRequest) (sid string, creds quest.Credentials, verdict quest.Verdict, fetch fetcher) {
	sid = req.SID
	if req.Objective.Spec().ByNumber && strings.HasPrefix(sid, "+") {
		// A phone number pasted for a kind that may be found by number:
		// looked up rather than refused as a SID, written as Twilio
		// writes it (+1 (555) 555-0100 is +15555550100).
		sid = strings.Map(func(r rune) rune {
			if strings.ContainsRune(" -().\u00a0", r) {
				return -1
			}
			return r
		}, sid)
		if !e164.MatchString(sid) {
			return "", quest.Credentials{}, quest.Verdict{Reason: quest.InvalidSID, Detail: forKind(req.Objective, quest.DetailCharacters)}, nil
		}
	} else if reason, detail := quest.CheckSID(sid, req.Objective.Prefixes()); reason != "" {
		verdict = quest.Verdict{Reason: reason, Detail: forKind(req.Objective, detail)}
		if reason == quest.WrongResource {
			verdict.SID = sid
		}
		return "", quest.Credentials{}, verdict, nil
	}
	verdict = quest.Verdict{SID: sid}
	if req.Credentials.IsZero() {
		return "", quest.Credentials{}, verdict.Reject(quest.NoCredentials, ""), nil
	}
	creds = req.Credentials.Normalized()
	if creds.Check() != nil {
		return "", quest.Credentials{}, verdict.Reject(quest.BadCredentials, quest.DetailFormat), nil
	}
	return sid, creds, verdict, fetchers[req.Objective.Spec().Resource]
}
