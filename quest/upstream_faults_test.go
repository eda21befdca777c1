package quest_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/verifier"
)

// twilioAnswer answers like Twilio's API, with a JSON body.
func twilioAnswer(status int, body map[string]any, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}
}

func twilioFailure(status, code int, headers ...string) http.HandlerFunc {
	return twilioAnswer(status, map[string]any{"code": code, "status": status, "message": "error"}, headers...)
}

// TestUpstreamFaultsDoNotSpendTheFailureBudget plays attempts through a
// real verifier against an upstream that fails for real: each attempt is
// recorded with Twilio's trouble as its reason, and however many there
// are, the player's failure budget is untouched, so their next attempt is
// checked.
func TestUpstreamFaultsDoNotSpendTheFailureBudget(t *testing.T) {
	const budget = 3
	tests := []struct {
		name       string
		fault      http.HandlerFunc
		want       quest.Reason
		wantDetail string
		wantRetry  time.Duration
	}{
		{"500 JSON", twilioFailure(500, 20500), quest.UpstreamUnavailable, "", 0},
		{"502 HTML", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html><h1>502 Bad Gateway</h1></html>"))
		}, quest.UpstreamUnavailable, "", 0},
		{"503 empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) },
			quest.UpstreamUnavailable, "", 0},
		{"429 with Retry-After", twilioFailure(429, 20429, "Retry-After", "30"), quest.UpstreamRateLimited, "", 30 * time.Second},
		{"hangs", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			quest.UpstreamUnavailable, quest.DetailTimeout, 0},
		{"resets the connection", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			conn.Close()
		}, quest.UpstreamUnavailable, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f, _ := limitedFixture(t, budget)
			var answer atomic.Pointer[http.HandlerFunc]
			answer.Store(&tt.fault)
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				(*answer.Load())(w, r)
			}))
			t.Cleanup(srv.Close)
			v, err := verifier.New(verifier.Options{BaseURL: srv.URL, Timeout: 2 * time.Second,
				AttemptTimeout: 100 * time.Millisecond, MaxTries: 2, BreakerThreshold: 100})
			if err != nil {
				t.Fatal(err)
			}
			f.cfg.Twilio = v
			f.svc = quest.New(f.cfg)
			if err := f.st.SaveCredentials(ctx, quest.Credentials{PlayerID: f.player, AccountSID: realAC, Secret: token}); err != nil {
				t.Fatal(err)
			}

			const faults = budget + 2
			for i := range faults {
				res := f.submit(t, smsSID)
				if res.Submission.Reason != tt.want || res.Detail != tt.wantDetail || res.RetryAfter != tt.wantRetry {
					t.Fatalf("attempt %d: %s (%q) retry after %v; want %s (%q) after %v",
						i+1, res.Submission.Reason, res.Detail, res.RetryAfter, tt.want, tt.wantDetail, tt.wantRetry)
				}
			}
			subs, err := f.st.RecentSubmissions(ctx, f.player, "send-sms", faults)
			if err != nil || len(subs) != faults {
				t.Fatalf("recorded %d attempts (%v), want %d", len(subs), err, faults)
			}
			for _, s := range subs {
				if s.Reason != tt.want || s.Detail != tt.wantDetail || s.SID != smsSID {
					t.Errorf("recorded %s (%q) for %s, want %s (%q)", s.Reason, s.Detail, s.SID, tt.want, tt.wantDetail)
				}
			}
			if n := requests.Load(); n < faults {
				t.Errorf("upstream saw %d requests for %d attempts", n, faults)
			}

			// The budget is whole: the player's next attempt is checked,
			// and their own mistakes then spend it.
			notFound := twilioFailure(404, 20404)
			answer.Store(&notFound)
			for i := range budget {
				if r := f.submit(t, smsSID).Submission.Reason; r != quest.NotFound {
					t.Fatalf("checked attempt %d after the faults: %s, want not_found", i+1, r)
				}
			}
			if r := f.submit(t, smsSID).Submission.Reason; r != quest.RateLimited {
				t.Errorf("attempt after %d mistakes: %s, want rate_limited", budget, r)
			}
		})
	}
}
