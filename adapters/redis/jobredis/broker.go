package jobredis

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/adapters/redis/reply"
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
	res, err := exchangeScript.Run(ctx, s.rdb, []string{s.keys.active(queue)}, args...).Result()
	if err != nil {
		return job.ExchangeResult{}, rdb.Wrap("exchange jobs", err)
	}
	return exchangeReply(queue, x, res)
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
	res, err := extendScript.Run(ctx, s.rdb, []string{s.keys.active(queue)}, args...).Result()
	if err != nil {
		return nil, rdb.Wrap("extend leases", err)
	}
	return extendReply(res)
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
	d := reply.New("wait for jobs")
	l, err := leased(&d, queue, "", row)
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
