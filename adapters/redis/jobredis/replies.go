package jobredis

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/domain/job"
)

// The decoders of the scripts' replies: each checks the reply's shape and returns an error wrapping
// reply.ErrBadReply when it is not the one its script returns.

// enqueueReply reads enqueue.lua's {now, r1, r2, ...}: one r per spec.
func enqueueReply(queue string, specs []job.Spec, res any) ([]job.Enqueued, error) {
	d := reply.New("enqueue jobs")
	a := d.Exactly(res, len(specs)+1)
	out := make([]job.Enqueued, len(specs))
	for i, sp := range specs {
		out[i] = enqueued(&d, queue, sp, a[i+1])
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// periodicReply reads enqueue_periodic.lua's {now, 1, state, due} (enqueued) or {now, 0} (tick taken).
func periodicReply(sp job.Spec, res any) (job.Enqueued, bool, error) {
	d := reply.New("enqueue periodic job")
	if fresh := d.Bool(d.Array(res, 2)[1]); !fresh || d.Err() != nil {
		return job.Enqueued{}, false, d.Err()
	}
	e := enqueued(&d, sp.Queue, sp, d.Exactly(res, 4)[1:])
	if err := d.Err(); err != nil {
		return job.Enqueued{}, false, err
	}
	return e, true, nil
}

// enqueued reads one {1, state, due} or {0, existing id} reply of the enqueue scripts.
func enqueued(d *reply.Decoder, queue string, sp job.Spec, v any) job.Enqueued {
	r := d.Array(v, 2)
	if !d.Bool(r[0]) {
		return job.Enqueued{Queue: queue, Err: &job.DuplicateError{UniqueKey: sp.UniqueKey, ExistingID: d.String(r[1]), Queue: queue}}
	}
	return job.Enqueued{ID: sp.ID, Queue: queue, State: job.State(d.String(r[1]))}
}

// listReply reads list.lua's {total, {id, lease expiry ms or false, field, value, ...}, ...}.
func listReply(queue string, res any) ([]job.Job, int64, error) {
	d := reply.New("list jobs")
	a := d.Array(res, 1)
	total := d.Int64(a[0])
	out := make([]job.Job, 0, len(a)-1)
	for _, item := range a[1:] {
		row := d.Array(item, 2)
		j, err := decode(&d, queue, d.String(row[0]), row[1], row[2:])
		if err != nil {
			if errors.Is(err, job.ErrNotFound) {
				continue // removed between the index read and the hash read cannot happen in one script; stay safe
			}
			return nil, 0, err
		}
		out = append(out, j)
	}
	if err := d.Err(); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// decode turns a job hash (flat field/value list) and its lease score into a Job.
func decode(d *reply.Decoder, queue, id string, lease, fields any) (job.Job, error) {
	flat := d.Pairs(fields)
	leaseEnd, leased := d.OptString(lease)
	if err := d.Err(); err != nil {
		return job.Job{}, err
	}
	if len(flat) == 0 {
		return job.Job{}, job.ErrNotFound
	}
	j := job.Job{ID: id, Queue: queue}
	var errs []error
	num := func(v string) int64 {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, err)
		}
		return n
	}
	ms := func(v string) time.Time { return time.UnixMilli(num(v)) }
	for i := 0; i < len(flat); i += 2 {
		name, v := flat[i], flat[i+1]
		switch name {
		case "t":
			j.Type = v
		case "p":
			j.Payload = []byte(v)
		case "pr":
			j.Priority = int(num(v))
		case "s":
			j.State = job.State(v)
		case "a":
			j.Attempts = int(num(v))
		case "mr":
			j.MaxRetries = int(num(v))
		case "to":
			j.Timeout = time.Duration(num(v)) * time.Millisecond
		case "u":
			j.UniqueKey = v
		case "c":
			j.CreatedAt = ms(v)
		case "due":
			j.RunAt = ms(v)
		case "st":
			j.StartedAt = ms(v)
		case "f":
			j.FinishedAt = ms(v)
		case "e":
			j.LastError = v
		case "r":
			j.Result = []byte(v)
		case "w":
			j.Worker = v
		case "pn":
			j.Periodic = v
		case "pt":
			j.Tick = ms(v)
		case "cid":
			j.CorrelationID = v
		}
	}
	if leased && j.State == job.StateActive {
		j.LeaseExpiresAt = ms(leaseEnd)
	}
	if j.State != job.StateScheduled && j.State != job.StateRetry {
		j.RunAt = time.Time{}
	}
	if err := errors.Join(errs...); err != nil {
		return job.Job{}, fmt.Errorf("decode job %s: %w", id, err)
	}
	return j, nil
}

// exchangeReply reads exchange.lua's {now, next due ms, more 0/1, paused 0/1, settled, expired, jobs}.
func exchangeReply(queue string, x job.Exchange, res any) (job.ExchangeResult, error) {
	d := reply.New("exchange jobs")
	a := d.Exactly(res, 7)
	out := job.ExchangeResult{Now: msTime(&d, a[0]), NextDue: msTime(&d, a[1]), More: d.Bool(a[2]), Paused: d.Bool(a[3])}
	settled := d.Exactly(a[4], len(x.Settles))
	for i, item := range settled {
		row := d.Exactly(item, 3)
		t := job.Transition{ID: x.Settles[i].ID, Outcome: job.Outcome(d.String(row[0])), Attempts: d.Int(row[1])}
		if t.Outcome == job.OutcomeRetry {
			t.RetryAt = msTime(&d, row[2])
		}
		if t.Outcome != job.OutcomeCompleted {
			t.Error = x.Settles[i].Error
		}
		out.Settled = append(out.Settled, t)
	}
	for _, item := range d.Array(a[5], 0) {
		row := d.Exactly(item, 4)
		out.Expired = append(out.Expired, job.Transition{ID: d.String(row[0]), Type: d.String(row[1]),
			Outcome: job.Outcome(d.String(row[2])), Attempts: d.Int(row[3]), Error: "lease expired"})
	}
	jobs := d.Array(a[6], 0)
	out.Jobs = make([]job.Leased, 0, len(jobs))
	for _, item := range jobs {
		l, err := leased(&d, queue, x.Worker, item)
		if err != nil {
			return job.ExchangeResult{}, err
		}
		out.Jobs = append(out.Jobs, l)
	}
	if err := d.Err(); err != nil {
		return job.ExchangeResult{}, err
	}
	return out, nil
}

// leasedFields is the length of a leased row: {id, run, attempts, type, payload, priority, max retries,
// timeout ms, created ms, ready ms, lease expiry ms, periodic name, tick ms, started ms, correlation id}.
const leasedFields = 15

// leased reads one leased row (from an exchange reply, or split from an inbox entry).
func leased(d *reply.Decoder, queue, worker string, v any) (job.Leased, error) {
	row := d.Exactly(v, leasedFields)
	str := func(i int) string { return d.String(row[i]) }
	num := func(i int) int64 { return d.Number(row[i]) }
	l := job.Leased{
		Job: job.Job{ID: str(0), Queue: queue, Type: str(3), Priority: int(num(5)), State: job.StateActive,
			Attempts: int(num(2)), MaxRetries: int(num(6)), Timeout: time.Duration(num(7)) * time.Millisecond,
			CreatedAt: time.UnixMilli(num(8)), StartedAt: time.UnixMilli(num(13)),
			LeaseExpiresAt: time.UnixMilli(num(10)), Worker: worker, Periodic: str(11), CorrelationID: str(14)},
		Run:     num(1),
		ReadyAt: time.UnixMilli(num(9)),
	}
	if p := str(4); p != "" {
		l.Payload = []byte(p)
	}
	if l.Periodic != "" {
		l.Tick = time.UnixMilli(num(12))
	}
	if d.Err() == nil && (l.ID == "" || l.Run == 0) {
		d.Fail("a leased job's id and run", row)
	}
	if err := d.Err(); err != nil {
		return job.Leased{}, err
	}
	return l, nil
}

// extendReply reads extend.lua's {now, id, run, id, run, ...}: the leases the worker no longer holds.
func extendReply(res any) ([]job.Lease, error) {
	d := reply.New("extend leases")
	a := d.Array(res, 1)
	if len(a)%2 != 1 {
		d.Fail("now and id, run pairs", res)
	}
	var lost []job.Lease
	for i := 1; i+1 < len(a); i += 2 {
		lost = append(lost, job.Lease{ID: d.String(a[i]), Run: d.Number(a[i+1])})
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return lost, nil
}

// msTime reads a time in ms, 0 for none.
func msTime(d *reply.Decoder, v any) time.Time {
	if n := d.Int64(v); n != 0 {
		return time.UnixMilli(n)
	}
	return time.Time{}
}
