package jobapp

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// waitTimeout bounds one blocking wait for a wake-up. A wait that times out makes the dispatcher look at the
// queue once (a safety net: wake-ups, not these looks, are what make pickup immediate).
const waitTimeout = 5 * time.Second

// idleTTL is how long an idle registration stands: a worker re-registers at least every waitTimeout while
// idle, so a dead worker's registration soon lapses (a job handed to it meanwhile returns when its lease
// expires).
const idleTTL = waitTimeout + 2*time.Second

// queueState is what the dispatcher knows of one queue.
type queueState struct {
	name   string
	weight int
	// ready: the queue may hold pending jobs, so a free worker should try to lease from it.
	ready bool
	// armed: its waker is blocked (or about to block) waiting for a wake-up.
	armed bool
	arm   chan struct{}
	// nextDue is the local time at which a scheduled or retrying job falls due or a lease expires.
	nextDue time.Time
	// settles are finished runs not yet reported, with their runs (same order).
	settles []job.Settle
	runs    []*running
}

type wakeMsg struct {
	q     *queueState
	woken bool
	// started: the waker started a job handed to the inbox; job: one it could not start (no free worker).
	started bool
	job     *job.Leased
}

// dispatcher is the one goroutine that talks to the store for leasing: it alone touches queueState and
// the settles. Free worker slots are the runtime's atomic counter: the dispatcher reserves them before an
// exchange leases jobs, and a waker takes one for a job handed to its inbox.
type dispatcher struct {
	r      *Runtime
	queues []*queueState // heaviest first
	byName map[string]*queueState
	errs   int // consecutive failed exchanges, for the backoff
}

// free is how many workers are free now.
func (d *dispatcher) free() int { return int(d.r.free.Load()) }

func newDispatcher(r *Runtime) *dispatcher {
	r.free.Store(int64(r.cfg.Concurrency))
	d := &dispatcher{r: r, byName: map[string]*queueState{}}
	for _, qw := range r.cfg.Queues {
		q := &queueState{name: qw.Name, weight: qw.Weight, ready: true, arm: make(chan struct{}, 1)}
		d.queues = append(d.queues, q)
		d.byName[q.name] = q
	}
	slices.SortStableFunc(d.queues, func(a, b *queueState) int { return b.weight - a.weight })
	return d
}

func (d *dispatcher) run() {
	defer close(d.r.loopDone)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	stopping := d.r.stopping
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for {
		d.collect()
		stopped := stopping == nil
		if !stopped {
			d.linger(linger)
		}
		if d.exchange(stopped) {
			continue
		}
		if closed(d.r.abandon) || stopped && d.free() == d.r.cfg.Concurrency {
			return
		}
		if !stopped {
			d.armWakers()
		}
		d.setTimer(timer, stopped)
		select {
		case res := <-d.r.results:
			d.add(res)
		case m := <-d.r.wakes:
			d.woken(m)
		case <-timer.C:
			d.due()
		case <-stopping:
			stopping = nil // from now on: settle, never lease
		case <-d.r.abandon:
		}
	}
}

// lingerMax bounds how long finished runs wait to be reported with others.
const lingerMax = 200 * time.Microsecond

// linger waits, at most lingerMax, while some runs have finished and others still run: short runs finish
// within microseconds of each other, and one round trip then settles and refills the whole batch instead of
// a few slots at a time. An idle or an entirely busy worker pool does not wait.
func (d *dispatcher) linger(t *time.Timer) {
	all := d.r.cfg.Concurrency
	if free := d.free(); free == 0 || free == all {
		return
	}
	t.Reset(lingerMax)
	defer func() {
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
	}()
	for d.free() < all {
		select {
		case res := <-d.r.results:
			d.add(res)
		case <-t.C:
			return
		case <-d.r.abandon:
			return
		}
	}
}

// collect takes every finished run waiting, without blocking.
func (d *dispatcher) collect() {
	for {
		select {
		case res := <-d.r.results:
			d.add(res)
		default:
			return
		}
	}
}

func (d *dispatcher) add(res result) {
	d.r.free.Add(1)
	q := d.byName[res.run.job.Queue]
	q.settles = append(q.settles, res.settle)
	q.runs = append(q.runs, res.run)
}

