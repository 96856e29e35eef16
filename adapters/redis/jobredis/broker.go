package jobredis

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/domain/job"
)

// Exchange runs exchange.lua: one round trip settles every finished run, reclaims expired leases, promotes
// due jobs and leases up to x.Want jobs.
func (s *Store) Exchange(ctx context.Context, queue string, x job.Exchange) (job.ExchangeResult, error) {
	r := x.Retention
	if x.Inbox != "" && !inboxPattern.MatchString(x.Inbox) {
		return job.ExchangeResult{}, fmt.Errorf("exchange: inbox id %q: want 8-32 letters and digits", x.Inbox)
	}
	args := make([]any, 0, 13+5*len(x.Settles))
	args = append(args, s.keys.base(queue), s.now(), x.Want, x.Lease.Milliseconds(), x.Grace.Milliseconds(), x.Worker,
		r.Completed.Milliseconds(), r.CompletedMax, r.Dead.Milliseconds(), r.DeadMax, x.Inbox, x.IdleTTL.Milliseconds(),
		len(x.Settles))
	for _, st := range x.Settles {
		kind, data := "c", string(st.Result)
		switch st.Outcome {
		case job.OutcomeCompleted:
		case job.OutcomeFailed:
			kind, data = "f", st.Error
		case job.OutcomeNoRetry:
			kind, data = "x", st.Error
		default:
			return job.ExchangeResult{}, fmt.Errorf("exchange: cannot settle outcome %q", st.Outcome)
		}
		args = append(args, st.ID, st.Run, kind, data, st.RetryDelay.Milliseconds())
	}
	res, err := exchangeScript.Run(ctx, s.rdb, []string{s.keys.active(queue)}, args...).Slice()
	if err != nil {
		return job.ExchangeResult{}, rdb.Wrap("exchange jobs", err)
	}
	if len(res) != 7 {
		return job.ExchangeResult{}, fmt.Errorf("exchange jobs: unexpected reply %v", res)
	}
	out := job.ExchangeResult{Now: msTime(res[0]), NextDue: msTime(res[1]), More: isOne(res[2]), Paused: isOne(res[3])}
	settled, _ := res[4].([]any)
	if len(settled) != len(x.Settles) {
		return job.ExchangeResult{}, fmt.Errorf("exchange jobs: %d settle replies for %d settles", len(settled), len(x.Settles))
	}
	for i, item := range settled {
		row, _ := item.([]any)
		if len(row) != 3 {
			return job.ExchangeResult{}, fmt.Errorf("exchange jobs: unexpected settle reply %v", item)
		}
		outcome, _ := row[0].(string)
		attempts, _ := row[1].(int64)
		t := job.Transition{ID: x.Settles[i].ID, Outcome: job.Outcome(outcome), Attempts: int(attempts)}
		if t.Outcome == job.OutcomeRetry {
			t.RetryAt = msTime(row[2])
		}
		if t.Outcome != job.OutcomeCompleted {
			t.Error = x.Settles[i].Error
		}
		out.Settled = append(out.Settled, t)
	}
	expired, _ := res[5].([]any)
	for _, item := range expired {
		row, _ := item.([]any)
		if len(row) != 4 {
			return job.ExchangeResult{}, fmt.Errorf("exchange jobs: unexpected expiry reply %v", item)
		}
		id, _ := row[0].(string)
		typ, _ := row[1].(string)
		outcome, _ := row[2].(string)
		attempts, _ := row[3].(int64)
		out.Expired = append(out.Expired, job.Transition{ID: id, Type: typ, Outcome: job.Outcome(outcome),
			Attempts: int(attempts), Error: "lease expired"})
	}
	jobs, _ := res[6].([]any)
	out.Jobs = make([]job.Leased, 0, len(jobs))
	for _, item := range jobs {
		row, _ := item.([]any)
		l, err := leased(queue, x.Worker, row)
		if err != nil {
			return job.ExchangeResult{}, err
		}
		out.Jobs = append(out.Jobs, l)
	}
	return out, nil
}

// leasedFields is the length of a leased row: {id, run, attempts, type, payload, priority, max retries,
// timeout ms, created ms, ready ms, lease expiry ms, periodic name, tick ms, started ms, correlation id}.
const leasedFields = 15

