package jobapp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// Runtime is the worker runtime of one process. It leases jobs from its queues whenever a worker is free
// (woken by the store as soon as a job is ready, and by a timer at the earliest due time: no polling
// delay), runs each with a context carrying its deadline, extends leases while handlers run, settles
// finished runs in batches (one round trip settles and leases together), publishes job events, trims
// finished jobs past retention, and enqueues periodic jobs.
type Runtime struct {
	cfg      Config
	broker   ports.JobBroker
	queue    ports.JobQueue
	events   ports.EventPublisher
	metrics  ports.JobMetrics
	log      *slog.Logger
	handlers map[string]ports.JobHandler
	periodic []periodicEntry
	worker   string
	inbox    string // this runtime's inbox id: jobs are handed to it while it is idle

	// Set by Start.
	runCtx     context.Context // parent of every handler context; cancelled when the runtime gives up on them
	cancelRun  context.CancelFunc
	bgCtx      context.Context // background calls (waits, extensions, trims); cancelled at stop
	cancelBg   context.CancelFunc
	stopping   chan struct{} // closed when a stop begins: lease nothing more
	abandon    chan struct{} // closed when the stop stops waiting for handlers
	loopDone   chan struct{}
	results    chan result
	work       chan *running
	wakes      chan wakeMsg
	notes      *notifier
	bg         sync.WaitGroup // lease keeper, janitor, periodic scheduler
	workers    sync.WaitGroup
	startOnce  sync.Once
	stopOnce   sync.Once
	mu         sync.Mutex
	running    map[string]*running // by job id
	free       atomic.Int64        // workers free: reserved by exchanges, taken by hand-offs, returned by runs
	workMu     sync.Mutex          // guards closing work against a waker starting a handed-over job
	workClosed bool
	quiet      chan struct{} // closed (and replaced) when running becomes empty
	stoppedErr error
}

