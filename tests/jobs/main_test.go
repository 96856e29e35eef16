// Package jobs runs the worker runtime against real Redis: exactly-once processing across worker pools, a
// worker process killed mid-job, periodic jobs on two instances, graceful shutdown, wake-ups.
package jobs

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/jobcron"
	"github.com/statekit/statekit/adapters/redis/jobredis"
	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(crashChild())
	}
	os.Exit(harness.Run(m))
}

// recorder is an in-memory ports.EventPublisher.
type recorder struct {
	mu     sync.Mutex
	events []ports.Event
}

func (r *recorder) Publish(_ context.Context, events ...ports.Event) error {
	r.mu.Lock()
	r.events = append(r.events, events...)
	r.mu.Unlock()
	return nil
}

// named returns the published events of a name.
func (r *recorder) named(name string) []ports.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []ports.Event
	for _, e := range r.events {
		if e.EventName() == name {
			out = append(out, e)
		}
	}
	return out
}

// count returns how many events of a name were published.
func (r *recorder) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.EventName() == name {
			n++
		}
	}
	return n
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
	events *recorder
}

// newInstance builds (without starting) a runtime on tg's Redis and prefix.
func newInstance(t *testing.T, tg harness.Target, cfg jobapp.Config, handlers []ports.JobHandler, periodic ...job.Periodic) instance {
	t.Helper()
	store := jobredis.New(tg.Client, tg.Prefix, nil)
	ev := &recorder{}
	rt, err := jobapp.NewRuntime(cfg, store, store, ev, nil, jobcron.New(), testLogger(t), handlers, periodic)
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
	return jobapp.NewRuntime(cfg, store, store, &recorder{}, nil, jobcron.New(), slog.New(slog.DiscardHandler), handlers, periodic)
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
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting %s for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testLogger logs warnings through t.Log until the test ends.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	mu     sync.Mutex
	t      *testing.T
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}
