// Package jobtest is an in-memory jobapp.Enqueuer for unit tests of code that enqueues jobs: no Redis and
// no workers. It records every job it accepts and, when the test calls Run, runs them through the handlers
// it was given. A behaviour suite runs against it and against the real jobs service on Redis, so what a test
// learns from the fake holds for the real one.
//
//	jobs, _ := jobtest.New(mail.WelcomeHandler(sender))
//	signup := NewSignup(jobs) // production: the *jobapp.Service
//	... signup.Complete(ctx, "ada") ...
//	_ = jobs.Run(ctx)         // the welcome mail handler runs now
package jobtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// Fake accepts exactly what the real service accepts (it is the real jobapp.Service's validation over an
// in-memory queue: unknown types, bad payloads and a payload validator's refusals are errors, a live job's
// unique key makes a *job.DuplicateError) and keeps the jobs in enqueue order. Safe for concurrent use.
type Fake struct {
	svc      *jobapp.Service
	mem      *memory
	handlers map[string]ports.JobHandler
	runMu    sync.Mutex
}

var _ jobapp.Enqueuer = (*Fake)(nil)

// New returns a fake that accepts the job types of handlers, with jobapp.DefaultConfig's defaults; it
// refuses what jobapp.NewService refuses (two handlers of one type, a handler without Handle).
func New(handlers ...ports.JobHandler) (*Fake, error) {
	mem := &memory{}
	svc, err := jobapp.NewService(mem, handlers, jobapp.DefaultConfig())
	if err != nil {
		return nil, err
	}
	byType := map[string]ports.JobHandler{}
	for _, h := range handlers {
		byType[h.Type] = h
	}
	return &Fake{svc: svc, mem: mem, handlers: byType}, nil
}

// Enqueue implements jobapp.Enqueuer.
func (f *Fake) Enqueue(ctx context.Context, n job.NewJob) (job.Enqueued, error) {
	return f.svc.Enqueue(ctx, n)
}

// EnqueueBatch implements jobapp.Enqueuer.
func (f *Fake) EnqueueBatch(ctx context.Context, jobs []job.NewJob) ([]job.Enqueued, error) {
	return f.svc.EnqueueBatch(ctx, jobs)
}

// Jobs returns every job accepted so far, in enqueue order, in its current state: pending or scheduled
// until Run, then completed (with its Result) or dead (with its LastError), or retry while a failed job
// has retries left.
func (f *Fake) Jobs() []job.Job { return f.mem.snapshot() }

// Run runs every job that has not finished, delayed ones included (no time passes in the fake), through
// its type's handler, one at a time in enqueue order, until none is left: jobs that handlers enqueue run
// too, and a failed job runs again at once while it has retries (job.NoRetry makes it dead at once). Each
// run's context carries the job's timeout; a panic is a failure. Run returns the errors of the jobs that
// died, joined; ctx ending stops it.
func (f *Fake) Run(ctx context.Context) error {
	f.runMu.Lock()
	defer f.runMu.Unlock()
	var died []error
	for {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(died, err)...)
		}
		j, ok := f.mem.next()
		if !ok {
			return errors.Join(died...)
		}
		result, err := f.runOne(ctx, j)
		if dead := f.mem.settle(j.ID, result, err); dead {
			died = append(died, fmt.Errorf("job %s (%s): %w", j.ID, j.Type, err))
		}
	}
}

func (f *Fake) runOne(ctx context.Context, j job.Job) (result []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job handler panicked: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, j.Timeout)
	defer cancel()
	return f.handlers[j.Type].Handle(ctx, j)
}

// memory is the fake's queue: the jobs in enqueue order. Only Enqueue of ports.JobQueue is ever called
// (the fake exposes enqueueing alone); the embedded nil interface stands for the rest.
type memory struct {
	ports.JobQueue

	mu   sync.Mutex
	jobs []job.Job
}

func (m *memory) Enqueue(_ context.Context, queue string, specs []job.Spec) ([]job.Enqueued, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	out := make([]job.Enqueued, len(specs))
	for i, sp := range specs {
		if sp.UniqueKey != "" {
			if k := slices.IndexFunc(m.jobs, func(j job.Job) bool {
				return j.Queue == queue && j.UniqueKey == sp.UniqueKey && !finished(j.State)
			}); k >= 0 {
				out[i] = job.Enqueued{Queue: queue, Err: &job.DuplicateError{UniqueKey: sp.UniqueKey,
					ExistingID: m.jobs[k].ID, Queue: queue}}
				continue
			}
		}
		j := job.Job{ID: sp.ID, Queue: queue, Type: sp.Type, Payload: sp.Payload, Priority: sp.Priority,
			State: job.StatePending, MaxRetries: sp.MaxRetries, Timeout: sp.Timeout, UniqueKey: sp.UniqueKey,
			CreatedAt: now, CorrelationID: sp.CorrelationID}
		switch {
		case sp.Delay > 0:
			j.State, j.RunAt = job.StateScheduled, now.Add(sp.Delay)
		case sp.RunAt.After(now):
			j.State, j.RunAt = job.StateScheduled, sp.RunAt
		}
		m.jobs = append(m.jobs, j)
		out[i] = job.Enqueued{ID: j.ID, Queue: queue, State: j.State}
	}
	return out, nil
}

func finished(s job.State) bool { return s == job.StateCompleted || s == job.StateDead }

func (m *memory) snapshot() []job.Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.jobs)
}

// next marks the first unfinished job active and returns it.
func (m *memory) next() (job.Job, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.jobs {
		if j := &m.jobs[i]; !finished(j.State) {
			j.State, j.Attempts, j.StartedAt = job.StateActive, j.Attempts+1, time.Now()
			return *j, true
		}
	}
	return job.Job{}, false
}

// settle records a run's outcome and reports whether the job died.
func (m *memory) settle(id string, result []byte, err error) (dead bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.jobs, func(j job.Job) bool { return j.ID == id })
	j := &m.jobs[i]
	switch {
	case err == nil:
		j.State, j.Result, j.FinishedAt = job.StateCompleted, result, time.Now()
	case errors.Is(err, job.ErrNoRetry) || j.Attempts > j.MaxRetries:
		j.State, j.LastError, j.FinishedAt = job.StateDead, err.Error(), time.Now()
		return true
	default:
		j.State, j.LastError = job.StateRetry, err.Error()
	}
	return false
}
