package verifier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twilio/twilio-go/client"

	"github.com/questgate/questgate/quest"
)

// otherSM is a message SID other than testSM.
var otherSM = "SM" + strings.Repeat("b", 32)

// fakeMetrics hears what the verifier measures through its functions.
type fakeMetrics struct {
	upstreamRequest func(outcome string, d time.Duration)
	retry           func(reason string)
	inFlight        func(delta int)
	circuitState    func(state string)
}

func (m *fakeMetrics) UpstreamRequest(outcome string, d time.Duration) { m.upstreamRequest(outcome, d) }
func (m *fakeMetrics) Retry(reason string)                             { m.retry(reason) }
func (m *fakeMetrics) InFlight(delta int)                              { m.inFlight(delta) }
func (m *fakeMetrics) CircuitState(state string)                       { m.circuitState(state) }

// measured is what a recordingMetrics heard.
type measured struct {
	mu          sync.Mutex
	requests    []string
	retries     []string
	states      []string
	inFlight    int
	maxInFlight int
}

func recordingMetrics() (*fakeMetrics, *measured) {
	got := &measured{}
	locked := func(f func()) {
		got.mu.Lock()
		defer got.mu.Unlock()
		f()
	}
	return &fakeMetrics{
		upstreamRequest: func(o string, d time.Duration) {
			locked(func() { got.requests = append(got.requests, o) })
		},
		retry: func(r string) { locked(func() { got.retries = append(got.retries, r) }) },
		inFlight: func(d int) {
			locked(func() {
				got.inFlight += d
				got.maxInFlight = max(got.maxInFlight, got.inFlight)
			})
		},
		circuitState: func(s string) { locked(func() { got.states = append(got.states, s) }) },
	}, got
}

func (m *measured) snapshot() measured {
	m.mu.Lock()
	defer m.mu.Unlock()
	return measured{requests: append([]string(nil), m.requests...), retries: append([]string(nil), m.retries...),
		states: append([]string(nil), m.states...), inFlight: m.inFlight, maxInFlight: m.maxInFlight}
}

// eventually polls cond until it holds, failing the test after a
// generous while: for states reached by other goroutines.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// gate holds requests until opened, and counts those it holds.
type gate struct {
	open    chan struct{}
	waiting atomic.Int32
	once    sync.Once
}

func newGate(t *testing.T) *gate {
	g := &gate{open: make(chan struct{})}
	t.Cleanup(g.release)
	return g
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// hold wraps h so that it waits for the gate first.
func (g *gate) hold(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g.waiting.Add(1)
		defer g.waiting.Add(-1)
		select {
		case <-g.open:
			h(w, r)
		case <-r.Context().Done():
		}
	}
}

// echoMessage answers with a delivered message whose account and SID are
// the ones asked for.
func echoMessage(w http.ResponseWriter, r *http.Request) {
	account, sid := pathParts(r)
	message(map[string]any{"account_sid": account, "sid": sid})(w, r)
}

// pathParts returns the account and message SIDs of a message request.
func pathParts(r *http.Request) (account, sid string) {
	rest, _ := strings.CutPrefix(r.URL.Path, "/2010-04-01/Accounts/")
	account, rest, _ = strings.Cut(rest, "/")
	_, sid, _ = strings.Cut(rest, "Messages/")
	return account, strings.TrimSuffix(sid, ".json")
}

func TestBackoff(t *testing.T) {
	v, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	v.jitter = func(d time.Duration) time.Duration { return d }
	var got []time.Duration
	for _, try := range []int{1, 2, 3, 4, 5, 6, 64} {
		got = append(got, v.backoff(try))
	}
	ms := time.Millisecond
	want := []time.Duration{200 * ms, 400 * ms, 800 * ms, 1600 * ms, 2000 * ms, 2000 * ms, 2000 * ms}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("longest pauses (-want +got):\n%s", diff)
	}
	for range 1000 {
		if d := fullJitter(time.Second); d < 0 || d > time.Second {
			t.Fatalf("fullJitter(1s) = %v", d)
		}
	}
	if d := fullJitter(0); d != 0 {
		t.Errorf("fullJitter(0) = %v", d)
	}
}

