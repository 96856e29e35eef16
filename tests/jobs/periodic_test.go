package jobs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

// TestPeriodicOncePerTickAcrossInstances: two instances run the same periodic schedule (every 200 ms); each
// tick is enqueued, and run, exactly once.
func TestPeriodicOncePerTickAcrossInstances(t *testing.T) {
	t.Parallel()
	const period, wantTicks = 200 * time.Millisecond, 6
	tg := harness.Standalone(t)
	var (
		mu   sync.Mutex
		runs = map[time.Time]int{}
	)
	handler := ports.JobHandler{Type: "tick", Handle: func(_ context.Context, j job.Job) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		if j.Periodic != "heartbeat" {
			t.Errorf("periodic job without its schedule name: %+v", j)
		}
		runs[j.Tick]++
		return nil, nil
	}}
	p := job.Periodic{Name: "heartbeat", Cron: "@every 200ms", Job: job.NewJob{Type: "tick", Payload: []byte(`{"from":"code"}`)}}
	a := newInstance(t, tg, testConfig(2), []ports.JobHandler{handler}, p)
	b := newInstance(t, tg, testConfig(2), []ports.JobHandler{handler}, p)
	a.start(t)
	b.start(t)
	distinct := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(runs)
	}
	waitFor(t, "ticks to run", 30*time.Second, func() bool { return distinct() >= wantTicks })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.rt.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.rt.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	for tick, n := range runs {
		if n != 1 {
			t.Errorf("tick %s ran %d times", tick.Format(time.StampMilli), n)
		}
		if tick.UnixNano()%int64(period) != 0 {
			t.Errorf("tick %s is not aligned to %s", tick.Format(time.StampMilli), period)
		}
	}
	// Every tick the instances enqueued is accounted for once: run, or still queued at the stop.
	stored := map[time.Time]int{}
	for _, st := range []job.State{job.StatePending, job.StateScheduled, job.StateCompleted} {
		list, _, err := a.store.List(ctx, "default", st, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range list {
			stored[j.Tick]++
			if string(j.Payload) != `{"from":"code"}` {
				t.Errorf("periodic job payload = %s", j.Payload)
			}
		}
	}
	for tick, n := range stored {
		if n != 1 {
			t.Errorf("tick %s was enqueued %d times", tick.Format(time.StampMilli), n)
		}
	}
	if len(stored) < len(runs) {
		t.Errorf("%d ticks stored, %d run", len(stored), len(runs))
	}
	t.Logf("%d ticks enqueued, %d run, by two instances", len(stored), len(runs))
}

// TestPeriodicNeedsAHandlerAndAValidSchedule: a periodic job of an unknown type or with a bad schedule
// stops the runtime from being built.
func TestPeriodicNeedsAHandlerAndAValidSchedule(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	h := []ports.JobHandler{{Type: "tick", Handle: func(context.Context, job.Job) ([]byte, error) { return nil, nil }}}
	for name, p := range map[string]job.Periodic{
		"unknown type":  {Name: "p", Cron: "@hourly", Job: job.NewJob{Type: "nope"}},
		"bad cron":      {Name: "p", Cron: "every day", Job: job.NewJob{Type: "tick"}},
		"too frequent":  {Name: "p", Cron: "@every 1ms", Job: job.NewJob{Type: "tick"}},
		"bad name":      {Name: "a:b", Cron: "@hourly", Job: job.NewJob{Type: "tick"}},
		"unique key":    {Name: "p", Cron: "@hourly", Job: job.NewJob{Type: "tick", UniqueKey: "k"}},
		"invalid queue": {Name: "p", Cron: "@hourly", Job: job.NewJob{Type: "tick", Queue: "{x}"}},
	} {
		if _, err := newRuntime(tg, testConfig(1), h, p); err == nil {
			t.Errorf("%s: NewRuntime accepted %+v", name, p)
		}
	}
	if _, err := newRuntime(tg, testConfig(1), h, job.Periodic{Name: "p", Cron: "@hourly", Job: job.NewJob{Type: "tick"}},
		job.Periodic{Name: "p", Cron: "@daily", Job: job.NewJob{Type: "tick"}}); err == nil {
		t.Error("NewRuntime accepted two periodic jobs of one name")
	}
}
