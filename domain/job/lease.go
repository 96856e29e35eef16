package job

import "time"

// Lease identifies one run of a job: the run number is a fencing token that changes on every dequeue, so
// a worker whose lease expired (and whose job may be running elsewhere) can neither finish nor extend it.
type Lease struct {
	ID  string
	Run int64
}

// Leased is a job handed to a worker: the job, its lease, and the times the worker needs.
type Leased struct {
	Job
	Run int64
	// ReadyAt is when the job became ready to run (enqueued, due, or returned); StartedAt - ReadyAt is the
	// pickup latency.
	ReadyAt time.Time
}

// Lease returns the lease of the run.
func (l Leased) Lease() Lease { return Lease{ID: l.ID, Run: l.Run} }

// Outcome is how a run ended, as the worker reports it.
type Outcome string

// The outcomes a worker reports, and those the store reports back for runs it settled or reclaimed.
const (
	// OutcomeCompleted: the handler succeeded.
	OutcomeCompleted Outcome = "completed"
	// OutcomeFailed: the handler failed; the job retries if it has attempts left, else it is dead.
	OutcomeFailed Outcome = "failed"
	// OutcomeNoRetry: the handler failed permanently; the job is dead.
	OutcomeNoRetry Outcome = "no_retry"
	// OutcomeRetry (reported back): the job waits for its retry.
	OutcomeRetry Outcome = "retry"
	// OutcomeDead (reported back): the job is dead.
	OutcomeDead Outcome = "dead"
	// OutcomeExpired (reported back): the lease expired and the job is pending again.
	OutcomeExpired Outcome = "expired"
	// OutcomeStale (reported back): the worker no longer held the lease; nothing changed.
	OutcomeStale Outcome = "stale"
)

// Settle is a finished run a worker reports.
type Settle struct {
	Lease
	Outcome Outcome
	// Result (completed) is the handler's JSON result, at most MaxResultBytes; Error (failed) is the
	// failure, truncated to MaxErrorBytes.
	Result []byte
	Error  string
	// RetryDelay is the backoff before the retry, used if the job has attempts left.
	RetryDelay time.Duration
}

// Exchange is one round of a worker with its queue: report finished runs, and lease up to Want more jobs.
type Exchange struct {
	Settles []Settle
	// Want is how many jobs to lease (0: only settle, return expired leases and promote due jobs).
	Want int
	// Worker names the worker, for inspection.
	Worker string
	// Lease is how long a new lease lasts before it must be extended; Grace is how long past its timeout a
	// run's lease may be extended (a handler that ignores its deadline loses the job then).
	Lease time.Duration
	Grace time.Duration
	// Inbox, when set, names the worker's inbox: a worker left with free slots (it got fewer jobs than it
	// wanted) is registered as idle for IdleTTL, and the next job to become ready is leased to it and
	// pushed into the inbox, so it starts without another round trip. A worker that got all it wanted is
	// unregistered.
	Inbox   string
	IdleTTL time.Duration
	// Retention applies to the runs settled here.
	Retention Retention
}

// Wakeup is what ends a worker's wait: a job handed to its inbox (already leased to it), a wake-up signal
// (work may be ready), or neither (the wait timed out).
type Wakeup struct {
	Job   *Leased
	Woken bool
}

// Transition is a change the store made to a job during an exchange: a settled run or an expired lease.
type Transition struct {
	ID      string
	Type    string
	Outcome Outcome
	// Attempts counts the attempts made so far.
	Attempts int
	Error    string
	// RetryAt is when a retrying job runs again.
	RetryAt time.Time
}

// ExchangeResult is what the store answers to an Exchange.
type ExchangeResult struct {
	// Now is the store's clock when it answered.
	Now time.Time
	// Jobs are the newly leased jobs (at most Want).
	Jobs []Leased
	// Settled has one transition per Settle, in order.
	Settled []Transition
	// Expired are runs whose lease expired, returned to pending or dead-lettered now.
	Expired []Transition
	// NextDue is the earliest time something needs the store's attention without a wake-up: a scheduled or
	// retrying job falls due, or a lease expires (zero: nothing pending).
	NextDue time.Time
	// More reports ready jobs left after this lease (another worker may take them).
	More bool
	// Paused reports a paused queue: nothing was leased.
	Paused bool
}
