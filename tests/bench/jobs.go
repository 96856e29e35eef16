package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/jobcron"
	"github.com/statekit/statekit/adapters/redis/jobredis"
	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// The jobs scenarios, statekit's job queue (Service for enqueue, Runtime for processing) against
// hibiken/asynq v0.26 on the same redis-server, alternating A B A B for Rounds rounds on a flushed keyspace:
//
// Throughput scenarios alternate for 5 rounds (jobsRounds), latency ones for Rounds.
//
//	jobs-enqueue                16 goroutines enqueue single jobs                       (jobs/s)
//	jobs-process                20,000 no-op jobs enqueued, then processed at concurrency 16, each verified
//	                            to run exactly once                                      (jobs/s)
//	jobs-pickup                 enqueue -> handler start with idle workers; statekit= and peer_ops= are
//	                            1e6/p50_us (pickups per second of latency), so ratio = peer p50 / our p50;
//	                            asynq with its default 1 s TaskCheckInterval
//	jobs-pickup-asynq-10ms      the same against asynq tuned to a 10 ms TaskCheckInterval
//	jobs-memory-pending         Redis bytes per pending job (INFO used_memory delta over 10,000 jobs); here
//	                            statekit= and peer_ops= are bytes per job, lower is better
//
// Both sides delete a job when it completes (statekit: completed retention 0, the default of asynq) and
// neither publishes per-job events (statekit: STATEKIT_JOBS_COMPLETED_EVENTS=false; asynq has none), so the
// work compared is the same. jobs-process-events adds statekit with jobs.completed published for every
// job (to an in-process publisher) and the default retention (completed jobs kept 1 h), for reference.
func init() { scenarios["jobs"] = runJobs }

const (
	jobsConc        = 16
	jobsEnqueueN    = 40_000
	jobsProcessN    = 20_000
	jobsPickupN     = 400
	jobsPickupGap   = 10 * time.Millisecond
	jobsMemN        = 10_000
	jobsType        = "bench.noop"
	jobsQueue       = "default"
	jobsBenchPrefix = "bench"
	jobsTimeout     = 5 * time.Minute
)

func runJobs() error {
	srv, err := StartRedis()
	if err != nil {
		return err
	}
	defer srv.Stop()
	c := srv.Client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), jobsTimeout)
	defer cancel()

	ours, peer, err := jobsAlternate(srv.Flush,
		func() (float64, error) { return jobsEnqueueOurs(ctx, c) },
		func() (float64, error) { return jobsEnqueuePeer(c) })
	if err != nil {
		return Fail("jobs-enqueue", err)
	}
	Line("jobs-enqueue", jobsConc, ours, "asynq", peer)

	ours, peer, err = jobsAlternate(srv.Flush,
		func() (float64, error) { return jobsProcessOurs(ctx, c, false) },
		func() (float64, error) { return jobsProcessPeer(c) })
	if err != nil {
		return Fail("jobs-process", err)
	}
	Line("jobs-process", jobsConc, ours, "asynq", peer)

	ours, err = jobsMedian(srv.Flush, func() (float64, error) { return jobsProcessOurs(ctx, c, true) })
	if err != nil {
		return Fail("jobs-process-events", err)
	}
	Line("jobs-process-events", jobsConc, ours, "asynq", peer)

	for _, p := range []struct {
		name     string
		interval time.Duration
	}{{"jobs-pickup", 0}, {"jobs-pickup-asynq-10ms", 10 * time.Millisecond}} {
		o50, o99, p50, p99, err := jobsPickup(ctx, srv, c, p.interval)
		if err != nil {
			return Fail(p.name, err)
		}
		Line(p.name, 1, 1e6/o50, "asynq", 1e6/p50, fmt.Sprintf("p50_us=%.0f", o50), fmt.Sprintf("p99_us=%.0f", o99),
			fmt.Sprintf("peer_p50_us=%.0f", p50), fmt.Sprintf("peer_p99_us=%.0f", p99))
	}

	memOurs, memPeer, err := jobsMemory(ctx, srv, c)
	if err != nil {
		return Fail("jobs-memory-pending", err)
	}
	Line("jobs-memory-pending", 1, memOurs, "asynq", memPeer, "unit=bytes_per_pending_job")
	return nil
}

// jobsRounds is how many times each side of the throughput scenarios runs: more than the kit's Rounds,
// because on a shared 2-core machine single rounds swing by 2x.
const jobsRounds = 5

