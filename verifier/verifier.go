package verifier

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/questgate/questgate/catalog"
)

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
	// Timeout bounds each verification, on top of the caller's context:
	// DefaultTimeout when zero.
	Timeout time.Duration
}

// Verifier checks attempts against Twilio. It is safe for concurrent use:
// each call builds its own small twilio-go client around the shared
// transport.
type Verifier struct {
	base       *url.URL
	transport  http.RoundTripper
	timeout    time.Duration
	timeoutErr error
}

// New checks opts and returns a Verifier. BaseURL must be an absolute http
// or https URL without user info, query or fragment: it is configuration, so
// a mistake should stop the server at start, not fail every player later.
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
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("verifier: timeout %s: must not be negative", opts.Timeout)
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Transport == nil {
		opts.Transport = newTransport()
	}
	return &Verifier{
		base:       u,
		transport:  opts.Transport,
		timeout:    opts.Timeout,
		timeoutErr: fmt.Errorf("twilio did not answer within %s: %w", opts.Timeout, context.DeadlineExceeded),
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
// When Twilio cannot answer (rate limit, outage, timeout, network, a
// cancelled ctx), the error is an *UpstreamError and the Verdict carries the
// same Reason, the SID and the time spent: the attempt must not count
// against the player. No other error is returned.
func (v *Verifier) Verify(ctx context.Context, req Request) (Verdict, error) {
	sid := Normalize(req.SID)
	if reason, detail := checkSID(sid, req.Objective.Prefixes()); reason != "" {
		verdict := Verdict{Reason: reason, Detail: forKind(req.Objective, detail)}
		if reason == WrongResource {
			verdict.SID = sid
		}
		return verdict, nil
	}
	verdict := Verdict{SID: sid}
	if req.Credentials.IsZero() {
		return verdict.reject(NoCredentials, ""), nil
	}
	creds := req.Credentials.normalized()
	if creds.check() != nil {
		return verdict.reject(BadCredentials, DetailFormat), nil
	}

	var msg *Message
	var res callResult
	if req.Objective.Kind == catalog.KindCall {
		msg, res = v.fetchCall(ctx, creds, sid)
	} else {
		msg, res = v.fetchMessage(ctx, creds, sid)
	}
	verdict.Upstream = res.elapsed
	switch outcome := res.outcome(); outcome {
	case outcomeOK:
	case outcomeNotFound:
		return verdict.reject(NotFound, notFoundDetail(req.Objective)), nil
	case outcomeRejected, outcomeForbidden, outcomeFormat:
		return verdict.reject(BadCredentials, outcome.detail()), nil
	default:
		ue := res.upstreamError(outcome, creds)
		verdict.Reason = ue.Reason
		if errors.Is(ue, context.DeadlineExceeded) {
			verdict.Detail = DetailTimeout
		}
		return verdict, ue
	}
	return checkResource(verdict, req, msg, creds.AccountSID), nil
}

// fetchMessage fetches message sid from the player's account.
func (v *Verifier) fetchMessage(ctx context.Context, creds Credentials, sid string) (*Message, callResult) {
	var msg *openapi.ApiV2010Message
	res := v.call(ctx, creds, func(api *openapi.ApiService) error {
		var err error
		msg, err = api.FetchMessage(sid, &openapi.FetchMessageParams{PathAccountSid: &creds.AccountSID})
		return err
	})
	if res.err == nil && (msg == nil || msg.Sid == nil || !strings.EqualFold(*msg.Sid, sid)) {
		res.err = fmt.Errorf("twilio answered %d without message %s", res.status, sid)
	}
	if res.err != nil {
		return nil, res
	}
	return convert(msg), res
}

// CheckCredentials makes one cheap call to tell a player, while they fill
// in the credentials form, whether Twilio accepts their credentials: with an
// Auth Token it fetches the Account resource; with an API key it reads one
// page of one message, since Twilio refuses Standard and restricted keys on
// the Account resource but lets them read messages, which is all questgate
// needs. It returns nil when it does; a
// *CredentialsError for what the player must fix (the same shape checks as
// ParseCredentials, then ProblemRejected on the secret for a 401,
// ProblemForbidden for a 403 (an API key not allowed to read messages),
// ProblemNotFound on the account SID when Twilio knows no such account for
// these credentials); or an *UpstreamError when Twilio could not answer.
func (v *Verifier) CheckCredentials(ctx context.Context, c Credentials) error {
	c = c.normalized()
	if err := c.check(); err != nil {
		return err
	}
	var res callResult
	if c.APIKeySID != "" {
		res = v.call(ctx, c, func(api *openapi.ApiService) error {
			_, err := api.PageMessage((&openapi.ListMessageParams{}).SetPathAccountSid(c.AccountSID).SetPageSize(1), "", "")
			return err
		})
	} else {
		var account *openapi.ApiV2010Account
		res = v.call(ctx, c, func(api *openapi.ApiService) error {
			var err error
			account, err = api.FetchAccount(c.AccountSID)
			return err
		})
		if res.err == nil && (account == nil || account.Sid == nil) {
			res.err = fmt.Errorf("twilio answered %d without the account", res.status)
		}
		if res.err == nil && *account.Sid != c.AccountSID {
			return &CredentialsError{FieldAccountSID, ProblemNotFound}
		}
	}
	switch outcome := res.outcome(); outcome {
	case outcomeOK:
		return nil
	case outcomeNotFound:
		return &CredentialsError{FieldAccountSID, ProblemNotFound}
	case outcomeRejected:
		return &CredentialsError{FieldSecret, ProblemRejected}
	case outcomeForbidden:
		return &CredentialsError{FieldSecret, ProblemForbidden}
	case outcomeFormat:
		return &CredentialsError{FieldSecret, ProblemFormat}
	default:
		return res.upstreamError(outcome, c)
	}
}

// reject returns the verdict refused for reason and detail.
func (v Verdict) reject(reason Reason, detail string) Verdict {
	v.Passed, v.Reason, v.Detail = false, reason, detail
	return v
}

// callResult is what one call to Twilio gave.
type callResult struct {
	err        error         // twilio-go's error, or a broken answer's
	status     int           // last HTTP status; zero when none came
	retryAfter time.Duration // from the last response
	url        string        // where the last request went
	elapsed    time.Duration
}

// call runs fn with a twilio-go API service bound to c, ctx (bounded by the
// Verifier's timeout) and the configured base URL.
func (v *Verifier) call(ctx context.Context, c Credentials, fn func(*openapi.ApiService) error) callResult {
	ctx, cancel := context.WithTimeoutCause(ctx, v.timeout, v.timeoutErr)
	defer cancel()
	t := &callTransport{ctx: ctx, base: v.base, next: v.transport}
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
	api := openapi.NewApiService(&client.RequestHandler{Client: tc})

	start := time.Now()
	err := fn(api)
	res := callResult{err: err, status: t.status, retryAfter: t.retryAfter, url: t.url, elapsed: time.Since(start)}
	if err == nil && (t.status < 200 || t.status > 299) {
		// twilio-go takes a 3xx for success; it is not an answer.
		res.err = fmt.Errorf("twilio answered HTTP %d", t.status)
	}
	if res.err != nil && ctx.Err() != nil {
		// Say why the call was cut: our timeout, or the caller's context.
		if cause := context.Cause(ctx); !errors.Is(res.err, cause) {
			res.err = fmt.Errorf("%w: %w", cause, res.err)
		}
	}
	var ue *url.Error
	if errors.As(res.err, &ue) && t.url != "" && ue.URL != t.url {
		// twilio-go's URL is api.twilio.com whatever BaseURL says.
		ue.URL = t.url
	}
	return res
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
		return DetailRejected
	case outcomeForbidden:
		return DetailForbidden
	case outcomeFormat:
		return DetailFormat
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
	if r.status == 429 {
		return outcomeRateLimited
	}
	// Only a Twilio error body speaks for the player: a 404 or 401 page
	// from a proxy or a wrong BaseURL is an outage, not a wrong SID.
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

// upstreamError turns a failed call into the error Verify and
// CheckCredentials return, with the secret scrubbed from its text.
func (r callResult) upstreamError(o outcome, c Credentials) *UpstreamError {
	reason := UpstreamUnavailable
	if o == outcomeRateLimited {
		reason = UpstreamRateLimited
	}
	return &UpstreamError{Reason: reason, RetryAfter: r.retryAfter, Status: r.status, Err: redact(r.err, c)}
}

// redact returns err, or when its text holds the secret of c, alone or as
// the HTTP Basic credentials it was sent as (an upstream that echoes what
// it got, say), an error with the same text and the secret masked. The
// redacted error keeps context errors in its chain and drops the rest,
// which could print the secret.
func redact(err error, c Credentials) error {
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
