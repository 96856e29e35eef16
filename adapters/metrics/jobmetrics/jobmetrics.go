// Package jobmetrics implements ports.JobMetrics with Prometheus, and exports every queue's job counts by
// state, read from the store when Prometheus scrapes.
package jobmetrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// Metrics records what this process's workers do:
//
//	statekit_jobs_pickup_seconds{queue}              histogram: from ready (enqueued, due, returned) to start
//	statekit_jobs_handler_seconds{queue,type}        histogram: handler run time
//	statekit_jobs_outcomes_total{queue,type,outcome} counter: completed, retry, dead, expired, stale
//	statekit_jobs_running{queue}                     gauge: handlers running in this process
//
// and, at each scrape, reads every queue's statistics from the store (one round trip per queue, 2 s bound):
//
//	statekit_jobs{queue,state}                       gauge: jobs by state
//	statekit_jobs_stats_up                           gauge: 1 when the statistics could be read, else 0
//	statekit_jobs_queue_processed_total{queue}       counter: runs completed, all workers
//	statekit_jobs_queue_failed_total{queue}          counter: runs failed, all workers
type Metrics struct {
	pickup   *prometheus.HistogramVec
	handler  *prometheus.HistogramVec
	outcomes *prometheus.CounterVec
	running  *prometheus.GaugeVec
	parts    []prometheus.Collector
}

var (
	_ ports.JobMetrics     = (*Metrics)(nil)
	_ prometheus.Collector = (*Metrics)(nil)
)

// New returns the metrics, a prometheus.Collector the jobs module contributes to ports.GroupCollectors;
// queue, when not nil, feeds the per-state gauges.
func New(queue ports.JobQueue) *Metrics {
	m := &Metrics{
		pickup: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "statekit_jobs_pickup_seconds", Help: "Time from a job being ready to its handler starting.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"queue"}),
		handler: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "statekit_jobs_handler_seconds", Help: "Run time of job handlers.",
			Buckets: []float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 1800},
		}, []string{"queue", "type"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statekit_jobs_outcomes_total", Help: "Runs by what became of the job (completed, retry, dead, expired, stale).",
		}, []string{"queue", "type", "outcome"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "statekit_jobs_running", Help: "Job handlers running in this process.",
		}, []string{"queue"}),
	}
	m.parts = []prometheus.Collector{m.pickup, m.handler, m.outcomes, m.running}
	if queue != nil {
		m.parts = append(m.parts, stateCollector{queue: queue})
	}
	return m
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.parts {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.parts {
		c.Collect(ch)
	}
}

// Started implements ports.JobMetrics.
func (m *Metrics) Started(queue, _ string, pickup time.Duration) {
	m.pickup.WithLabelValues(queue).Observe(max(pickup, 0).Seconds())
	m.running.WithLabelValues(queue).Inc()
}

// Ran implements ports.JobMetrics.
func (m *Metrics) Ran(queue, jobType string, took time.Duration) {
	m.handler.WithLabelValues(queue, jobType).Observe(took.Seconds())
	m.running.WithLabelValues(queue).Dec()
}

// Settled implements ports.JobMetrics.
func (m *Metrics) Settled(queue, jobType string, outcome job.Outcome) {
	m.outcomes.WithLabelValues(queue, jobType, string(outcome)).Inc()
}

var (
	stateDesc = prometheus.NewDesc("statekit_jobs", "Jobs by queue and state.", []string{"queue", "state"}, nil)
	doneDesc  = prometheus.NewDesc("statekit_jobs_queue_processed_total", "Runs completed in the queue, by all workers.",
		[]string{"queue"}, nil)
	failDesc = prometheus.NewDesc("statekit_jobs_queue_failed_total", "Runs failed in the queue, by all workers.",
		[]string{"queue"}, nil)
	upDesc = prometheus.NewDesc("statekit_jobs_stats_up", "1 when the job statistics could be read from Redis, else 0.",
		nil, nil)
)

// stateCollector reads queue statistics from the store at scrape time.
type stateCollector struct {
	queue ports.JobQueue
}

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- stateDesc
	ch <- doneDesc
	ch <- failDesc
	ch <- upDesc
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// Read everything first: a scrape while Redis is down reports statekit_jobs_stats_up 0 instead of
	// failing (which would lose every other metric of the scrape).
	queues, err := c.queue.Queues(ctx)
	stats := make([]job.QueueStats, 0, len(queues))
	for _, q := range queues {
		if err != nil {
			break
		}
		var s job.QueueStats
		s, err = c.queue.Stats(ctx, q)
		stats = append(stats, s)
	}
	if err != nil {
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 1)
	for _, s := range stats {
		for _, st := range job.States {
			ch <- prometheus.MustNewConstMetric(stateDesc, prometheus.GaugeValue, float64(s.Count(st)), s.Queue, string(st))
		}
		ch <- prometheus.MustNewConstMetric(doneDesc, prometheus.CounterValue, float64(s.Processed), s.Queue)
		ch <- prometheus.MustNewConstMetric(failDesc, prometheus.CounterValue, float64(s.Failed), s.Queue)
	}
}