func TestRetryReason(t *testing.T) {
	urlErr := func(err error) error { return &url.Error{Op: "Get", URL: "https://api.twilio.com", Err: err} }
	tests := []struct {
		name     string
		res      callResult
		timedOut bool
		want     string
	}{
		{"answer", callResult{status: 200}, false, ""},
		{"try timed out", callResult{err: context.DeadlineExceeded}, true, "timeout"},
		{"429", callResult{status: 429, err: errors.New("decode")}, false, "rate_limited"},
		{"20429", callResult{status: 400, err: &client.TwilioRestError{Status: 400, Code: 20429}}, false, "rate_limited"},
		{"500", callResult{status: 500, err: &client.TwilioRestError{Status: 500, Code: 20500}}, false, "unavailable"},
		{"503 page", callResult{status: 503, err: errors.New("decode")}, false, "unavailable"},
		{"connection reset", callResult{err: urlErr(&net.OpError{Op: "read", Err: syscall.ECONNRESET})}, false, "unavailable"},
		{"connection refused", callResult{err: urlErr(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED})}, false, "unavailable"},
		{"EOF", callResult{err: urlErr(io.EOF)}, false, "unavailable"},
		{"name server trouble", callResult{err: urlErr(&net.DNSError{Err: "timeout", IsTemporary: true})}, false, "unavailable"},
		{"reset in a 200 body", callResult{status: 200, err: errors.New("decode"), bodyErr: syscall.ECONNRESET}, false, "unavailable"},

		{"404", callResult{status: 404, err: &client.TwilioRestError{Status: 404, Code: 20404}}, false, ""},
		{"401", callResult{status: 401, err: &client.TwilioRestError{Status: 401, Code: 20003}}, false, ""},
		{"403", callResult{status: 403, err: &client.TwilioRestError{Status: 403, Code: 20403}}, false, ""},
		{"404 page", callResult{status: 404, err: errors.New("decode")}, false, ""},
		{"local refusal", callResult{err: &client.TwilioRestError{Status: 400, Code: 21222}}, false, ""},
		{"redirect", callResult{status: 302, err: errors.New("twilio answered HTTP 302")}, false, ""},
		{"broken 200", callResult{status: 200, err: errNoResource}, false, ""},
		{"no such host", callResult{err: urlErr(&net.DNSError{Err: "no such host", IsNotFound: true})}, false, ""},
		{"bad certificate", callResult{err: urlErr(errors.New("tls: failed to verify certificate"))}, false, ""},
		{"open breaker", callResult{err: errCircuitOpen}, false, ""},
	}
	for _, tt := range tests {
		if got := retryReason(tt.res, tt.timedOut); got != tt.want {
			t.Errorf("%s: retryReason = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestStormIsOneUpstreamCall: a double-click storm (the same check by
// many requests at once) costs Twilio one request, and every request gets
// its own verdict.
func TestStormIsOneUpstreamCall(t *testing.T) {
	const storm = 100
	g := newGate(t)
	f := &fakeTwilio{message: g.hold(message(nil))}
	v, _ := newFake(t, "", f, Options{})
	verdicts := make([]quest.Verdict, storm)
	errs := make([]error, storm)
	var wg sync.WaitGroup
	for i := range storm {
		wg.Go(func() {
			verdicts[i], errs[i] = v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds})
		})
	}
	key := fetchKey("message", tokenCreds, testSM)
	eventually(t, "every check joined the fetch", func() bool { return v.flights.waiting(key) == storm })
	g.release()
	wg.Wait()
	if n := f.calls.Load(); n != 1 {
		t.Errorf("upstream saw %d requests, want 1", n)
	}
	seen := map[*quest.Message]bool{}
	for i, got := range verdicts {
		if errs[i] != nil || !got.Passed || got.Attempts != 1 || got.Message == nil {
			t.Fatalf("check %d: %+v, %v", i, got, errs[i])
		}
		if seen[got.Message] {
			t.Fatalf("check %d shares its Message with another verdict", i)
		}
		seen[got.Message] = true
	}
	if v.flights.waiting(key) != 0 {
		t.Error("the finished flight is still registered")
	}
}

// TestDifferentSecretsAreNotCoalesced: a wrong secret must never share the
// answer a right one got, so each secret gets its own request. Both
// requests must be in flight together for the fake to answer.
func TestDifferentSecretsAreNotCoalesced(t *testing.T) {
	var arrived atomic.Int32
	both := make(chan struct{})
	f := &fakeTwilio{message: func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == 2 {
			close(both)
		}
		select {
		case <-both:
			message(nil)(w, r)
		case <-time.After(10 * time.Second):
			twilioError(401, 20003)(w, r) // alone: coalesced, wrongly
		}
	}}
	v, _ := newFake(t, "", f, Options{})
	other := tokenCreds
	other.Secret = strings.Repeat("f", 32)
	var wg sync.WaitGroup
	for _, c := range []quest.Credentials{tokenCreds, other} {
		wg.Go(func() {
			got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: c})
			if err != nil || !got.Passed {
				t.Errorf("Verify = %+v, %v", got, err)
			}
		})
	}
	wg.Wait()
	if n := f.calls.Load(); n != 2 {
		t.Errorf("upstream saw %d requests, want 2", n)
	}
}