// leased reads one leased row (from an exchange reply, or split from an inbox entry).
func leased(queue, worker string, row []any) (job.Leased, error) {
	if len(row) != leasedFields {
		return job.Leased{}, fmt.Errorf("leased job: unexpected row %v", row)
	}
	str := func(i int) string { v, _ := row[i].(string); return v }
	num := func(i int) int64 {
		switch v := row[i].(type) {
		case int64:
			return v
		case string:
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
		return 0
	}
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
	if l.ID == "" || l.Run == 0 {
		return job.Leased{}, fmt.Errorf("leased job: unexpected row %v", row)
	}
	return l, nil
}

// Extend runs extend.lua: one round trip for every lease of the queue.
func (s *Store) Extend(ctx context.Context, queue string, leases []job.Lease, lease, grace time.Duration) ([]job.Lease, error) {
	if len(leases) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 4+2*len(leases))
	args = append(args, s.keys.base(queue), s.now(), lease.Milliseconds(), grace.Milliseconds())
	for _, l := range leases {
		args = append(args, l.ID, l.Run)
	}
	res, err := extendScript.Run(ctx, s.rdb, []string{s.keys.active(queue)}, args...).Slice()
	if err != nil {
		return nil, rdb.Wrap("extend leases", err)
	}
	var lost []job.Lease
	for i := 1; i+1 < len(res); i += 2 {
		id, _ := res[i].(string)
		run, _ := res[i+1].(string)
		n, err := strconv.ParseInt(run, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("extend leases: unexpected reply %v", res)
		}
		lost = append(lost, job.Lease{ID: id, Run: n})
	}
	return lost, nil
}

// Release runs release.lua: one round trip.
func (s *Store) Release(ctx context.Context, queue string, leases []job.Lease) error {
	if len(leases) == 0 {
		return nil
	}
	args := make([]any, 0, 2+2*len(leases))
	args = append(args, s.keys.base(queue), s.now())
	for _, l := range leases {
		args = append(args, l.ID, l.Run)
	}
	return rdb.Wrap("release jobs", releaseScript.Run(ctx, s.rdb, []string{s.keys.active(queue)}, args...).Err())
}

// inboxPattern is what an inbox id may be: it sits inside a key name.
var inboxPattern = regexp.MustCompile(`^[A-Za-z0-9]{8,32}$`)

// Wait is one BLPOP on the worker's inbox and the queue's wake list (whole seconds, at least one).
func (s *Store) Wait(ctx context.Context, queue, inbox string, timeout time.Duration) (job.Wakeup, error) {
	if !inboxPattern.MatchString(inbox) {
		return job.Wakeup{}, fmt.Errorf("wait for jobs: inbox id %q: want 8-32 letters and digits", inbox)
	}
	timeout = max(time.Second, timeout.Truncate(time.Second))
	box := s.keys.inbox(queue, inbox)
	kv, err := s.rdb.BLPop(ctx, timeout, box, s.keys.wake(queue)).Result()
	if errors.Is(err, redis.Nil) {
		return job.Wakeup{}, nil
	}
	if err != nil {
		return job.Wakeup{}, rdb.Wrap("wait for jobs", err)
	}
	if len(kv) != 2 || kv[0] != box {
		return job.Wakeup{Woken: true}, nil
	}
	parts := strings.Split(kv[1], "\x00")
	row := make([]any, len(parts))
	for i, p := range parts {
		row[i] = p
	}
	l, err := leased(queue, "", row)
	if err != nil {
		return job.Wakeup{}, err
	}
	return job.Wakeup{Job: &l, Woken: true}, nil
}

// Unregister runs unregister.lua: one round trip.
func (s *Store) Unregister(ctx context.Context, queue, inbox string) (int, error) {
	if !inboxPattern.MatchString(inbox) {
		return 0, fmt.Errorf("unregister: inbox id %q: want 8-32 letters and digits", inbox)
	}
	n, err := unregisterScript.Run(ctx, s.rdb, []string{s.keys.inbox(queue, inbox)}, s.keys.base(queue), s.now(), inbox).Int()
	return n, rdb.Wrap("unregister worker", err)
}

// Wake runs wake.lua: one round trip.
func (s *Store) Wake(ctx context.Context, queue string) error {
	return rdb.Wrap("wake workers", wakeScript.Run(ctx, s.rdb, []string{s.keys.wake(queue)}, s.keys.base(queue)).Err())
}

func msTime(v any) time.Time {
	n, _ := v.(int64)
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}

func isOne(v any) bool {
	n, _ := v.(int64)
	return n == 1
}
