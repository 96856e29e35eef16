package jobs

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

// TestFailuresRetriesAndDeadLetters: a panic is a failure (retried with backoff, then dead-lettered with the
// panic as the error), a permanent error skips the retries, a handler past its deadline sees its context
// end, a flaky job succeeds on retry, and every outcome is published as an event.
func TestFailuresRetriesAndDeadLetters(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	var flaky atomic.Int32
	deadlineSeen := make(chan bool, 1)
	handlers := []ports.JobHandler{
		{Type: "panics", Handle: func(context.Context, job.Job) ([]byte, error) { panic("kaboom") }},
		{Type: "permanent", Handle: func(context.Context, job.Job) ([]byte, error) {
			return nil, job.NoRetry(errors.New("bad address"))
		}},
		{Type: "slow", Handle: func(ctx context.Context, _ job.Job) ([]byte, error) {
			_, ok := ctx.Deadline()
			deadlineSeen <- ok
			<-ctx.Done()
			return nil, ctx.Err()
		}},
		{Type: "flaky", Handle: func(_ context.Context, j job.Job) ([]byte, error) {
			if flaky.Add(1) == 1 {
				return nil, errors.New("try again")
			}
			return []byte(`{"attempt":2}`), nil
		}},
	}
	in := newInstance(t, tg, testConfig(4), handlers)
	in.start(t)
	svc := newService(t, in.store, handlers)
	ctx := context.Background()
	two, zero := 2, 0
	enqueue := func(n job.NewJob) string {
		e, err := svc.Enqueue(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	panics := enqueue(job.NewJob{Type: "panics", MaxRetries: &two})
	permanent := enqueue(job.NewJob{Type: "permanent", MaxRetries: &two})
	slow := enqueue(job.NewJob{Type: "slow", MaxRetries: &zero, Timeout: 100 * time.Millisecond})
	flakyID := enqueue(job.NewJob{Type: "flaky", MaxRetries: &two})
	// A job of a type this worker has no handler for (stored without the service's check).
	sp, _ := job.NewJob{Type: "ghost", MaxRetries: &zero}.Spec(job.DefaultDefaults())
	if _, err := in.store.Enqueue(ctx, "default", []job.Spec{sp}); err != nil {
		t.Fatal(err)
	}

	waitFor(t, "every job to finish", 30*time.Second, func() bool {
		s, err := svc.Stats(ctx, "default")
		return err == nil && s.Dead == 4 && s.Completed == 1
	})
	get := func(id string) job.Job {
		j, err := svc.Get(ctx, "default", id)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	if j := get(panics); j.State != job.StateDead || j.Attempts != 3 || !strings.Contains(j.LastError, "handler panicked: kaboom") {
		t.Errorf("panicking job = %+v, want dead after 3 attempts with the panic", j)
	}
	if j := get(permanent); j.State != job.StateDead || j.Attempts != 1 || !strings.Contains(j.LastError, "bad address") {
		t.Errorf("permanently failing job = %+v, want dead after 1 attempt", j)
	}
	if j := get(slow); j.State != job.StateDead || !strings.Contains(j.LastError, "timed out after 100ms") {
		t.Errorf("slow job = %+v, want dead with a timeout", j)
	}
	if !<-deadlineSeen {
		t.Error("the handler's context had no deadline")
	}
	if j := get(flakyID); j.State != job.StateCompleted || j.Attempts != 2 || string(j.Result) != `{"attempt":2}` || j.LastError != "try again" {
		t.Errorf("flaky job = %+v, want completed on attempt 2", j)
	}
	if j := get(sp.ID); j.State != job.StateDead || !strings.Contains(j.LastError, `no handler for job type "ghost"`) {
		t.Errorf("job without a handler = %+v", j)
	}

	waitFor(t, "the events", 10*time.Second, func() bool { return in.events.Count("jobs.dead_lettered") == 4 })
	failed := in.events.Named("jobs.failed")
	retries := 0
	for _, e := range failed {
		if f := e.(job.Failed); f.WillRetry {
			retries++
			if f.RetryAt.IsZero() {
				t.Errorf("retrying failure without a retry time: %+v", f)
			}
		}
	}
	// panics: 2 retries + dead; permanent: dead; slow: dead; flaky: 1 retry; ghost: dead.
	if len(failed) != 7 || retries != 3 {
		t.Errorf("jobs.failed: %d events (%d retrying), want 7 (3 retrying)", len(failed), retries)
	}
	var dl job.DeadLettered
	for _, e := range in.events.Named("jobs.dead_lettered") {
		if d := e.(job.DeadLettered); d.JobID == panics {
			dl = d
		}
	}
	if dl.Type != "panics" || dl.Attempts != 3 || !strings.Contains(dl.Error, "kaboom") || dl.Queue != "default" {
		t.Errorf("jobs.dead_lettered of the panicking job = %+v", dl)
	}
	if c := in.events.Named("jobs.completed"); len(c) != 1 || c[0].(job.Completed).JobID != flakyID || c[0].(job.Completed).Attempt != 2 {
		t.Errorf("jobs.completed = %+v", c)
	}
}

// TestGracefulShutdown: a stop lets a job that finishes within the grace complete, returns a job still
// running after it to the queue (its attempt not counted) and cancels its context; another worker then
// runs it.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	started := make(chan string, 2)
	cancelled := make(chan error, 1)
	handlers := []ports.JobHandler{
		{Type: "quick", Handle: func(ctx context.Context, j job.Job) ([]byte, error) {
			started <- "quick"
			time.Sleep(50 * time.Millisecond)
			return []byte(`"done"`), nil
		}},
		{Type: "stuck", Handle: func(ctx context.Context, j job.Job) ([]byte, error) {
			started <- "stuck"
			<-ctx.Done()
			cancelled <- context.Cause(ctx)
			return nil, ctx.Err()
		}},
	}
	cfg := testConfig(2)
	cfg.ShutdownGrace = 300 * time.Millisecond
	in := newInstance(t, tg, cfg, handlers)
	if err := in.rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc := newService(t, in.store, handlers)
	ctx := context.Background()
	stuck, err := svc.Enqueue(ctx, job.NewJob{Type: "stuck"})
	if err != nil {
		t.Fatal(err)
	}
	quick, err := svc.Enqueue(ctx, job.NewJob{Type: "quick"})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	<-started
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := in.rt.Stop(stopCtx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("the stuck handler's context ended with %v, want cancellation", err)
	}
	if j, _ := svc.Get(ctx, "default", quick.ID); j.State != job.StateCompleted || string(j.Result) != `"done"` {
		t.Errorf("job that finished within the grace = %+v, want completed", j)
	}
	j, _ := svc.Get(ctx, "default", stuck.ID)
	if j.State != job.StatePending || j.Attempts != 0 {
		t.Fatalf("job still running at the end of the grace = %+v, want pending with no attempt counted", j)
	}
	// Another worker runs it.
	done := []ports.JobHandler{{Type: "stuck", Handle: func(context.Context, job.Job) ([]byte, error) { return nil, nil }},
		{Type: "quick", Handle: func(context.Context, job.Job) ([]byte, error) { return nil, nil }}}
	other := newInstance(t, tg, testConfig(1), done)
	other.start(t)
	waitFor(t, "the returned job to complete elsewhere", 10*time.Second, func() bool {
		j, err := svc.Get(ctx, "default", stuck.ID)
		return err == nil && j.State == job.StateCompleted && j.Attempts == 1
	})
}

// TestLeaseExtendedWhileRunning: a job running for three leases is extended by its worker and never handed
// to the other worker polling the same queue; it runs once.
func TestLeaseExtendedWhileRunning(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	var runs atomic.Int32
	h := []ports.JobHandler{{Type: "long", Handle: func(ctx context.Context, j job.Job) ([]byte, error) {
		runs.Add(1)
		select {
		case <-time.After(6 * time.Second):
			return nil, nil
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}}}
	cfg := testConfig(2)
	cfg.Lease = 2 * time.Second // long enough that a busy machine cannot stall a renewal past it
	a, b := newInstance(t, tg, cfg, h), newInstance(t, tg, cfg, h)
	a.start(t)
	b.start(t)
	svc := newService(t, a.store, h)
	e, err := svc.Enqueue(context.Background(), job.NewJob{Type: "long"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the long job to complete", 20*time.Second, func() bool {
		j, err := svc.Get(context.Background(), "default", e.ID)
		return err == nil && j.State == job.StateCompleted
	})
	j, _ := svc.Get(context.Background(), "default", e.ID)
	if n := runs.Load(); n != 1 || j.Attempts != 1 {
		t.Errorf("the long job ran %d times with %d attempts, want once", n, j.Attempts)
	}
}

// TestQueueWeights: with strict priority the heavier queue is drained first; with weights 9:1 both queues are
// served, the heavier one far more often.
func TestQueueWeights(t *testing.T) {
	t.Parallel()
	for _, strict := range []bool{true, false} {
		tg := harness.Standalone(t)
		var (
			mu    sync.Mutex
			order []string
		)
		h := []ports.JobHandler{{Type: "w", Handle: func(_ context.Context, j job.Job) ([]byte, error) {
			mu.Lock()
			order = append(order, j.Queue)
			mu.Unlock()
			return nil, nil
		}}}
		cfg := testConfig(1)
		cfg.Queues = []jobapp.QueueWeight{{Name: "low", Weight: 1}, {Name: "high", Weight: 9}}
		cfg.StrictPriority = strict
		in := newInstance(t, tg, cfg, h)
		svc := newService(t, in.store, h)
		const per = 150
		for _, q := range []string{"low", "high"} {
			batch := make([]job.NewJob, per)
			for i := range batch {
				batch[i] = job.NewJob{Type: "w", Queue: q}
			}
			if _, err := svc.EnqueueBatch(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
		}
		in.start(t)
		waitFor(t, "both queues to drain", 30*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(order) == 2*per
		})
		mu.Lock()
		high := 0
		for _, q := range order[:per] {
			if q == "high" {
				high++
			}
		}
		mu.Unlock()
		if strict && high != per {
			t.Errorf("strict priority: %d of the first %d jobs from the heavy queue, want all", high, per)
		}
		if !strict && (high < per*6/10 || high == per) {
			t.Errorf("weights 9:1: %d of the first %d jobs from the heavy queue, want most but not all", high, per)
		}
	}
}

// TestRetentionJanitorDeletesData: completed jobs past a short retention are removed, data and all, by the
// runtime's janitor without any further job activity.
func TestRetentionJanitorDeletesData(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	h := []ports.JobHandler{{Type: "r", Handle: func(context.Context, job.Job) ([]byte, error) { return []byte(`1`), nil }}}
	cfg := testConfig(2)
	cfg.Retention = job.Retention{Completed: time.Second, CompletedMax: 100, Dead: time.Hour, DeadMax: 100}
	in := newInstance(t, tg, cfg, h)
	in.start(t)
	svc := newService(t, in.store, h)
	e, err := svc.Enqueue(context.Background(), job.NewJob{Type: "r"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the job to complete", 10*time.Second, func() bool {
		j, err := svc.Get(context.Background(), "default", e.ID)
		return err == nil && j.State == job.StateCompleted
	})
	waitFor(t, "the janitor to remove the job", 10*time.Second, func() bool {
		_, err := svc.Get(context.Background(), "default", e.ID)
		return errors.Is(err, job.ErrNotFound)
	})
	keys, err := tg.Client.Keys(context.Background(), tg.Prefix+":job:{default}:j:*").Result()
	if err != nil || len(keys) != 0 {
		t.Errorf("job hashes left: %v, %v", keys, err)
	}
}