// TestCallerLeavingDoesNotCutOthers: a coalesced fetch goes on while one
// caller is still waiting for it, and stops when the last has gone.
func TestCallerLeavingDoesNotCutOthers(t *testing.T) {
	g := newGate(t)
	var cut atomic.Bool
	f := &fakeTwilio{message: func(w http.ResponseWriter, r *http.Request) {
		g.hold(message(nil))(w, r)
		if r.Context().Err() != nil {
			cut.Store(true)
		}
	}}
	v, _ := newFake(t, "", f, Options{})
	req := quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds}
	key := fetchKey("message", tokenCreds, testSM)

	leaving, leave := context.WithCancel(context.Background())
	left := make(chan error, 1)
	go func() {
		_, err := v.Verify(leaving, req)
		left <- err
	}()
	stayed := make(chan quest.Verdict, 1)
	go func() {
		got, _ := v.Verify(context.Background(), req)
		stayed <- got
	}()
	eventually(t, "both checks joined the fetch", func() bool { return v.flights.waiting(key) == 2 })
	leave()
	// Whichever of the two is making the fetch returns when it ends: let
	// it end before waiting for the leaving caller.
	g.release()
	if got := <-stayed; !got.Passed {
		t.Errorf("the staying caller got %+v", got)
	}
	if err := <-left; quest.ReasonOf(err) != quest.UpstreamUnavailable || !errors.Is(err, context.Canceled) {
		t.Errorf("the leaving caller got %v", err)
	}
	if cut.Load() {
		t.Error("the request was cut although a caller was waiting")
	}

	// Alone and leaving: the request is cut.
	g2 := newGate(t)
	started := make(chan struct{})
	var once sync.Once
	f.message = func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(started) })
		g2.hold(echoMessage)(w, r)
		if r.Context().Err() != nil {
			cut.Store(true)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	if _, err := v.Verify(ctx, quest.CheckRequest{Objective: new(sendSMS()), SID: otherSM, Credentials: tokenCreds}); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify = %v, want context.Canceled", err)
	}
	eventually(t, "the upstream request is cut", cut.Load)
}

// TestAccountConcurrency: no more than AccountConcurrency requests reach
// Twilio at once for one account, the others wait their turn, and another
// account is not held up by them.
func TestAccountConcurrency(t *testing.T) {
	const busy = 6
	g := newGate(t)
	var mu sync.Mutex
	inFlight, most := map[string]int{}, map[string]int{}
	f := &fakeTwilio{message: func(w http.ResponseWriter, r *http.Request) {
		account, _ := pathParts(r)
		mu.Lock()
		inFlight[account]++
		most[account] = max(most[account], inFlight[account])
		mu.Unlock()
		defer func() {
			mu.Lock()
			inFlight[account]--
			mu.Unlock()
		}()
		if account == testAccount {
			g.hold(echoMessage)(w, r)
			return
		}
		echoMessage(w, r)
	}}
	v, _ := newFake(t, "", f, Options{AccountConcurrency: 2})
	var wg sync.WaitGroup
	for i := range busy {
		wg.Go(func() {
			sid := fmt.Sprintf("SM%032x", i) // different SIDs: nothing is coalesced
			got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: quest.Normalize(sid), Credentials: tokenCreds})
			if err != nil || !got.Passed {
				t.Errorf("Verify %s = %+v, %v", sid, got, err)
			}
		})
	}
	eventually(t, "two requests of the busy account are held", func() bool { return g.waiting.Load() == 2 })

	other := quest.Credentials{AccountSID: otherAccount, Secret: testSecret}
	got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: other})
	if err != nil || !got.Passed {
		t.Errorf("another account, while the first is busy: %+v, %v", got, err)
	}
	if n := g.waiting.Load(); n != 2 {
		t.Errorf("%d requests of the busy account reached Twilio, want 2", n)
	}
	g.release()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if most[testAccount] != 2 {
		t.Errorf("at most %d requests at once for the busy account, want 2", most[testAccount])
	}
	if n := f.calls.Load(); n != busy+1 {
		t.Errorf("%d requests, want %d", n, busy+1)
	}
	if n := v.accounts.Len(); n != 0 {
		t.Errorf("%d accounts still have an entry, want none once idle", n)
	}
}