// jobsAlternate runs ours and peer in turn, jobsRounds times each, each on a fresh keyspace, and returns the
// median of each side.
func jobsAlternate(reset func() error, ours, peer func() (float64, error)) (float64, float64, error) {
	var a, b []float64
	for range jobsRounds {
		for _, side := range []struct {
			run func() (float64, error)
			out *[]float64
		}{{ours, &a}, {peer, &b}} {
			if err := reset(); err != nil {
				return 0, 0, err
			}
			v, err := side.run()
			if err != nil {
				return 0, 0, err
			}
			*side.out = append(*side.out, v)
		}
	}
	return Median(a), Median(b), nil
}

// jobsMedian runs one side Rounds times on a fresh keyspace and returns the median.
func jobsMedian(reset func() error, run func() (float64, error)) (float64, error) {
	var xs []float64
	for range Rounds {
		if err := reset(); err != nil {
			return 0, err
		}
		v, err := run()
		if err != nil {
			return 0, err
		}
		xs = append(xs, v)
	}
	return Median(xs), nil
}

// jobsNopPublisher stands in for the event bus.
type jobsNopPublisher struct{ n atomic.Int64 }

func (p *jobsNopPublisher) Publish(_ context.Context, events ...ports.Event) error {
	p.n.Add(int64(len(events)))
	return nil
}

func jobsNop(context.Context, job.Job) ([]byte, error) { return nil, nil }

func jobsConfig(events bool) jobapp.Config {
	cfg := jobapp.DefaultConfig()
	cfg.Concurrency = jobsConc
	cfg.Queues = []jobapp.QueueWeight{{Name: jobsQueue, Weight: 1}}
	cfg.CompletedEvents = events
	if !events {
		cfg.Retention.Completed = 0
	}
	return cfg
}

func jobsService(c redis.UniversalClient, handler ports.JobHandler) (*jobapp.Service, *jobredis.Store, error) {
	store := jobredis.New(c, jobsBenchPrefix, nil)
	svc, err := jobapp.NewService(store, []ports.JobHandler{handler}, jobsConfig(false))
	return svc, store, err
}

