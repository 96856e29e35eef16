// Package jobs runs the worker runtime against real Redis: exactly-once processing across worker pools, a
// worker process killed mid-job, periodic jobs on two instances, graceful shutdown, wake-ups.
package jobs

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/jobcron"
	"github.com/statekit/statekit/adapters/redis/jobredis"
	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/testapp"
	"github.com/statekit/statekit/tests/wait"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(crashChild())
	}
	os.Exit(harness.Run(m))
}

// testConfig is a small runtime: the given concurrency on queue "default", short leases, everything kept.
func testConfig(concurrency int) jobapp.Config {
	cfg := jobapp.DefaultConfig()
	cfg.Concurrency = concurrency
	cfg.Lease = time.Second
	cfg.ShutdownGrace = 2 * time.Second
	cfg.Retention = job.Retention{Completed: time.Hour, CompletedMax: 1_000_000, Dead: time.Hour, DeadMax: 1_000_000}
	cfg.Backoff = job.Backoff{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond, Jitter: 0.5}
	return cfg
}

// instance is one worker runtime with its store and recorded events.
type instance struct {
	rt     *jobapp.Runtime
	store  *jobredis.Store
	events *testapp.Recorder
}

// newInstance builds (without starting) a runtime on tg's Redis and prefix.
func newInstance(t *testing.T, tg harness.Target, cfg jobapp.Config, handlers []ports.JobHandler, periodic ...job.Periodic) instance {
	t.Helper()
	store := jobredis.New(tg.Client, tg.Prefix, nil)
	ev := &testapp.Recorder{}
	rt, err := jobapp.NewRuntime(cfg, store, store, ev, nil, jobcron.New(), testapp.Logger(t), handlers, periodic)
	if err != nil {
		t.Fatalf("NewRuntime: %v", err)
	}
	return instance{rt: rt, store: store, events: ev}
}

// start starts the runtime and stops it when the test ends.
func (in instance) start(t *testing.T) {
	t.Helper()
	if err := in.rt.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := in.rt.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
}

// newRuntime builds a runtime on tg's Redis and prefix, returning NewRuntime's error.
func newRuntime(tg harness.Target, cfg jobapp.Config, handlers []ports.JobHandler, periodic ...job.Periodic) (*jobapp.Runtime, error) {
	store := jobredis.New(tg.Client, tg.Prefix, nil)
	return jobapp.NewRuntime(cfg, store, store, &testapp.Recorder{}, nil, jobcron.New(), slog.New(slog.DiscardHandler), handlers, periodic)
}

func newService(t *testing.T, store ports.JobQueue, handlers []ports.JobHandler) *jobapp.Service {
	t.Helper()
	svc, err := jobapp.NewService(store, handlers, jobapp.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// waitFor polls cond until it holds or the timeout passes (a bound on a test that hangs, not a timing claim).
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	wait.Until(t, timeout, 10*time.Millisecond, what, cond)
}