// TestWaitingForATurnTimesOut: a check that waits for its account's turn
// until the deadline is Twilio's trouble, a timeout, with no try made.
func TestWaitingForATurnTimesOut(t *testing.T) {
	f := &fakeTwilio{message: echoMessage}
	v, _ := newFake(t, "", f, Options{AccountConcurrency: 1, Timeout: 300 * time.Millisecond})
	release, err := v.accounts.Acquire(context.Background(), testAccount) // the account's one turn
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	verdict, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds})
	if elapsed := time.Since(start); elapsed > 4*time.Second {
		t.Errorf("waited %v with a 300ms deadline", elapsed)
	}
	var ue *quest.UpstreamError
	if !errors.As(err, &ue) || ue.Reason != quest.UpstreamUnavailable || ue.Detail != quest.DetailTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Verify error = %#v, want upstream_unavailable, timeout", err)
	}
	if verdict.Attempts != 0 || verdict.Detail != quest.DetailTimeout {
		t.Errorf("verdict = %+v, want no try and the timeout detail", verdict)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
	release()
	if got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds}); err != nil || !got.Passed {
		t.Errorf("with the turn given back: %+v, %v", got, err)
	}
	if v.breaker.open() || v.accounts.Len() != 0 {
		t.Error("waiting for a turn is not Twilio failing, and leaves nothing behind")
	}
}

// TestBreaker: after BreakerThreshold fetches find Twilio unavailable,
// checks fail fast without a request and say when to try again; after
// the cooldown one check goes through, and its success closes the
// breaker.
func TestBreaker(t *testing.T) {
	var healthy atomic.Bool
	f := &fakeTwilio{}
	f.message = func(w http.ResponseWriter, r *http.Request) {
		if healthy.Load() {
			message(nil)(w, r)
			return
		}
		raw(503, "text/html", "<h1>down</h1>")(w, r)
	}
	f.account = f.message
	m, measures := recordingMetrics()
	const cooldown = 300 * time.Millisecond
	v, _ := newFake(t, "", f, Options{MaxTries: 2, BreakerThreshold: 2, BreakerCooldown: cooldown, Metrics: m})
	instantPauses(v)
	req := quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds}
	for i := range 2 {
		if got, _ := v.Verify(context.Background(), req); got.Reason != quest.UpstreamUnavailable || got.Attempts != 2 {
			t.Fatalf("failure %d: %+v", i+1, got)
		}
	}
	before := f.calls.Load()
	verdict, err := v.Verify(context.Background(), req)
	var ue *quest.UpstreamError
	if !errors.As(err, &ue) || ue.Reason != quest.UpstreamUnavailable || ue.Detail != quest.DetailCircuitOpen {
		t.Fatalf("with the breaker open: %#v, want upstream_unavailable, circuit_open", err)
	}
	if ue.RetryAfter <= 0 || ue.RetryAfter > cooldown {
		t.Errorf("RetryAfter = %v, want the time left of the %v cooldown", ue.RetryAfter, cooldown)
	}
	if verdict.Attempts != 0 || verdict.Upstream != 0 || verdict.Detail != quest.DetailCircuitOpen || verdict.Reason.Counts() {
		t.Errorf("verdict = %+v", verdict)
	}
	if err := v.CheckCredentials(context.Background(), tokenCreds); !errors.As(err, &ue) || ue.Detail != quest.DetailCircuitOpen {
		t.Errorf("CheckCredentials with the breaker open = %v", err)
	}
	if n := f.calls.Load(); n != before {
		t.Errorf("%d requests made with the breaker open", n-before)
	}

	eventually(t, "the breaker half-opens", func() bool { return !v.breaker.open() })
	healthy.Store(true)
	if got, err := v.Verify(context.Background(), req); err != nil || !got.Passed || got.Attempts != 1 {
		t.Fatalf("after the cooldown: %+v, %v", got, err)
	}
	if got, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: keyCreds}); err != nil || !got.Passed {
		t.Errorf("after closing: %+v, %v", got, err)
	}

	got := measures.snapshot()
	if diff := cmp.Diff([]string{"closed", "open", "half-open", "closed"}, got.states); diff != "" {
		t.Errorf("circuit states (-want +got):\n%s", diff)
	}
	wantRequests := []string{"unavailable", "unavailable", "unavailable", "unavailable", "ok", "ok"}
	if diff := cmp.Diff(wantRequests, got.requests); diff != "" {
		t.Errorf("upstream requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"unavailable", "unavailable"}, got.retries); diff != "" {
		t.Errorf("retries (-want +got):\n%s", diff)
	}
	if got.inFlight != 0 || got.maxInFlight != 1 {
		t.Errorf("in flight: %d at the end, %d at most; want 0 and 1", got.inFlight, got.maxInFlight)
	}
}