func jobsEnqueueOurs(ctx context.Context, c redis.UniversalClient) (float64, error) {
	svc, _, err := jobsService(c, ports.JobHandler{Type: jobsType, Handle: jobsNop})
	if err != nil {
		return 0, err
	}
	var failed atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for g := range jobsConc {
		wg.Go(func() {
			for i := g; i < jobsEnqueueN; i += jobsConc {
				if _, err := svc.Enqueue(ctx, job.NewJob{Type: jobsType, Payload: jobsPayload(i)}); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		return 0, err
	}
	s, err := svc.Stats(ctx, jobsQueue)
	if err != nil {
		return 0, err
	}
	if s.Pending != jobsEnqueueN {
		return 0, fmt.Errorf("statekit: %d pending after enqueueing %d", s.Pending, jobsEnqueueN)
	}
	return jobsEnqueueN / elapsed.Seconds(), nil
}

func jobsEnqueuePeer(c redis.UniversalClient) (float64, error) {
	client := asynq.NewClientFromRedisClient(c)
	var failed atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for g := range jobsConc {
		wg.Go(func() {
			for i := g; i < jobsEnqueueN; i += jobsConc {
				if _, err := client.Enqueue(asynq.NewTask(jobsType, jobsPayload(i)), asynq.Queue(jobsQueue)); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		return 0, err
	}
	info, err := asynq.NewInspectorFromRedisClient(c).GetQueueInfo(jobsQueue)
	if err != nil {
		return 0, err
	}
	if info.Pending != jobsEnqueueN {
		return 0, fmt.Errorf("asynq: %d pending after enqueueing %d", info.Pending, jobsEnqueueN)
	}
	return jobsEnqueueN / elapsed.Seconds(), nil
}

func jobsPayload(i int) []byte { return []byte(`{"i":` + strconv.Itoa(i) + `}`) }

func jobsIndex(payload []byte) (int, error) {
	var p struct {
		I *int `json:"i"`
	}
	if err := json.Unmarshal(payload, &p); err != nil || p.I == nil {
		return 0, fmt.Errorf("payload %q has no index", payload)
	}
	return *p.I, nil
}

// jobsCounter records how often each job index ran and signals when n distinct runs happened.
type jobsCounter struct {
	runs  []atomic.Int32
	total atomic.Int64
	n     int64
	done  chan struct{}
	bad   atomic.Value
}

func newJobsCounter(n int) *jobsCounter {
	return &jobsCounter{runs: make([]atomic.Int32, n), n: int64(n), done: make(chan struct{})}
}

func (c *jobsCounter) ran(payload []byte) {
	i, err := jobsIndex(payload)
	if err != nil || i < 0 || i >= len(c.runs) {
		c.bad.Store(fmt.Errorf("unexpected job payload %q", payload))
		return
	}
	c.runs[i].Add(1)
	if c.total.Add(1) == c.n {
		close(c.done)
	}
}

// verify checks every job ran exactly once.
func (c *jobsCounter) verify(who string) error {
	if err, _ := c.bad.Load().(error); err != nil {
		return err
	}
	for i := range c.runs {
		if n := c.runs[i].Load(); n != 1 {
			return fmt.Errorf("%s: job %d ran %d times", who, i, n)
		}
	}
	return nil
}

func (c *jobsCounter) wait(ctx context.Context) error {
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%d of %d jobs ran before the time limit", c.total.Load(), c.n)
	}
}

func jobsProcessOurs(ctx context.Context, c redis.UniversalClient, events bool) (float64, error) {
	cnt := newJobsCounter(jobsProcessN)
	handler := ports.JobHandler{Type: jobsType, Handle: func(_ context.Context, j job.Job) ([]byte, error) {
		cnt.ran(j.Payload)
		return nil, nil
	}}
	svc, store, err := jobsService(c, handler)
	if err != nil {
		return 0, err
	}
	for from := 0; from < jobsProcessN; from += job.MaxBatch {
		batch := make([]job.NewJob, 0, job.MaxBatch)
		for i := from; i < min(from+job.MaxBatch, jobsProcessN); i++ {
			batch = append(batch, job.NewJob{Type: jobsType, Payload: jobsPayload(i)})
		}
		if _, err := svc.EnqueueBatch(ctx, batch); err != nil {
			return 0, err
		}
	}
	pub := &jobsNopPublisher{}
	rt, err := jobapp.NewRuntime(jobsConfig(events), store, store, pub, nil, jobcron.New(),
		slog.New(slog.DiscardHandler), []ports.JobHandler{handler}, nil)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := rt.Start(ctx); err != nil {
		return 0, err
	}
	werr := cnt.wait(ctx)
	elapsed := time.Since(start)
	if err := rt.Stop(ctx); err != nil {
		return 0, err
	}
	if werr != nil {
		return 0, fmt.Errorf("statekit: %w", werr)
	}
	if err := cnt.verify("statekit"); err != nil {
		return 0, err
	}
	s, err := svc.Stats(ctx, jobsQueue)
	if err != nil {
		return 0, err
	}
	if s.Processed != jobsProcessN || s.Pending != 0 || s.Active != 0 || s.Failed != 0 {
		return 0, fmt.Errorf("statekit: stats after the run %+v", s)
	}
	if events && pub.n.Load() != jobsProcessN {
		return 0, fmt.Errorf("statekit: %d jobs.completed events for %d jobs", pub.n.Load(), jobsProcessN)
	}
	return jobsProcessN / elapsed.Seconds(), nil
}

func jobsProcessPeer(c redis.UniversalClient) (float64, error) {
	client := asynq.NewClientFromRedisClient(c)
	var wg sync.WaitGroup
	var failed atomic.Value
	for g := range jobsConc {
		wg.Go(func() {
			for i := g; i < jobsProcessN; i += jobsConc {
				if _, err := client.Enqueue(asynq.NewTask(jobsType, jobsPayload(i)), asynq.Queue(jobsQueue)); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return 0, err
	}
	cnt := newJobsCounter(jobsProcessN)
	srv := asynq.NewServerFromRedisClient(c, asynq.Config{
		Concurrency: jobsConc, Queues: map[string]int{jobsQueue: 1}, Logger: jobsQuietLogger{}, LogLevel: asynq.FatalLevel,
	})
	mux := asynq.HandlerFunc(func(_ context.Context, t *asynq.Task) error {
		cnt.ran(t.Payload())
		return nil
	})
	start := time.Now()
	if err := srv.Start(mux); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), jobsTimeout)
	defer cancel()
	werr := cnt.wait(ctx)
	elapsed := time.Since(start)
	srv.Shutdown()
	if werr != nil {
		return 0, fmt.Errorf("asynq: %w", werr)
	}
	if err := cnt.verify("asynq"); err != nil {
		return 0, err
	}
	return jobsProcessN / elapsed.Seconds(), nil
}

// jobsQuietLogger keeps asynq's start and stop messages off the bench's output.
type jobsQuietLogger struct{}

func (jobsQuietLogger) Debug(...any) {}
func (jobsQuietLogger) Info(...any)  {}
func (jobsQuietLogger) Warn(...any)  {}
func (jobsQuietLogger) Error(...any) {}
func (jobsQuietLogger) Fatal(...any) {}
