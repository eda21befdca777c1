package verifier

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/questgate/questgate/quest"
)

// pauses stands in for the Verifier's clock between tries: it records the
// pauses instead of sleeping them, and jitter always picks the longest, so
// retries are fast and their pauses predictable.
type pauses struct {
	mu  sync.Mutex
	got []time.Duration
}

func instantPauses(v *Verifier) *pauses {
	p := &pauses{}
	v.jitter = func(d time.Duration) time.Duration { return d }
	v.sleep = func(ctx context.Context, d time.Duration) error {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.got = append(p.got, d)
		return context.Cause(ctx)
	}
	return p
}

func (p *pauses) list() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Duration(nil), p.got...)
}

// sequence answers the n-th request with handlers[n], and every later one
// with the last handler.
func sequence(handlers ...http.HandlerFunc) http.HandlerFunc {
	var n atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		i := min(int(n.Add(1))-1, len(handlers)-1)
		handlers[i](w, r)
	}
}

// reset closes the connection under the request with an RST.
func reset(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		conn.Close()
	}
}

// drip answers 200 and then a JSON message one byte every 20 ms, far
// slower than any try may take.
func drip(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	body := `{"sid":"` + testSM + `","account_sid":"` + testAccount + `","status":"delivered","direction":"outbound-api"}`
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < len(body); i++ {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
		if _, err := w.Write([]byte{body[i]}); err != nil {
			return
		}
		_ = rc.Flush()
	}
}

// rawListener starts a TCP server that reads each request's head and
// then does what serve says with the connection, and returns its URL.
func rawListener(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		conns.Wait()
	})
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Go(func() {
				defer conn.Close()
				r := bufio.NewReader(conn)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						break
					}
				}
				serve(conn)
			})
		}
	}()
	return "http://" + ln.Addr().String()
}

// silent keeps the connection open without a byte of answer until the
// client gives up.
func silent(conn net.Conn) {
	_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
	_, _ = conn.Read(make([]byte, 1)) // returns when the client closes
}

// rst resets the connection.
func rst(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
}