// TestBreakerCountsOnlyUnavailability: the player's mistakes and rate
// limits show Twilio answering, so they never open the breaker, and an
// answer between two failures starts the count again.
func TestBreakerCountsOnlyUnavailability(t *testing.T) {
	var answer atomic.Pointer[http.HandlerFunc]
	set := func(h http.HandlerFunc) { answer.Store(&h) }
	f := &fakeTwilio{message: func(w http.ResponseWriter, r *http.Request) { (*answer.Load())(w, r) }}
	v, _ := newFake(t, "", f, Options{MaxTries: 1, BreakerThreshold: 2, BreakerCooldown: time.Minute})
	req := quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds}
	steps := []struct {
		name    string
		handler http.HandlerFunc
		want    quest.Reason
	}{
		{"not found", twilioError(404, 20404), quest.NotFound},
		{"not found", twilioError(404, 20404), quest.NotFound},
		{"rejected", twilioError(401, 20003), quest.BadCredentials},
		{"rejected", twilioError(401, 20003), quest.BadCredentials},
		{"rate limited", twilioError(429, 20429), quest.UpstreamRateLimited},
		{"rate limited", twilioError(429, 20429), quest.UpstreamRateLimited},
		{"outage", twilioError(500, 20500), quest.UpstreamUnavailable},
		{"an answer", message(nil), ""},
		{"outage", twilioError(500, 20500), quest.UpstreamUnavailable},
		{"rate limited", twilioError(429, 20429), quest.UpstreamRateLimited},
		{"outage", twilioError(500, 20500), quest.UpstreamUnavailable},
	}
	for i, s := range steps {
		set(s.handler)
		got, _ := v.Verify(context.Background(), req)
		if got.Reason != s.want || got.Attempts != 1 {
			t.Fatalf("step %d (%s): %+v, want %q after one request", i+1, s.name, got, s.want)
		}
	}
	if v.breaker.open() {
		t.Error("the breaker opened without two outages in a row")
	}
	set(twilioError(500, 20500))
	if got, _ := v.Verify(context.Background(), req); got.Attempts != 1 || !v.breaker.open() {
		t.Errorf("second outage in a row: %+v; the breaker should be open", got)
	}
}

func TestNewUpstreamOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"negative attempt timeout", Options{AttemptTimeout: -1}, "attempt timeout"},
		{"negative max tries", Options{MaxTries: -1}, "max tries"},
		{"negative account concurrency", Options{AccountConcurrency: -2}, "account concurrency"},
		{"negative breaker threshold", Options{BreakerThreshold: -1}, "breaker threshold"},
		{"negative breaker cooldown", Options{BreakerCooldown: -time.Second}, "breaker cooldown"},
	}
	for _, tt := range tests {
		if _, err := New(tt.opts); err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "negative") {
			t.Errorf("%s: New error = %v, want one about a negative %s", tt.name, err, tt.wantErr)
		}
	}
	v, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.attemptTimeout != DefaultAttemptTimeout || v.maxTries != DefaultMaxTries || v.accountLimit != DefaultAccountConcurrency ||
		v.breaker.cooldown != DefaultBreakerCooldown {
		t.Errorf("defaults: attempt timeout %v, max tries %d, concurrency %d, cooldown %v",
			v.attemptTimeout, v.maxTries, v.accountLimit, v.breaker.cooldown)
	}
	one, err := New(Options{MaxTries: 1})
	if err != nil || one.maxTries != 1 {
		t.Errorf("MaxTries 1: %v, %v", one, err)
	}
}

// TestFlightLeftByAllStartsAfresh: once every caller of a fetch has left
// and while that cancelled fetch is still winding down, a new caller
// starts a fetch of its own instead of joining the one being cancelled.
func TestFlightLeftByAllStartsAfresh(t *testing.T) {
	fs := newFlights()
	release, started := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	leaving, leave := context.WithCancel(context.Background())
	left := make(chan error, 1)
	go func() {
		_, err := fs.do(leaving, "k", func(context.Context) fetched {
			close(started)
			<-release // winds down slowly, whatever its context says
			return fetched{attempts: 1}
		})
		left <- err
	}()
	<-started
	leave()
	eventually(t, "the left fetch no longer takes callers", func() bool { return fs.waiting("k") == 0 })
	got, err := fs.do(context.Background(), "k", func(context.Context) fetched { return fetched{attempts: 2} })
	if err != nil || got.attempts != 2 {
		t.Errorf("the new caller got %+v, %v; want a fetch of its own", got, err)
	}
	close(release)
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Errorf("the caller who left got %v, want context.Canceled", err)
	}
}
