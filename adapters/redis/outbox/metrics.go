package outbox

import "github.com/prometheus/client_golang/prometheus"

// Metrics describe the relay.
type Metrics struct {
	relayed prometheus.Counter
	errors  prometheus.Counter
	pending prometheus.Gauge
	lag     prometheus.Gauge
}

// NewMetrics registers the outbox metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		relayed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "statekit_outbox_relayed_total", Help: "Outbox entries forwarded to their topic streams.",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "statekit_outbox_relay_errors_total", Help: "Failed relay attempts (read, forward or delete).",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "statekit_outbox_pending", Help: "Entries in all outbox streams at the last sweep.",
		}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "statekit_outbox_lag_seconds",
			Help: "Age of the oldest entry in the last batch relayed, or found pending by the last sweep.",
		}),
	}
	reg.MustRegister(m.relayed, m.errors, m.pending, m.lag)
	return m
}