// TestFaults tries the verifier against upstreams that fail for real,
// over HTTP and TCP: each fault gives the reason a player should read,
// after the tries it deserves, within the deadline, and is Twilio's
// trouble (it never counts against the player).
func TestFaults(t *testing.T) {
	const timeout = 2 * time.Second
	short := Options{Timeout: timeout, AttemptTimeout: 200 * time.Millisecond, MaxTries: 3}
	type want struct {
		reason     quest.Reason // empty: passed
		detail     string
		attempts   int
		status     int
		retryAfter time.Duration
		// twilioRetryAfter is the part of retryAfter that Twilio asked
		// for: zero after a local timeout.
		twilioRetryAfter time.Duration
		pauses           []time.Duration
	}
	backoffs := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}
	tests := []struct {
		name    string
		handler func(t *testing.T) http.HandlerFunc // served as the message; or
		raw     func(net.Conn)                      // served over bare TCP
		want    want
	}{
		{name: "500 with a Twilio JSON error",
			handler: func(*testing.T) http.HandlerFunc { return twilioError(500, 20500) },
			want:    want{reason: quest.UpstreamUnavailable, attempts: 3, status: 500, pauses: backoffs}},
		{name: "502 HTML page",
			handler: func(*testing.T) http.HandlerFunc {
				return raw(502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>")
			},
			want: want{reason: quest.UpstreamUnavailable, attempts: 3, status: 502, pauses: backoffs}},
		{name: "503 empty body",
			handler: func(*testing.T) http.HandlerFunc { return raw(503, "", "") },
			want:    want{reason: quest.UpstreamUnavailable, attempts: 3, status: 503, pauses: backoffs}},
		{name: "503 then an answer",
			handler: func(*testing.T) http.HandlerFunc { return sequence(raw(503, "", ""), message(nil)) },
			want:    want{attempts: 2, pauses: backoffs[:1]}},
		{name: "429 with Retry-After, then an answer",
			handler: func(*testing.T) http.HandlerFunc {
				return sequence(twilioError(429, 20429, "Retry-After", "1"), message(nil))
			},
			want: want{attempts: 2, pauses: []time.Duration{time.Second}}},
		{name: "429 with Retry-After beyond the deadline",
			handler: func(*testing.T) http.HandlerFunc { return twilioError(429, 20429, "Retry-After", "30") },
			want:    want{reason: quest.UpstreamRateLimited, attempts: 1, status: 429, retryAfter: 30 * time.Second, twilioRetryAfter: 30 * time.Second}},
		{name: "503 with Retry-After beyond the deadline",
			handler: func(*testing.T) http.HandlerFunc { return raw(503, "", "", "Retry-After", "30") },
			want:    want{reason: quest.UpstreamUnavailable, attempts: 1, status: 503, retryAfter: 30 * time.Second, twilioRetryAfter: 30 * time.Second}},
		// JSON errors that are not Twilio's: a gateway, or a
		// --twilio-api-url with a wrong path. Not the player's mistake,
		// and not worth repeating.
		{name: "a gateway's JSON 404 without a code",
			handler: func(*testing.T) http.HandlerFunc {
				return raw(404, "application/json", `{"error":"no route","status":404}`)
			},
			want: want{reason: quest.UpstreamUnavailable, attempts: 1, status: 404}},
		{name: "a gateway's JSON 404 with the HTTP status for a code",
			handler: func(*testing.T) http.HandlerFunc {
				return raw(404, "application/json", `{"code":404,"message":"Not Found"}`)
			},
			want: want{reason: quest.UpstreamUnavailable, attempts: 1, status: 404}},
		{name: "a proxy's JSON 401",
			handler: func(*testing.T) http.HandlerFunc {
				return raw(401, "application/json", `{"message":"Unauthorized"}`)
			},
			want: want{reason: quest.UpstreamUnavailable, attempts: 1, status: 401}},
		{name: "429 every time",
			handler: func(*testing.T) http.HandlerFunc { return twilioError(429, 20429) },
			want:    want{reason: quest.UpstreamRateLimited, attempts: 3, status: 429, pauses: backoffs}},
		{name: "error 20429 without 429",
			handler: func(*testing.T) http.HandlerFunc { return twilioError(400, 20429) },
			want:    want{reason: quest.UpstreamRateLimited, attempts: 3, status: 400, pauses: backoffs}},
		{name: "hangs",
			handler: func(t *testing.T) http.HandlerFunc { return hang(t, nil) },
			want:    want{reason: quest.UpstreamUnavailable, detail: quest.DetailTimeout, attempts: 3, pauses: backoffs}},
		{name: "accepts the connection and never answers", raw: silent,
			want: want{reason: quest.UpstreamUnavailable, detail: quest.DetailTimeout, attempts: 3, pauses: backoffs}},
		{name: "drips the body slowly",
			handler: func(*testing.T) http.HandlerFunc { return drip },
			want:    want{reason: quest.UpstreamUnavailable, detail: quest.DetailTimeout, attempts: 3, status: 200, pauses: backoffs}},
		{name: "resets the connection", raw: rst,
			want: want{reason: quest.UpstreamUnavailable, attempts: 3, pauses: backoffs}},
		{name: "resets the connection, then answers",
			handler: func(t *testing.T) http.HandlerFunc { return sequence(reset(t), message(nil)) },
			want:    want{attempts: 2, pauses: backoffs[:1]}},
		{name: "404 is the player's, never retried",
			handler: func(*testing.T) http.HandlerFunc { return twilioError(404, 20404) },
			want:    want{reason: quest.NotFound, attempts: 1}},
		{name: "401 is the player's, never retried",
			handler: func(*testing.T) http.HandlerFunc { return twilioError(401, 20003) },
			want:    want{reason: quest.BadCredentials, detail: quest.DetailRejected, attempts: 1}},
		{name: "a redirect is not retried",
			handler: func(*testing.T) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) }
			},
			want: want{reason: quest.UpstreamUnavailable, attempts: 1, status: 302}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v *Verifier
			if tt.raw != nil {
				var err error
				opts := short
				opts.BaseURL = rawListener(t, tt.raw)
				if v, err = New(opts); err != nil {
					t.Fatal(err)
				}
			} else {
				v, _ = newFake(t, "", &fakeTwilio{message: tt.handler(t)}, short)
			}
			p := instantPauses(v)
			start := time.Now()
			verdict, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds})
			if elapsed := time.Since(start); elapsed > timeout+3*time.Second {
				t.Errorf("Verify took %v with a %v deadline", elapsed, timeout)
			}
			got := want{reason: verdict.Reason, detail: verdict.Detail, attempts: verdict.Attempts, pauses: p.list()}
			var ue *quest.UpstreamError
			if errors.As(err, &ue) {
				got.status, got.retryAfter, got.twilioRetryAfter = ue.Status, ue.RetryAfter, ue.TwilioRetryAfter
				if (ue.Status == 401 || ue.Status == 404) && !strings.Contains(err.Error(), "without a Twilio error code") {
					t.Errorf("the error, for the log, does not say why a %d is not Twilio's: %v", ue.Status, err)
				}
				if ue.Reason != verdict.Reason || ue.Detail != verdict.Detail {
					t.Errorf("error %+v disagrees with verdict %+v", ue, verdict)
				}
				if !verdict.Reason.Upstream() || verdict.Reason.Counts() {
					t.Errorf("reason %s must be Twilio's trouble, not counted against the player", verdict.Reason)
				}
			} else if err != nil {
				t.Fatalf("Verify error = %v, want nil or an *UpstreamError", err)
			}
			if tt.want.reason == "" && !verdict.Passed {
				t.Errorf("verdict %+v (%v), want passed", verdict, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFaultsWithinTheOverallDeadline: tries that time out one after the
// other stop at the overall deadline, whatever MaxTries says.
func TestFaultsWithinTheOverallDeadline(t *testing.T) {
	f := &fakeTwilio{}
	f.message = hang(t, nil)
	v, _ := newFake(t, "", f, Options{Timeout: 500 * time.Millisecond, AttemptTimeout: 150 * time.Millisecond, MaxTries: 50})
	v.jitter = func(time.Duration) time.Duration { return 0 }
	start := time.Now()
	verdict, err := v.Verify(context.Background(), quest.CheckRequest{Objective: new(sendSMS()), SID: testSM, Credentials: tokenCreds})
	if elapsed := time.Since(start); elapsed > 4*time.Second {
		t.Errorf("Verify took %v with a 500ms deadline", elapsed)
	}
	if verdict.Reason != quest.UpstreamUnavailable || verdict.Detail != quest.DetailTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Verify = %+v, %v; want upstream_unavailable, timeout", verdict, err)
	}
	if verdict.Attempts < 2 || verdict.Attempts >= 50 {
		t.Errorf("%d tries, want several, cut by the deadline", verdict.Attempts)
	}
	if n := int(f.calls.Load()); n != verdict.Attempts {
		t.Errorf("upstream saw %d requests, verdict says %d tries", n, verdict.Attempts)
	}
}

// TestCheckCredentialsIsRetried: the credentials check keeps the same
// discipline as Verify.
func TestCheckCredentialsIsRetried(t *testing.T) {
	f := &fakeTwilio{account: sequence(raw(503, "", ""), func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"sid": testAccount, "status": "active"})
	})}
	v, _ := newFake(t, "", f, Options{})
	instantPauses(v)
	if err := v.CheckCredentials(context.Background(), tokenCreds); err != nil {
		t.Errorf("CheckCredentials = %v, want nil after a retry", err)
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}
