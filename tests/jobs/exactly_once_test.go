package jobs

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

// TestExactlyOnceAcrossPools: 20,000 jobs, enqueued by 8 producers while two worker pools of 8 workers each
// process them, every job runs exactly once and is recorded completed, and the totals add up.
func TestExactlyOnceAcrossPools(t *testing.T) {
	t.Parallel()
	const jobs, producers, pools, perPool = 20_000, 8, 2, 8
	tg := harness.Standalone(t)
	var (
		runs  sync.Map // job id -> *atomic.Int32
		total atomic.Int64
	)
	handler := ports.JobHandler{Type: "count", Handle: func(_ context.Context, j job.Job) ([]byte, error) {
		n, _ := runs.LoadOrStore(j.ID, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		total.Add(1)
		return nil, nil
	}}
	// The claim here is that concurrent leasing never hands one job to two workers. A lease lost to a stalled
	// machine (a run past its lease runs again, by design) is crash_test.go's subject, so leases here are
	// long enough that a busy CI machine under -race cannot stall a worker past one.
	cfg := testConfig(perPool)
	cfg.Lease = 15 * time.Second
	var pool []instance
	for range pools {
		in := newInstance(t, tg, cfg, []ports.JobHandler{handler})
		in.start(t)
		pool = append(pool, in)
	}
	svc := newService(t, pool[0].store, []ports.JobHandler{handler})

	var (
		mu  sync.Mutex
		ids = make(map[string]bool, jobs)
		wg  sync.WaitGroup
	)
	for p := range producers {
		wg.Go(func() {
			batch := make([]job.NewJob, 0, 100)
			for i := p; i < jobs; i += producers {
				batch = append(batch, job.NewJob{Type: "count", Payload: []byte(fmt.Sprintf(`{"i":%d}`, i))})
				if len(batch) == cap(batch) || i+producers >= jobs {
					res, err := svc.EnqueueBatch(context.Background(), batch)
					if err != nil {
						t.Errorf("EnqueueBatch: %v", err)
						return
					}
					mu.Lock()
					for _, r := range res {
						ids[r.ID] = true
					}
					mu.Unlock()
					batch = batch[:0]
				}
			}
		})
	}
	wg.Wait()
	if len(ids) != jobs {
		t.Fatalf("enqueued %d distinct ids, want %d", len(ids), jobs)
	}
	waitFor(t, "every job to complete", 60*time.Second, func() bool {
		s, err := svc.Stats(context.Background(), "default")
		return err == nil && s.Processed == jobs
	})
	s, err := svc.Stats(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	if s.Pending != 0 || s.Active != 0 || s.Retry != 0 || s.Dead != 0 || s.Completed != jobs || s.Failed != 0 {
		t.Errorf("stats = %+v, want %d completed and nothing else", s, jobs)
	}
	if got := total.Load(); got != jobs {
		t.Errorf("handlers ran %d times, want %d", got, jobs)
	}
	seen := 0
	runs.Range(func(k, v any) bool {
		seen++
		if !ids[k.(string)] {
			t.Errorf("ran unknown job %v", k)
		}
		if n := v.(*atomic.Int32).Load(); n != 1 {
			t.Errorf("job %v ran %d times", k, n)
		}
		return true
	})
	if seen != jobs {
		t.Errorf("%d distinct jobs ran, want %d", seen, jobs)
	}
	events := pool[0].events.Count("jobs.completed") + pool[1].events.Count("jobs.completed")
	if events != jobs {
		t.Errorf("jobs.completed published %d times, want %d", events, jobs)
	}
	for i, in := range pool {
		t.Logf("pool %d completed %d", i, in.events.Count("jobs.completed"))
	}
}
