package ports

//go:generate go tool mockgen -source=jobs.go -destination=mocks/jobs.go -package=mocks

import (
	"context"
	"time"

	"github.com/statekit/statekit/domain/job"
)

// JobQueue is the producer's and the operator's view of the job store: enqueue, inspect, administer. Every
// method is atomic; each states its round trips in the implementation.
type JobQueue interface {
	// Enqueue stores jobs of one queue (every spec's Queue is queue) and wakes an idle worker. A job whose
	// unique key a live job holds is not stored: its Enqueued carries a *job.DuplicateError.
	Enqueue(ctx context.Context, queue string, specs []job.Spec) ([]job.Enqueued, error)
	// EnqueuePeriodic stores the job of one tick of a periodic schedule (spec.Periodic and spec.Tick set)
	// unless that tick, or a later one, was already claimed; ok reports whether this call enqueued it. A tick
	// still in the future on the store's clock makes a job scheduled for the tick.
	EnqueuePeriodic(ctx context.Context, spec job.Spec) (e job.Enqueued, ok bool, err error)
	// Queues lists the queues that were ever used, sorted.
	Queues(ctx context.Context) ([]string, error)
	// Stats counts a queue's jobs by state, with throughput.
	Stats(ctx context.Context, queue string) (job.QueueStats, error)
	// List returns up to limit jobs in a state from offset on, and how many are in that state. Pending jobs
	// come in the order they will run; scheduled and retrying by due time; active by lease expiry; dead and
	// completed newest first.
	List(ctx context.Context, queue string, state job.State, offset, limit int) ([]job.Job, int64, error)
	// Get returns one job; job.ErrNotFound when there is none.
	Get(ctx context.Context, queue, id string) (job.Job, error)
	// RunNow makes a dead, retrying or scheduled job pending at once (a dead job gets its retries back);
	// job.ErrState for a job in another state.
	RunNow(ctx context.Context, queue, id string) error
	// Delete removes a job that is not running, with its data; job.ErrState for an active job.
	Delete(ctx context.Context, queue, id string) error
	// SetPaused pauses (workers lease nothing from the queue) or resumes a queue.
	SetPaused(ctx context.Context, queue string, paused bool) error
	// PurgeDead removes every dead job of a queue with its data and returns how many.
	PurgeDead(ctx context.Context, queue string) (int64, error)
}

// JobBroker is the worker's view of the job store: lease jobs, report runs, keep leases alive, wait for work.
type JobBroker interface {
	// Exchange settles finished runs, returns expired leases to the queue, makes due scheduled and retrying
	// jobs pending, and leases up to x.Want pending jobs (highest priority first), all in one atomic step.
	Exchange(ctx context.Context, queue string, x job.Exchange) (job.ExchangeResult, error)
	// Extend pushes the leases of running jobs lease further out (never past their timeout plus grace) and
	// returns those the worker no longer holds.
	Extend(ctx context.Context, queue string, leases []job.Lease, lease, grace time.Duration) ([]job.Lease, error)
	// Release returns running jobs to the front of the queue without counting the attempt (graceful
	// shutdown).
	Release(ctx context.Context, queue string, leases []job.Lease) error
	// Wait blocks until a job is handed to the worker's inbox (see job.Exchange.Inbox), the queue signals
	// that work may be ready, or timeout passes.
	Wait(ctx context.Context, queue, inbox string, timeout time.Duration) (job.Wakeup, error)
	// Unregister ends the worker's idle registration on the queue and returns jobs handed to its inbox but
	// never taken to the queue, their attempt not counted; it reports how many.
	Unregister(ctx context.Context, queue, inbox string) (int, error)
	// Wake signals one waiting worker of the queue.
	Wake(ctx context.Context, queue string) error
	// Trim removes completed and dead jobs past the retention, with their data, and returns how many.
	Trim(ctx context.Context, queue string, r job.Retention) (int64, error)
	// Register records queues in the registry Queues lists.
	Register(ctx context.Context, queues []string) error
}

// JobHandler runs the jobs of one type. Delivery is at least once: a job whose worker dies mid-run runs
// again, so Handle must be idempotent.
type JobHandler struct {
	// Type is the job type it handles; one handler per type.
	Type string
	// Handle runs one job. ctx carries the job's deadline and is cancelled at shutdown or when the lease is
	// lost (context.Cause tells which). It returns an optional JSON result, kept with a completed job, or an
	// error: retried with backoff unless wrapped with job.NoRetry. A panic is a failure.
	Handle func(ctx context.Context, j job.Job) ([]byte, error)
	// Validate, when set, checks a payload at enqueue time; its error refuses the job as invalid payload.
	Validate func(payload []byte) error
}

// CronParser turns a cron expression into a schedule.
type CronParser interface {
	Parse(spec string) (job.Schedule, error)
}

// JobMetrics records what workers do.
type JobMetrics interface {
	// Started records a run's start and how long the job waited from ready to start.
	Started(queue, jobType string, pickup time.Duration)
	// Ran records how long a handler ran.
	Ran(queue, jobType string, took time.Duration)
	// Settled records what the store made of a run (completed, retry, dead, expired, stale).
	Settled(queue, jobType string, outcome job.Outcome)
}
