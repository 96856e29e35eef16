// Package job holds the types, rules and events of the jobs module: what a job is, the states it moves
// through, what a caller may ask for when enqueuing one, how failures back off, how long finished jobs are
// kept, and periodic (cron) jobs.
//
// Life of a job:
//
//	enqueue ──► pending ──► active ──► completed ──(retention)──► removed
//	   │           ▲  ▲        │
//	   ▼           │  │        ├─ failed, attempts left ──► retry ──(due)──► pending
//	scheduled ─(due)┘  │        ├─ failed, none left / not retryable ──► dead ──(retention)──► removed
//	                   │        └─ lease expired (worker died) ──► pending (attempt counted) or dead
//	                   └─ admin "run now" from dead, retry or scheduled
package job

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of the jobs module. The HTTP adapter maps each to one status and problem type.
var (
	// ErrInvalid means the input breaks a rule of the module; it wraps a message naming the field.
	ErrInvalid = errors.New("invalid job input")
	// ErrUnknownType means no handler is registered for the job's type; it is also an ErrInvalid.
	ErrUnknownType = fmt.Errorf("%w: unknown job type", ErrInvalid)
	// ErrInvalidPayload means the payload is not JSON or its type's validator refused it; also an ErrInvalid.
	ErrInvalidPayload = fmt.Errorf("%w: invalid payload", ErrInvalid)
	// ErrNotFound means no job with that id exists in that queue (never enqueued, deleted or removed by
	// retention).
	ErrNotFound = errors.New("job not found")
	// ErrDuplicate means a live job already holds the unique key; see DuplicateError for its id.
	ErrDuplicate = errors.New("duplicate job")
	// ErrState means the job is not in a state that allows the operation (deleting a running job, retrying
	// a pending one).
	ErrState = errors.New("job state does not allow this")
	// ErrNoRetry marks a handler error as permanent: the job is dead-lettered at once. Wrap it with NoRetry.
	ErrNoRetry = errors.New("do not retry")
	// ErrLeaseLost is the cause of a handler context cancelled because the worker no longer holds the job's
	// lease (it expired and the job may be running elsewhere).
	ErrLeaseLost = errors.New("job lease lost")
)

// DuplicateError is returned when an enqueue names a unique key a live job already holds.
type DuplicateError struct {
	// UniqueKey is the key that clashed.
	UniqueKey string
	// ExistingID is the id of the job holding the key, in Queue.
	ExistingID string
	Queue      string
}

// Error implements error.
func (e *DuplicateError) Error() string {
	return fmt.Sprintf("duplicate job: unique key %q is held by job %s", e.UniqueKey, e.ExistingID)
}

// Is makes errors.Is(err, ErrDuplicate) true.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// NoRetry marks err as permanent, so the job goes to the dead letters without using its remaining retries.
func NoRetry(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrNoRetry, err)
}

// State is where a job is in its life.
type State string

// The states of a job.
const (
	// StatePending jobs are ready to run and wait for a worker.
	StatePending State = "pending"
	// StateScheduled jobs wait for their run-at time.
	StateScheduled State = "scheduled"
	// StateActive jobs are leased to a worker that is running them.
	StateActive State = "active"
	// StateRetry jobs failed and wait for their backoff to pass.
	StateRetry State = "retry"
	// StateDead jobs failed for the last time (or permanently) and are kept for inspection and retry.
	StateDead State = "dead"
	// StateCompleted jobs succeeded and are kept, with their result, for the retention period.
	StateCompleted State = "completed"
)

// States lists every state, in the order statistics show them.
var States = []State{StatePending, StateScheduled, StateActive, StateRetry, StateDead, StateCompleted}

// ParseState accepts the name of a state.
func ParseState(s string) (State, error) {
	for _, st := range States {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("%w: state %q: want one of pending, scheduled, active, retry, dead, completed", ErrInvalid, s)
}

// Job is a stored job as an inspector sees it.
type Job struct {
	ID       string
	Queue    string
	Type     string
	Payload  []byte
	Priority int
	State    State
	// Attempts counts the runs that started and were not returned to the queue by a graceful shutdown.
	Attempts   int
	MaxRetries int
	Timeout    time.Duration
	UniqueKey  string
	CreatedAt  time.Time
	// RunAt is when a scheduled or retrying job becomes due (zero otherwise).
	RunAt time.Time
	// StartedAt is when the latest run started (zero if none did).
	StartedAt time.Time
	// FinishedAt is when the job completed or died.
	FinishedAt time.Time
	// LeaseExpiresAt is when an active job returns to the queue unless its worker extends the lease.
	LeaseExpiresAt time.Time
	LastError      string
	Result         []byte
	// Worker names the worker that ran the latest attempt.
	Worker string
	// Periodic and Tick name the periodic schedule and tick that enqueued the job, if one did.
	Periodic string
	Tick     time.Time
	// CorrelationID is the correlation id of the request that enqueued the job (empty if none): the
	// handler's context and the job's events carry it.
	CorrelationID string
}

// Enqueued is the outcome of enqueuing one job.
type Enqueued struct {
	ID    string
	Queue string
	// State is pending or scheduled.
	State State
	// Err is a *DuplicateError when the job's unique key was taken (ID is then empty); only batch enqueue
	// reports it here.
	Err error
}

// QueueStats counts a queue's jobs by state, with totals and the last minute's throughput.
type QueueStats struct {
	Queue     string
	Paused    bool
	Pending   int64
	Scheduled int64
	Active    int64
	Retry     int64
	Dead      int64
	Completed int64
	// Processed and Failed count, since the queue was first used, the runs that completed and the runs
	// that failed (retried, dead-lettered or lost their lease).
	Processed int64
	Failed    int64
	// ProcessedLastMinute and FailedLastMinute count them over the previous full minute.
	ProcessedLastMinute int64
	FailedLastMinute    int64
}

// Count returns the number of jobs in a state.
func (s QueueStats) Count(st State) int64 {
	switch st {
	case StatePending:
		return s.Pending
	case StateScheduled:
		return s.Scheduled
	case StateActive:
		return s.Active
	case StateRetry:
		return s.Retry
	case StateDead:
		return s.Dead
	case StateCompleted:
		return s.Completed
	}
	return 0
}