// exchange runs one exchange for every queue with runs to settle and for the queue a free worker leases
// from; it reports whether it talked to the store.
func (d *dispatcher) exchange(stopped bool) bool {
	var fetch *queueState
	if !stopped && d.free() > 0 {
		fetch = d.pick()
	}
	talked := false
	for _, q := range d.queues {
		want := 0
		if q == fetch {
			want = int(d.r.free.Swap(0)) // reserved for this exchange; what it does not lease comes back
		}
		if want == 0 && len(q.settles) == 0 {
			continue
		}
		talked = true
		if !d.round(q, want) {
			return true
		}
	}
	return talked
}

// round is one exchange with q; false when it failed (after a backoff pause).
func (d *dispatcher) round(q *queueState, want int) bool {
	r := d.r
	res, err := r.broker.Exchange(context.Background(), q.name, job.Exchange{
		Settles: q.settles, Want: want, Worker: r.worker, Lease: r.cfg.Lease, Grace: r.cfg.grace(),
		Inbox: r.inbox, IdleTTL: idleTTL, Retention: r.cfg.Retention,
	})
	if err != nil {
		d.r.free.Add(int64(want))
		d.errs++
		if closed(r.abandon) {
			r.log.Error("jobs: could not report finished runs at shutdown; they run again after their lease expires",
				"queue", q.name, "runs", len(q.settles), "err", err)
			q.settles, q.runs = nil, nil
			return false
		}
		if d.errs == 1 || d.errs%20 == 0 {
			r.log.Warn("jobs: exchange with the store failed; retrying", "queue", q.name, "err", err, "failures", d.errs)
		}
		pause := min(2*time.Second, 50*time.Millisecond<<min(d.errs, 6))
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-r.abandon:
		}
		t.Stop()
		return false
	}
	d.errs = 0
	r.afterExchange(q.name, q.runs, res)
	q.settles, q.runs = q.settles[:0], q.runs[:0]
	if want > 0 && (len(res.Jobs) < want || res.Paused) {
		q.ready = false
	}
	if res.More {
		q.ready = true
	}
	q.nextDue = time.Time{}
	if !res.NextDue.IsZero() {
		q.nextDue = time.Now().Add(res.NextDue.Sub(res.Now))
	}
	r.free.Add(int64(want - len(res.Jobs)))
	for _, l := range res.Jobs {
		r.dispatch(l)
	}
	return true
}

// pick chooses the queue a free worker leases from: among the queues that may hold ready jobs, the heaviest
// (strict priority) or one drawn with probability proportional to its weight.
func (d *dispatcher) pick() *queueState {
	total := 0
	for _, q := range d.queues {
		if q.ready {
			if d.r.cfg.StrictPriority {
				return q
			}
			total += q.weight
		}
	}
	if total == 0 {
		return nil
	}
	n := rand.IntN(total)
	for _, q := range d.queues {
		if q.ready {
			if n < q.weight {
				return q
			}
			n -= q.weight
		}
	}
	return nil
}

// armWakers lets the waker of every queue known to be empty block for a wake-up, while a worker is free.
func (d *dispatcher) armWakers() {
	if d.free() == 0 {
		return
	}
	for _, q := range d.queues {
		if !q.ready && !q.armed {
			q.armed = true
			q.arm <- struct{}{}
		}
	}
}

// woken handles a waker's return. A job handed to the inbox was started by the waker when a worker was
// free; one that found none (another queue filled the slots since the registration, or an exchange had
// them reserved) goes back to its queue. Either way, and after a wake-up or a timed-out wait, the queue is
// worth a look. A wake-up that arrives when no worker is free is passed on, so an idle worker elsewhere
// takes the job.
func (d *dispatcher) woken(m wakeMsg) {
	m.q.armed = false
	m.q.ready = true
	if m.job != nil {
		if err := d.r.broker.Release(context.Background(), m.q.name, []job.Lease{m.job.Lease()}); err != nil {
			d.r.log.Warn("jobs: could not return a job handed over while every worker was busy; it returns when its lease expires",
				"queue", m.q.name, "job", m.job.ID, "err", err)
		}
		return
	}
	if m.woken && !m.started && d.free() == 0 {
		if err := d.r.broker.Wake(context.Background(), m.q.name); err != nil {
			d.r.log.Warn("jobs: could not pass a wake-up on", "queue", m.q.name, "err", err)
		}
	}
}

