// Package jobapp carries out the jobs use cases: Service validates and enqueues jobs and administers queues;
// Runtime is the worker runtime that leases jobs, runs their handlers with deadlines and leases, settles
// the runs, publishes jobs.completed, jobs.failed and jobs.dead_lettered, and enqueues periodic jobs.
package jobapp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// MaxListLimit bounds one page of a job listing.
const MaxListLimit = 1000

// Service is the jobs application service for producers and operators.
type Service struct {
	queue    ports.JobQueue
	handlers atomic.Pointer[map[string]ports.JobHandler]
	mu       sync.Mutex // serializes Register
	defaults job.Defaults
}

// NewService returns a service that accepts the job types of handlers (more may be registered later with
// Register); it refuses two handlers of one type.
func NewService(queue ports.JobQueue, handlers []ports.JobHandler, cfg Config) (*Service, error) {
	if err := cfg.Defaults.Validate(); err != nil {
		return nil, err
	}
	s := &Service{queue: queue, defaults: cfg.Defaults}
	s.handlers.Store(&map[string]ports.JobHandler{})
	if err := s.Register(handlers...); err != nil {
		return nil, err
	}
	return s, nil
}

// Register adds job types the service accepts. The jobs module registers the ports.GroupJobHandlers group
// when the app is built, after every constructor that enqueues: a service may both enqueue a type and
// provide its handler. A type registered twice, or a malformed handler, is an error and registers nothing.
func (s *Service) Register(handlers ...ports.JobHandler) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	current := *s.handlers.Load()
	all := make([]ports.JobHandler, 0, len(current)+len(handlers))
	for _, h := range current {
		all = append(all, h)
	}
	byType, err := handlerMap(append(all, handlers...))
	if err != nil {
		return err
	}
	s.handlers.Store(&byType)
	return nil
}

func handlerMap(handlers []ports.JobHandler) (map[string]ports.JobHandler, error) {
	out := make(map[string]ports.JobHandler, len(handlers))
	for _, h := range handlers {
		if err := job.ValidateType(h.Type); err != nil {
			return nil, fmt.Errorf("job handler: %w", err)
		}
		if h.Handle == nil {
			return nil, fmt.Errorf("job handler %q: no Handle function", h.Type)
		}
		if _, dup := out[h.Type]; dup {
			return nil, fmt.Errorf("job handler %q registered twice", h.Type)
		}
		out[h.Type] = h
	}
	return out, nil
}

