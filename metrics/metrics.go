// Package metrics exposes what questgate is doing in the Prometheus text
// format, for whoever runs it: how verifications end and why, how Twilio
// behaves (latency, retries, requests in flight, the circuit breaker),
// and how often players hit the failure budget. It keeps its own registry
// rather than Prometheus' global one, so two servers in one process (the
// tests) never share counters and nothing registers itself behind the
// program's back. It is an adapter of the domain: it implements
// quest.Metrics and imports quest for its reason codes.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/questgate/questgate/quest"
)

// Circuit states, as the questgate_circuit_state gauge reports them.
const (
	circuitClosed   = 0
	circuitHalfOpen = 1
	circuitOpen     = 2
)

// Metrics holds questgate's collectors in a registry of its own. Its
// methods are safe for concurrent use; a nil *Metrics is not usable, pass
// a nil interface to the packages that accept "no metrics" instead.
type Metrics struct {
	reg *prometheus.Registry

	verifications        *prometheus.CounterVec
	verificationDuration *prometheus.HistogramVec
	verificationUpstream prometheus.Histogram
	upstreamDuration     *prometheus.HistogramVec
	retries              *prometheus.CounterVec
	inFlight             prometheus.Gauge
	rateLimited          prometheus.Counter
	circuit              prometheus.Gauge
}

// latencyBuckets suit both a whole verification and one request to
// Twilio: Twilio usually answers in 100 to 500 ms, and the slowest
// answers the timeouts allow take seconds.
var latencyBuckets = []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30}

// New returns the metrics with every series they have, and the Go runtime
// and process collectors, registered.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "questgate_verifications_total",
			Help: "Recorded attempts, by outcome (passed, failed, undecided) and reason code.",
		}, []string{"outcome", "reason"}),
		verificationDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "questgate_verification_duration_seconds",
			Help:    "Time from a player's submission to its recorded outcome, by outcome.",
			Buckets: latencyBuckets,
		}, []string{"outcome"}),
		verificationUpstream: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "questgate_verification_upstream_seconds",
			Help:    "Time one verification spent waiting for Twilio, retries included; verifications that did not ask Twilio are not counted.",
			Buckets: latencyBuckets,
		}),
		upstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "questgate_upstream_request_duration_seconds",
			Help:    "Duration of one HTTP request to Twilio, by outcome (ok, not_found, rejected, rate_limited, unavailable, timeout).",
			Buckets: latencyBuckets,
		}, []string{"outcome"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "questgate_upstream_retries_total",
			Help: "Requests to Twilio retried, by the reason of the failed try (rate_limited, unavailable, timeout).",
		}, []string{"reason"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "questgate_upstream_in_flight",
			Help: "Requests to Twilio waiting for an answer now.",
		}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "questgate_rate_limited_total",
			Help: "Attempts refused unchecked because the player used up their failure budget (--attempts-per-minute).",
		}),
		circuit: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "questgate_circuit_state",
			Help: "State of the circuit breaker in front of Twilio: 0 closed (requests flow), 1 half-open (probing), 2 open (requests refused).",
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.verifications, m.verificationDuration, m.verificationUpstream, m.upstreamDuration,
		m.retries, m.inFlight, m.rateLimited, m.circuit,
	)
	return m
}

// Handler serves the metrics in the Prometheus text format (or
// OpenMetrics, when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: true})
}

// Verification counts one recorded attempt with its reason code, how long
// it took in all, and how long it waited for Twilio (zero when Twilio was
// not asked).
func (m *Metrics) Verification(reason string, total, upstream time.Duration) {
	// The outcome label (quest.Reason.Outcome) is what an operator
	// alerts on without knowing every reason code.
	outcome := quest.Reason(reason).Outcome()
	m.verifications.WithLabelValues(outcome, reason).Inc()
	m.verificationDuration.WithLabelValues(outcome).Observe(total.Seconds())
	if upstream > 0 {
		m.verificationUpstream.Observe(upstream.Seconds())
	}
}

// RateLimited counts an attempt refused by the failure budget.
func (m *Metrics) RateLimited() { m.rateLimited.Inc() }

// UpstreamRequest observes one HTTP request to Twilio and how it ended:
// "ok", "not_found", "rejected", "rate_limited", "unavailable" or
// "timeout".
func (m *Metrics) UpstreamRequest(outcome string, d time.Duration) {
	m.upstreamDuration.WithLabelValues(outcome).Observe(d.Seconds())
}

// Retry counts a request to Twilio tried again, by why the previous try
// failed: "rate_limited", "unavailable" or "timeout".
func (m *Metrics) Retry(reason string) { m.retries.WithLabelValues(reason).Inc() }

// InFlight moves the number of requests to Twilio waiting for an answer
// by delta (+1 when one starts, -1 when it ends).
func (m *Metrics) InFlight(delta int) { m.inFlight.Add(float64(delta)) }

// CircuitState reports the circuit breaker's new state: "closed",
// "half-open" or "open". An unknown state reads as open, the state that
// needs a look.
func (m *Metrics) CircuitState(state string) {
	v := circuitOpen
	switch state {
	case "closed":
		v = circuitClosed
	case "half-open":
		v = circuitHalfOpen
	}
	m.circuit.Set(float64(v))
}