// NewRuntime returns a runtime for the handlers and periodic jobs (registered in code; cfg.Periodic adds
// those from configuration). metrics may be nil. It fails on a bad configuration, two handlers of one type,
// or a periodic job whose schedule does not parse or whose type has no handler.
func NewRuntime(cfg Config, broker ports.JobBroker, queue ports.JobQueue, events ports.EventPublisher,
	metrics ports.JobMetrics, cron ports.CronParser, log *slog.Logger, handlers []ports.JobHandler,
	periodic []job.Periodic) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	byType, err := handlerMap(handlers)
	if err != nil {
		return nil, err
	}
	if metrics == nil {
		metrics = nopMetrics{}
	}
	r := &Runtime{cfg: cfg, broker: broker, queue: queue, events: events, metrics: metrics,
		log: log.With("component", "jobs"), handlers: byType, worker: cfg.WorkerName,
		running: map[string]*running{}, quiet: make(chan struct{})}
	if r.worker == "" {
		r.worker = workerName()
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	r.inbox = hex.EncodeToString(b[:])
	r.periodic, err = r.schedules(append(append([]job.Periodic(nil), periodic...), cfg.Periodic...), cron)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Worker returns the name this runtime's runs carry.
func (r *Runtime) Worker() string { return r.worker }

func workerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "worker"
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Start registers the queues and starts the dispatcher, the workers, the lease keeper, the retention janitor
// and the periodic scheduler; it returns at once.
func (r *Runtime) Start(ctx context.Context) error {
	names := make([]string, len(r.cfg.Queues))
	for i, q := range r.cfg.Queues {
		names[i] = q.Name
	}
	if err := r.broker.Register(ctx, names); err != nil {
		return fmt.Errorf("jobs runtime: %w", err)
	}
	r.startOnce.Do(func() {
		r.runCtx, r.cancelRun = context.WithCancel(context.Background())
		r.bgCtx, r.cancelBg = context.WithCancel(context.Background())
		r.stopping, r.abandon, r.loopDone = make(chan struct{}), make(chan struct{}), make(chan struct{})
		r.results = make(chan result, r.cfg.Concurrency)
		r.work = make(chan *running, r.cfg.Concurrency)
		r.wakes = make(chan wakeMsg, len(r.cfg.Queues))
		r.notes = newNotifier(r.events, r.log)
		for range r.cfg.Concurrency {
			r.workers.Go(r.workLoop)
		}
		d := newDispatcher(r)
		for _, q := range d.queues {
			// Not in bg: Stop does not wait for a blocked BLPOP (go-redis cannot interrupt it); a waker ends
			// when its wait returns, within waitTimeout, or when the client closes.
			go r.waker(q)
		}
		r.bg.Go(r.leaseKeeper)
		r.bg.Go(r.janitor)
		if len(r.periodic) > 0 {
			r.bg.Go(r.scheduler)
		}
		go d.run()
		r.log.Debug("jobs runtime started", "worker", r.worker, "concurrency", r.cfg.Concurrency, "queues", names)
	})
	return nil
}

// Stop shuts the runtime down gracefully: it leases nothing more, waits up to ShutdownGrace (and ctx) for
// running handlers, returns the jobs of those still running to the queue (their attempt not counted) and
// cancels their contexts, settles what finished, and flushes pending events. It returns ctx's error if ctx
// ran out first.
func (r *Runtime) Stop(ctx context.Context) error {
	if r.stopping == nil {
		return nil
	}
	r.stopOnce.Do(func() { r.stoppedErr = r.stop(ctx) })
	return r.stoppedErr
}

func (r *Runtime) stop(ctx context.Context) error {
	close(r.stopping)
	r.cancelBg() // ends waits; the lease keeper keeps leases alive until the handlers are dealt with
	var errs []error
	// No more jobs handed over; those handed over but not taken go back to their queue.
	unCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	for _, q := range r.cfg.Queues {
		if _, err := r.broker.Unregister(unCtx, q.Name, r.inbox); err != nil {
			errs = append(errs, fmt.Errorf("unregister from queue %s: %w", q.Name, err))
		}
	}
	cancel()
	grace := time.NewTimer(r.cfg.ShutdownGrace)
	defer grace.Stop()
	select {
	case <-r.allQuiet():
	case <-grace.C:
	case <-ctx.Done():
	}
	if left := r.snapshot(); len(left) > 0 {
		// Handlers still running past the grace: give their jobs back (a worker elsewhere, or this one after
		// a restart, runs them again) and tell them to stop. Their late outcomes are refused by the store.
		relCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		for q, leases := range byQueue(left) {
			if err := r.broker.Release(relCtx, q, leases); err != nil {
				errs = append(errs, fmt.Errorf("return running jobs of queue %s: %w", q, err))
			}
		}
		cancel()
		r.log.Warn("jobs still running at shutdown were returned to their queue", "jobs", len(left))
		close(r.abandon)
		r.cancelRun()
	}
	// With every handler done, the dispatcher settles the last runs and ends by itself.
	select {
	case <-r.loopDone:
		r.workMu.Lock()
		r.workClosed = true
		close(r.work)
		r.workMu.Unlock()
	case <-ctx.Done():
	}
	if !closed(r.abandon) {
		close(r.abandon)
	}
	r.cancelRun()
	r.bg.Wait()
	if err := r.notes.close(ctx); err != nil {
		errs = append(errs, err)
	}
	if ctx.Err() != nil {
		errs = append(errs, fmt.Errorf("jobs runtime stop: %w", ctx.Err()))
	}
	return errors.Join(errs...)
}

// running is a job a worker runs now.
type running struct {
	job    job.Leased
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// result is a finished run on its way to the dispatcher.
type result struct {
	run    *running
	settle job.Settle
}

func (r *Runtime) track(rn *running) {
	r.mu.Lock()
	r.running[rn.job.ID] = rn
	r.mu.Unlock()
}

func (r *Runtime) untrack(rn *running) {
	r.mu.Lock()
	if r.running[rn.job.ID] == rn {
		delete(r.running, rn.job.ID)
	}
	if len(r.running) == 0 {
		close(r.quiet)
		r.quiet = make(chan struct{})
	}
	r.mu.Unlock()
}

func (r *Runtime) isRunning(rn *running) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[rn.job.ID] == rn
}

// allQuiet returns a channel closed once no handler runs.
func (r *Runtime) allQuiet() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.running) == 0 {
		c := make(chan struct{})
		close(c)
		return c
	}
	return r.quiet
}

// snapshot returns the jobs running now.
func (r *Runtime) snapshot() []*running {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*running, 0, len(r.running))
	for _, rn := range r.running {
		out = append(out, rn)
	}
	return out
}

func byQueue(list []*running) map[string][]job.Lease {
	out := map[string][]job.Lease{}
	for _, rn := range list {
		out[rn.job.Queue] = append(out[rn.job.Queue], rn.job.Lease())
	}
	return out
}

// takeSlot takes a free worker for a job handed over by the store; false when none is free.
func (r *Runtime) takeSlot() bool {
	for {
		n := r.free.Load()
		if n <= 0 {
			return false
		}
		if r.free.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// sleep waits d or until the runtime stops; it reports whether d passed.
func (r *Runtime) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.bgCtx.Done():
		return false
	}
}

type nopMetrics struct{}

func (nopMetrics) Started(string, string, time.Duration) {}
func (nopMetrics) Ran(string, string, time.Duration)     {}
func (nopMetrics) Settled(string, string, job.Outcome)   {}