// setTimer arms the timer for the earliest due time of any queue while a worker is free.
func (d *dispatcher) setTimer(t *time.Timer, stopped bool) {
	t.Stop()
	select {
	case <-t.C:
	default:
	}
	if stopped || d.free() == 0 {
		return
	}
	var first time.Time
	for _, q := range d.queues {
		if !q.nextDue.IsZero() && (first.IsZero() || q.nextDue.Before(first)) {
			first = q.nextDue
		}
	}
	if !first.IsZero() {
		t.Reset(max(time.Until(first), time.Millisecond))
	}
}

// due marks the queues whose due time passed as worth a look.
func (d *dispatcher) due() {
	now := time.Now()
	for _, q := range d.queues {
		if !q.nextDue.IsZero() && !now.Before(q.nextDue) {
			q.ready = true
			q.nextDue = time.Time{}
		}
	}
}

// dispatch hands a leased job to a worker with its context: the job's deadline, cancelled early if the
// lease is lost or the runtime gives up on it at shutdown.
func (r *Runtime) dispatch(l job.Leased) {
	ctx, cancelTimeout := context.WithTimeout(ports.WithCorrelationID(r.runCtx, correlationOf(l.Job)), l.Timeout)
	ctx, cancel := context.WithCancelCause(ctx)
	rn := &running{job: l, ctx: ctx, cancel: func(cause error) { cancel(cause); cancelTimeout() }}
	r.track(rn)
	r.work <- rn
}

// correlationOf is the correlation id of a job's handler context and events: the enqueuing request's, or
// else the job's id.
func correlationOf(j job.Job) string {
	if j.CorrelationID != "" {
		return j.CorrelationID
	}
	return j.ID
}

// afterExchange records metrics and publishes the events of what an exchange settled and reclaimed, each
// job's events under its correlation id.
func (r *Runtime) afterExchange(queue string, runs []*running, res job.ExchangeResult) {
	var notes []note
	for i, t := range res.Settled {
		j := runs[i].job
		var events []ports.Event
		r.metrics.Settled(queue, j.Type, t.Outcome)
		switch t.Outcome {
		case job.OutcomeCompleted:
			if r.cfg.CompletedEvents {
				events = append(events, job.Completed{JobID: j.ID, Queue: queue, Type: j.Type, Attempt: t.Attempts,
					CompletedAt: res.Now})
			}
		case job.OutcomeRetry:
			events = append(events, job.Failed{JobID: j.ID, Queue: queue, Type: j.Type, Attempt: t.Attempts,
				Error: t.Error, WillRetry: true, RetryAt: t.RetryAt})
		case job.OutcomeDead:
			events = append(events,
				job.Failed{JobID: j.ID, Queue: queue, Type: j.Type, Attempt: t.Attempts, Error: t.Error},
				job.DeadLettered{JobID: j.ID, Queue: queue, Type: j.Type, Attempts: t.Attempts, Error: t.Error, At: res.Now})
		case job.OutcomeStale:
			r.log.Warn("jobs: a run finished after its lease was lost; its outcome was dropped",
				"queue", queue, "job", j.ID, "type", j.Type)
		}
		if len(events) > 0 {
			notes = append(notes, note{cid: correlationOf(j.Job), events: events})
		}
	}
	var events []ports.Event
	for _, t := range res.Expired {
		r.metrics.Settled(queue, t.Type, t.Outcome)
		f := job.Failed{JobID: t.ID, Queue: queue, Type: t.Type, Attempt: t.Attempts, Error: t.Error}
		if t.Outcome == job.OutcomeExpired {
			f.WillRetry, f.RetryAt = true, res.Now
			events = append(events, f)
		} else {
			events = append(events, f, job.DeadLettered{JobID: t.ID, Queue: queue, Type: t.Type, Attempts: t.Attempts,
				Error: t.Error, At: res.Now})
		}
	}
	if len(events) > 0 {
		notes = append(notes, note{events: events}) // the enqueuing request is unknown here
	}
	r.notes.publish(notes)
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