// Types lists the job types this service accepts, sorted.
func (s *Service) Types() []string {
	handlers := *s.handlers.Load()
	out := make([]string, 0, len(handlers))
	for t := range handlers {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Enqueue validates a job and stores it. It returns job.ErrInvalid (or ErrUnknownType, ErrInvalidPayload)
// for bad input, with nothing stored, and a *job.DuplicateError, which carries the existing job's id, when
// a live job holds its unique key.
func (s *Service) Enqueue(ctx context.Context, n job.NewJob) (job.Enqueued, error) {
	sp, err := s.spec(ctx, n)
	if err != nil {
		return job.Enqueued{}, err
	}
	res, err := s.queue.Enqueue(ctx, sp.Queue, []job.Spec{sp})
	if err != nil {
		return job.Enqueued{}, err
	}
	if len(res) != 1 {
		return job.Enqueued{}, fmt.Errorf("enqueue: store answered %d results for 1 job", len(res))
	}
	if res[0].Err != nil {
		return job.Enqueued{}, res[0].Err
	}
	return res[0], nil
}

// EnqueueBatch validates every job first and stores none if one is invalid (the error names its index).
// Jobs are stored per queue, each queue's jobs in one atomic step; the results keep the input order, and a
// job whose unique key was taken has a *job.DuplicateError in its Err.
func (s *Service) EnqueueBatch(ctx context.Context, jobs []job.NewJob) ([]job.Enqueued, error) {
	if len(jobs) == 0 || len(jobs) > job.MaxBatch {
		return nil, fmt.Errorf("%w: a batch holds 1-%d jobs", job.ErrInvalid, job.MaxBatch)
	}
	specs := make([]job.Spec, len(jobs))
	var order []string
	byQueue := map[string][]int{}
	keys := map[string]int{}
	for i, n := range jobs {
		sp, err := s.spec(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("job %d: %w", i, err)
		}
		if sp.UniqueKey != "" {
			k := sp.Queue + "\x00" + sp.UniqueKey
			if first, dup := keys[k]; dup {
				return nil, fmt.Errorf("%w: jobs %d and %d share the unique key %q", job.ErrInvalid, first, i, sp.UniqueKey)
			}
			keys[k] = i
		}
		specs[i] = sp
		if _, ok := byQueue[sp.Queue]; !ok {
			order = append(order, sp.Queue)
		}
		byQueue[sp.Queue] = append(byQueue[sp.Queue], i)
	}
	out := make([]job.Enqueued, len(jobs))
	for _, q := range order {
		idx := byQueue[q]
		batch := make([]job.Spec, len(idx))
		for j, i := range idx {
			batch[j] = specs[i]
		}
		res, err := s.queue.Enqueue(ctx, q, batch)
		if err != nil {
			return nil, err
		}
		if len(res) != len(idx) {
			return nil, fmt.Errorf("enqueue: store answered %d results for %d jobs", len(res), len(idx))
		}
		for j, i := range idx {
			out[i] = res[j]
		}
	}
	return out, nil
}

// spec validates n, checks its type has a handler and its payload passes the type's validator.
func (s *Service) spec(ctx context.Context, n job.NewJob) (job.Spec, error) {
	sp, err := n.Spec(s.defaults)
	if err != nil {
		return job.Spec{}, err
	}
	sp.CorrelationID = correlation(ctx)
	h, ok := (*s.handlers.Load())[sp.Type]
	if !ok {
		return job.Spec{}, fmt.Errorf("%w %q (known: %v)", job.ErrUnknownType, sp.Type, s.Types())
	}
	if h.Validate != nil {
		if err := h.Validate(sp.Payload); err != nil {
			return job.Spec{}, fmt.Errorf("%w: %w", job.ErrInvalidPayload, err)
		}
	}
	return sp, nil
}

// Queues returns the statistics of every queue ever used, by name.
func (s *Service) Queues(ctx context.Context) ([]job.QueueStats, error) {
	names, err := s.queue.Queues(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]job.QueueStats, 0, len(names))
	for _, q := range names {
		st, err := s.queue.Stats(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// Stats returns a queue's statistics (all zero for a queue never used).
func (s *Service) Stats(ctx context.Context, queue string) (job.QueueStats, error) {
	if err := job.ValidateQueue(queue); err != nil {
		return job.QueueStats{}, err
	}
	return s.queue.Stats(ctx, queue)
}

// Page is one page of a listing.
type Page struct {
	Jobs  []job.Job
	Total int64
	// Next is the offset of the next page, or -1 on the last page.
	Next int
}

// List returns up to limit (1-1000) jobs of a queue in a state, from offset on.
func (s *Service) List(ctx context.Context, queue string, state job.State, offset, limit int) (Page, error) {
	if err := job.ValidateQueue(queue); err != nil {
		return Page{}, err
	}
	if _, err := job.ParseState(string(state)); err != nil {
		return Page{}, err
	}
	if offset < 0 || limit < 1 || limit > MaxListLimit {
		return Page{}, fmt.Errorf("%w: offset must be >= 0 and limit 1-%d", job.ErrInvalid, MaxListLimit)
	}
	jobs, total, err := s.queue.List(ctx, queue, state, offset, limit)
	if err != nil {
		return Page{}, err
	}
	next := offset + limit
	if int64(next) >= total {
		next = -1
	}
	return Page{Jobs: jobs, Total: total, Next: next}, nil
}

// Get returns one job; job.ErrNotFound when there is none.
func (s *Service) Get(ctx context.Context, queue, id string) (job.Job, error) {
	if err := ids(queue, id); err != nil {
		return job.Job{}, err
	}
	return s.queue.Get(ctx, queue, id)
}

// Retry runs a dead, retrying or scheduled job now (a dead job gets its retries back); job.ErrState for a
// job in another state.
func (s *Service) Retry(ctx context.Context, queue, id string) error {
	if err := ids(queue, id); err != nil {
		return err
	}
	return s.queue.RunNow(ctx, queue, id)
}

// Delete removes a job that is not running; job.ErrState for an active job.
func (s *Service) Delete(ctx context.Context, queue, id string) error {
	if err := ids(queue, id); err != nil {
		return err
	}
	return s.queue.Delete(ctx, queue, id)
}

// Pause stops workers from taking jobs from the queue; running jobs finish.
func (s *Service) Pause(ctx context.Context, queue string) error {
	if err := job.ValidateQueue(queue); err != nil {
		return err
	}
	return s.queue.SetPaused(ctx, queue, true)
}

// Resume lets workers take jobs from the queue again.
func (s *Service) Resume(ctx context.Context, queue string) error {
	if err := job.ValidateQueue(queue); err != nil {
		return err
	}
	return s.queue.SetPaused(ctx, queue, false)
}

// PurgeDead removes every dead job of the queue, with its data, and returns how many.
func (s *Service) PurgeDead(ctx context.Context, queue string) (int64, error) {
	if err := job.ValidateQueue(queue); err != nil {
		return 0, err
	}
	return s.queue.PurgeDead(ctx, queue)
}

// correlation is the correlation id in ctx when it has the form of a request id (at most 64 letters,
// digits and _ . -), else "": it is stored with the job and travels in NUL-joined rows.
func correlation(ctx context.Context) string {
	id := ports.CorrelationID(ctx)
	if len(id) > 64 {
		return ""
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return ""
		}
	}
	return id
}

func ids(queue, id string) error {
	return errors.Join(job.ValidateQueue(queue), job.ValidateID(id))
}
