package cachehttp

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/statekit/statekit/app/cacheapp"
)

// Collector exports a cache Service's statistics as Prometheus metrics, read at scrape time so the hot path
// pays nothing for them.
type Collector struct {
	svc                                                *cacheapp.Service
	requests, negative, stale, loads, loadErrors, shed *prometheus.Desc
	lockWaits, refreshes, fillsDropped, errs, skipped  *prometheus.Desc
	invalidations, l1Entries, loadSeconds              *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns the collector for svc.
func NewCollector(svc *cacheapp.Service) *Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("statekit_cache_"+name, help, labels, nil)
	}
	return &Collector{
		svc:           svc,
		requests:      d("requests_total", "Cache reads by result: l1_hit, l2_hit or miss.", "result"),
		negative:      d("negative_hits_total", "Reads answered with a remembered not-found."),
		stale:         d("stale_served_total", "Reads answered with a stale value."),
		loads:         d("loads_total", "Loader runs."),
		loadErrors:    d("load_errors_total", "Loader runs that failed."),
		shed:          d("loads_shed_total", "Loads refused because too many were running."),
		lockWaits:     d("lock_waits_total", "Reads that waited for another instance's load."),
		refreshes:     d("refreshes_total", "Background refreshes by kind: early (XFetch) or background (stale-while-revalidate).", "kind"),
		fillsDropped:  d("fills_dropped_total", "Loaded values not stored because a write, delete or lock expiry came first."),
		errs:          d("errors_total", "Errors by kind: redis or codec.", "kind"),
		skipped:       d("redis_skipped_total", "Reads that skipped Redis during the backoff after a failure."),
		invalidations: d("invalidations_total", "cache.invalidated events by direction: published or received.", "direction"),
		l1Entries:     d("l1_entries", "Entries in the in-process tier."),
		loadSeconds:   d("load_seconds", "Time spent in the loader."),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.requests, c.negative, c.stale, c.loads, c.loadErrors, c.shed, c.lockWaits,
		c.refreshes, c.fillsDropped, c.errs, c.skipped, c.invalidations, c.l1Entries, c.loadSeconds} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.svc.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(c.requests, s.L1Hits, "l1_hit")
	counter(c.requests, s.L2Hits, "l2_hit")
	counter(c.requests, s.Misses, "miss")
	counter(c.negative, s.NegativeHits)
	counter(c.stale, s.StaleServed)
	counter(c.loads, s.Loads)
	counter(c.loadErrors, s.LoadErrors)
	counter(c.shed, s.LoadsShed)
	counter(c.lockWaits, s.LockWaits)
	counter(c.refreshes, s.EarlyRefreshes, "early")
	counter(c.refreshes, s.BackgroundRefreshes, "background")
	counter(c.fillsDropped, s.FillsDropped)
	counter(c.errs, s.RedisErrors, "redis")
	counter(c.errs, s.CodecErrors, "codec")
	counter(c.skipped, s.RedisSkipped)
	counter(c.invalidations, s.InvalidationsPublished, "published")
	counter(c.invalidations, s.InvalidationsReceived, "received")
	ch <- prometheus.MustNewConstMetric(c.l1Entries, prometheus.GaugeValue, float64(s.L1Entries))
	buckets := make(map[float64]uint64, len(cacheapp.LoadBuckets))
	for i, b := range cacheapp.LoadBuckets {
		buckets[b.Seconds()] = s.Load.Buckets[i]
	}
	ch <- prometheus.MustNewConstHistogram(c.loadSeconds, s.Load.Count, s.Load.Sum.Seconds(), buckets)
}
