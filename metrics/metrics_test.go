package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/metrics"
)

// scrape returns what a Prometheus server scraping m would read.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	b, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestScrapeShowsWhatHappened(t *testing.T) {
	m := metrics.New()
	m.Verification("awarded", 420*time.Millisecond, 300*time.Millisecond)
	m.Verification("not_found", 200*time.Millisecond, 150*time.Millisecond)
	m.Verification("upstream_unavailable", 5*time.Second, 5*time.Second)
	m.Verification("rate_limited", time.Millisecond, 0)
	m.RateLimited()
	m.UpstreamRequest("ok", 300*time.Millisecond)
	m.UpstreamRequest("timeout", 5*time.Second)
	m.Retry("timeout")
	m.InFlight(1)
	m.InFlight(1)
	m.InFlight(-1)
	m.CircuitState("half-open")

	got := scrape(t, m)
	for _, want := range []string{
		`questgate_verifications_total{outcome="passed",reason="awarded"} 1`,
		`questgate_verifications_total{outcome="failed",reason="not_found"} 1`,
		`questgate_verifications_total{outcome="undecided",reason="upstream_unavailable"} 1`,
		`questgate_verifications_total{outcome="failed",reason="rate_limited"} 1`,
		`questgate_verification_duration_seconds_count{outcome="passed"} 1`,
		`questgate_verification_upstream_seconds_count 3`,
		`questgate_upstream_request_duration_seconds_count{outcome="ok"} 1`,
		`questgate_upstream_request_duration_seconds_count{outcome="timeout"} 1`,
		`questgate_upstream_retries_total{reason="timeout"} 1`,
		`questgate_upstream_in_flight 1`,
		`questgate_rate_limited_total 1`,
		`questgate_circuit_state 1`,
		"go_goroutines ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestCircuitState(t *testing.T) {
	tests := []struct {
		state string
		want  string
	}{
		{"closed", "questgate_circuit_state 0"},
		{"half-open", "questgate_circuit_state 1"},
		{"open", "questgate_circuit_state 2"},
		{"confused", "questgate_circuit_state 2"},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			m := metrics.New()
			m.CircuitState(tt.state)
			if got := scrape(t, m); !strings.Contains(got, tt.want+"\n") {
				t.Errorf("CircuitState(%q): scrape lacks %q", tt.state, tt.want)
			}
		})
	}
}

// Two servers in one process keep their own counts.
func TestRegistriesAreSeparate(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.RateLimited()
	if got := scrape(t, b); !strings.Contains(got, "questgate_rate_limited_total 0") {
		t.Error("a count of one Metrics shows in another")
	}
}
