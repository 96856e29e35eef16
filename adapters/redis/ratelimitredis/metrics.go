package ratelimitredis

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/ports"
)

// Metrics are the rate-limiting module's Prometheus metrics. The app records decisions through
// ports.RateLimitMetrics; the store records its batches and deny-cache hits. A nil *Metrics records
// nothing.
type Metrics struct {
	decisions *prometheus.CounterVec
	storeErrs *prometheus.CounterVec
	eventErrs *prometheus.CounterVec
	batches   prometheus.Histogram
	cacheHits prometheus.Counter
}

var (
	_ ports.RateLimitMetrics = (*Metrics)(nil)
	_ prometheus.Collector   = (*Metrics)(nil)
)

// NewMetrics returns the metrics, a prometheus.Collector the module contributes to ports.GroupCollectors:
//
//	statekit_ratelimit_decisions_total{policy,outcome}   outcome: allowed, denied, failed_open, failed_closed
//	statekit_ratelimit_store_errors_total{policy}        decisions that could not reach Redis in time
//	statekit_ratelimit_event_errors_total{policy}        sampled ratelimit.denied events not published
//	statekit_ratelimit_batch_size                         decisions per pipeline (histogram)
//	statekit_ratelimit_deny_cache_hits_total             denials answered without a round trip
func NewMetrics() *Metrics {
	m := &Metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statekit_ratelimit_decisions_total", Help: "Rate-limit decisions, by policy and outcome.",
		}, []string{"policy", "outcome"}),
		storeErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statekit_ratelimit_store_errors_total", Help: "Rate-limit decisions that could not reach Redis within the timeout, by policy.",
		}, []string{"policy"}),
		eventErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statekit_ratelimit_event_errors_total", Help: "Sampled ratelimit.denied events that could not be published, by policy.",
		}, []string{"policy"}),
		batches: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "statekit_ratelimit_batch_size", Help: "Rate-limit decisions sent to Redis in one pipeline.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "statekit_ratelimit_deny_cache_hits_total", Help: "Rate-limit denials answered from the local deny cache, without a round trip.",
		}),
	}
	return m
}

func (m *Metrics) parts() []prometheus.Collector {
	return []prometheus.Collector{m.decisions, m.storeErrs, m.eventErrs, m.batches, m.cacheHits}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.parts() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.parts() {
		c.Collect(ch)
	}
}

// Decided implements ports.RateLimitMetrics.
func (m *Metrics) Decided(policy string, outcome ratelimit.Outcome) {
	if m != nil {
		m.decisions.WithLabelValues(policy, string(outcome)).Inc()
	}
}

// StoreFailed implements ports.RateLimitMetrics.
func (m *Metrics) StoreFailed(policy string) {
	if m != nil {
		m.storeErrs.WithLabelValues(policy).Inc()
	}
}

// EventFailed implements ports.RateLimitMetrics.
func (m *Metrics) EventFailed(policy string) {
	if m != nil {
		m.eventErrs.WithLabelValues(policy).Inc()
	}
}

func (m *Metrics) observeBatch(n int) {
	if m != nil {
		m.batches.Observe(float64(n))
	}
}

func (m *Metrics) denyCacheHit() {
	if m != nil {
		m.cacheHits.Inc()
	}
}
