package jobapp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/statekit/statekit/domain/job"
)

// workLoop is one of the Concurrency workers: it runs the jobs the dispatcher hands it.
func (r *Runtime) workLoop() {
	for rn := range r.work {
		r.execute(rn)
	}
}

// execute runs one job's handler and reports the run to the dispatcher.
func (r *Runtime) execute(rn *running) {
	j := rn.job
	r.metrics.Started(j.Queue, j.Type, j.StartedAt.Sub(j.ReadyAt))
	start := time.Now()
	out, err := r.call(rn.ctx, j.Job)
	took := time.Since(start)
	if err != nil && rn.ctx.Err() != nil {
		if cause := context.Cause(rn.ctx); errors.Is(cause, context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %s: %w", j.Timeout, err)
		} else if cause != nil && !errors.Is(err, cause) {
			err = fmt.Errorf("%w (%w)", err, cause)
		}
	}
	rn.cancel(nil)
	r.metrics.Ran(j.Queue, j.Type, took)

	st := job.Settle{Lease: j.Lease(), Outcome: job.OutcomeCompleted}
	switch {
	case err == nil:
		if len(out) > job.MaxResultBytes {
			r.log.Warn("jobs: result too large; dropped", "queue", j.Queue, "job", j.ID, "type", j.Type, "bytes", len(out))
			out = nil
		}
		st.Result = out
	case errors.Is(err, job.ErrNoRetry):
		st.Outcome, st.Error = job.OutcomeNoRetry, job.TruncateError(err.Error())
	default:
		st.Outcome, st.Error = job.OutcomeFailed, job.TruncateError(err.Error())
		st.RetryDelay = r.cfg.Backoff.Delay(j.Attempts, rand.Float64())
	}
	r.untrack(rn)
	r.results <- result{run: rn, settle: st}
}

// call runs the handler of j's type; a panic becomes an error with its stack.
func (r *Runtime) call(ctx context.Context, j job.Job) (res []byte, err error) {
	h, ok := r.handlers[j.Type]
	if !ok {
		return nil, fmt.Errorf("no handler for job type %q in worker %s", j.Type, r.worker)
	}
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("handler panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return h.Handle(ctx, j)
}

// startHandedOver starts a job handed to the inbox on a free worker, from the waker itself: one goroutine
// hop less between enqueue and handler. False when no worker is free or the workers have stopped.
func (r *Runtime) startHandedOver(l job.Leased) bool {
	if !r.takeSlot() {
		return false
	}
	r.workMu.Lock()
	defer r.workMu.Unlock()
	if r.workClosed {
		r.free.Add(1)
		return false
	}
	l.Worker = r.worker
	r.dispatch(l)
	return true
}

// leaseKeeper extends the leases of running jobs every Lease/3 until the dispatcher is done, and cancels
// the context of a job whose lease was lost.
func (r *Runtime) leaseKeeper() {
	t := time.NewTicker(r.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.extendLeases()
		case <-r.abandon:
			return
		case <-r.loopDone:
			return
		}
	}
}

func (r *Runtime) extendLeases() {
	list := r.snapshot()
	if len(list) == 0 {
		return
	}
	byLease := make(map[job.Lease]*running, len(list))
	for _, rn := range list {
		byLease[rn.job.Lease()] = rn
	}
	for q, leases := range byQueue(list) {
		// A slow extension may still land in time: the lease it renews was extended at most Lease/3 ago, so
		// it has at least 2/3 of a lease to run; give up only when that margin is mostly gone.
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Lease/2)
		lost, err := r.broker.Extend(ctx, q, leases, r.cfg.Lease, r.cfg.grace())
		cancel()
		if err != nil {
			r.log.Warn("jobs: could not extend leases", "queue", q, "jobs", len(leases), "err", err)
			continue
		}
		for _, l := range lost {
			// A run that finished since the snapshot was settled, which the store also reports as not held.
			if rn := byLease[l]; rn != nil && r.isRunning(rn) {
				rn.cancel(job.ErrLeaseLost)
				r.log.Warn("jobs: lease lost; the handler's context is cancelled", "queue", q, "job", l.ID)
			}
		}
	}
}

// janitor removes finished jobs past their retention, with their data, on every queue of the runtime.
func (r *Runtime) janitor() {
	every := time.Minute
	for _, d := range []time.Duration{r.cfg.Retention.Completed, r.cfg.Retention.Dead} {
		if d > 0 {
			every = min(every, max(time.Second, d/4))
		}
	}
	for r.sleep(every) {
		for _, q := range r.cfg.Queues {
			if n, err := r.broker.Trim(r.bgCtx, q.Name, r.cfg.Retention); err != nil {
				if r.bgCtx.Err() == nil {
					r.log.Warn("jobs: retention trim failed", "queue", q.Name, "err", err)
				}
			} else if n > 0 {
				r.log.Debug("jobs: retention removed finished jobs", "queue", q.Name, "jobs", n)
			}
		}
	}
}

// waker blocks on the queue's wake-up signal whenever the dispatcher arms it, and reports what woke it.
func (r *Runtime) waker(q *queueState) {
	failures := 0
	for {
		select {
		case <-q.arm:
		case <-r.bgCtx.Done():
			return
		}
		w, err := r.broker.Wait(r.bgCtx, q.name, r.inbox, waitTimeout)
		if r.bgCtx.Err() != nil {
			// Stopping: give back a job handed over meanwhile, and pass a wake-up on to another instance.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if w.Job != nil {
				_ = r.broker.Release(ctx, q.name, []job.Lease{w.Job.Lease()})
			} else if w.Woken {
				_ = r.broker.Wake(ctx, q.name)
			}
			cancel()
			return
		}
		if err != nil {
			failures++
			if failures == 1 || failures%20 == 0 {
				r.log.Warn("jobs: waiting for work failed; retrying", "queue", q.name, "err", err, "failures", failures)
			}
			if !r.sleep(min(2*time.Second, 50*time.Millisecond<<min(failures, 6))) {
				return
			}
		} else {
			failures = 0
		}
		msg := wakeMsg{q: q, woken: w.Woken, job: w.Job}
		if w.Job != nil && r.startHandedOver(*w.Job) {
			msg.job, msg.started = nil, true
		}
		select {
		case r.wakes <- msg:
		case <-r.bgCtx.Done():
			if w.Job != nil {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_ = r.broker.Release(ctx, q.name, []job.Lease{w.Job.Lease()})
				cancel()
			}
			return
		}
	}
}
