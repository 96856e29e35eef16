package jobmetrics_test

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/statekit/statekit/adapters/metrics/jobmetrics"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports/mocks"
)

// scrape gathers reg into "name{label=value,...} value" lines (histograms as their sample count).
func scrape(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			key := f.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Histogram != nil:
				out[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	q := mocks.NewMockJobQueue(gomock.NewController(t))
	reg := prometheus.NewRegistry()
	m := jobmetrics.New(q)
	reg.MustRegister(m)
	m.Started("default", "mail", 3*time.Millisecond)
	m.Started("default", "mail", time.Millisecond)
	m.Ran("default", "mail", 20*time.Millisecond)
	m.Settled("default", "mail", job.OutcomeCompleted)
	m.Settled("default", "mail", job.OutcomeRetry)

	q.EXPECT().Queues(gomock.Any()).Return([]string{"default"}, nil)
	q.EXPECT().Stats(gomock.Any(), "default").Return(job.QueueStats{Queue: "default", Pending: 4, Dead: 2, Processed: 9, Failed: 3}, nil)
	got := scrape(t, reg)
	for key, want := range map[string]float64{
		"statekit_jobs{queue=default,state=pending}":                              4,
		"statekit_jobs{queue=default,state=dead}":                                 2,
		"statekit_jobs{queue=default,state=active}":                               0,
		"statekit_jobs_queue_processed_total{queue=default}":                      9,
		"statekit_jobs_queue_failed_total{queue=default}":                         3,
		"statekit_jobs_stats_up{}":                                                1,
		"statekit_jobs_running{queue=default}":                                    1,
		"statekit_jobs_pickup_seconds{queue=default}":                             2,
		"statekit_jobs_handler_seconds{queue=default,type=mail}":                  1,
		"statekit_jobs_outcomes_total{outcome=completed,queue=default,type=mail}": 1,
		"statekit_jobs_outcomes_total{outcome=retry,queue=default,type=mail}":     1,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
		}
	}

	// Redis down: the scrape still succeeds, and says so.
	q.EXPECT().Queues(gomock.Any()).Return(nil, errors.New("down"))
	got = scrape(t, reg)
	if got["statekit_jobs_stats_up{}"] != 0 {
		t.Errorf("statekit_jobs_stats_up = %v with Redis down, want 0", got["statekit_jobs_stats_up{}"])
	}
	if _, ok := got["statekit_jobs{queue=default,state=pending}"]; ok {
		t.Error("stale per-state gauges reported with Redis down")
	}
	if err := reg.Register(jobmetrics.New(q)); err == nil {
		t.Error("registering twice on one registry succeeded")
	}
}
