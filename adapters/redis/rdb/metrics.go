package rdb

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
)

// poolCollector exports the shared client's connection pool statistics.
type poolCollector struct {
	client redis.UniversalClient
	descs  map[string]*prometheus.Desc
}

func newPoolCollector(c redis.UniversalClient) *poolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("statekit_redis_pool_"+name, help, nil, nil)
	}
	return &poolCollector{client: c, descs: map[string]*prometheus.Desc{
		"hits":        d("hits_total", "Times a free connection was found in the pool."),
		"misses":      d("misses_total", "Times no free connection was found in the pool."),
		"timeouts":    d("timeouts_total", "Times a wait for a connection timed out."),
		"total_conns": d("connections", "Connections in the pool."),
		"idle_conns":  d("idle_connections", "Idle connections in the pool."),
		"stale_conns": d("stale_connections_total", "Stale connections removed from the pool."),
	}}
}

func (p *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range p.descs {
		ch <- d
	}
}

func (p *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.client.PoolStats()
	ch <- prometheus.MustNewConstMetric(p.descs["hits"], prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(p.descs["misses"], prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(p.descs["timeouts"], prometheus.CounterValue, float64(s.Timeouts))
	ch <- prometheus.MustNewConstMetric(p.descs["total_conns"], prometheus.GaugeValue, float64(s.TotalConns))
	ch <- prometheus.MustNewConstMetric(p.descs["idle_conns"], prometheus.GaugeValue, float64(s.IdleConns))
	ch <- prometheus.MustNewConstMetric(p.descs["stale_conns"], prometheus.CounterValue, float64(s.StaleConns))
}

// MetricsModule registers the shared client's pool statistics on the registry.
var MetricsModule = fx.Module("rdbmetrics",
	fx.Invoke(func(reg prometheus.Registerer, c redis.UniversalClient) error {
		return reg.Register(newPoolCollector(c))
	}),
)
