// Package jobredis implements ports.JobQueue and ports.JobBroker on Redis: one hash per job, a list per
// priority of pending ids, sorted sets for scheduled, retrying, active (by lease expiry), dead and completed
// jobs, and a one-token wake-up list that idle workers block on. Every key of a queue shares the queue's hash
// tag and is changed only by the Lua scripts in lua/, one round trip each.
package jobredis

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// Store is the Redis job store.
type Store struct {
	rdb    redis.UniversalClient
	keys   keys
	clock  ports.Clock
	known  sync.Map // queue name -> struct{}: queues this store has put in the registry
	groups sync.Map // queue name -> *commitGroup
}

var (
	_ ports.JobQueue  = (*Store)(nil)
	_ ports.JobBroker = (*Store)(nil)
)

// New returns a store on rdb whose keys start with prefix. With a nil clock the scripts read Redis server
// time; a clock (tests) makes them use its time instead.
func New(rdb redis.UniversalClient, prefix string, clock ports.Clock) *Store {
	return &Store{rdb: rdb, keys: newKeys(prefix), clock: clock}
}

func (s *Store) now() int64 {
	if s.clock == nil {
		return 0
	}
	return s.clock.Now().UnixMilli()
}

// Enqueue runs enqueue.lua: one round trip, shared with the enqueues other goroutines make to the same queue
// at the same moment (group commit: while one call is in flight the next ones gather into one batch, so under
// load many jobs share a round trip and a script call, and alone a call goes out at once). Plus one SADD the
// first time this store meets the queue.
func (s *Store) Enqueue(ctx context.Context, queue string, specs []job.Spec) ([]job.Enqueued, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	for _, sp := range specs {
		if sp.Queue != queue {
			return nil, fmt.Errorf("%w: job %s belongs to queue %q, not %q", job.ErrInvalid, sp.ID, sp.Queue, queue)
		}
	}
	if err := s.register(ctx, queue); err != nil {
		return nil, err
	}
	return s.group(queue).submit(ctx, specs)
}

// enqueueNow runs enqueue.lua once for specs (all of one queue).
func (s *Store) enqueueNow(ctx context.Context, queue string, specs []job.Spec) ([]job.Enqueued, error) {
	args := make([]any, 0, 3+13*len(specs))
	args = append(args, s.keys.base(queue), s.now(), len(specs))
	for _, sp := range specs {
		args = appendSpec(args, sp)
	}
	res, err := enqueueScript.Run(ctx, s.rdb, []string{s.keys.scheduled(queue)}, args...).Result()
	if err != nil {
		return nil, rdb.Wrap("enqueue jobs", err)
	}
	return enqueueReply(queue, specs, res)
}

// EnqueuePeriodic runs enqueue_periodic.lua: one round trip (plus one SADD the first time this store meets
// the queue).
func (s *Store) EnqueuePeriodic(ctx context.Context, sp job.Spec) (job.Enqueued, bool, error) {
	if sp.Periodic == "" || sp.Tick.IsZero() {
		return job.Enqueued{}, false, fmt.Errorf("%w: a periodic job needs its schedule name and tick", job.ErrInvalid)
	}
	if err := s.register(ctx, sp.Queue); err != nil {
		return job.Enqueued{}, false, err
	}
	sp.RunAt, sp.Delay = sp.Tick, 0
	args := appendSpec([]any{s.keys.base(sp.Queue), s.now()}, sp)
	res, err := enqueuePeriodicScript.Run(ctx, s.rdb, []string{s.keys.cron(sp.Queue, sp.Periodic)}, args...).Result()
	if err != nil {
		return job.Enqueued{}, false, rdb.Wrap("enqueue periodic job", err)
	}
	return periodicReply(sp, res)
}

func appendSpec(args []any, sp job.Spec) []any {
	var runAt, tick int64
	if !sp.RunAt.IsZero() {
		runAt = max(1, sp.RunAt.UnixMilli())
	}
	if !sp.Tick.IsZero() {
		tick = sp.Tick.UnixMilli()
	}
	return append(args, sp.ID, sp.Type, string(sp.Payload), sp.Priority, sp.MaxRetries, sp.Timeout.Milliseconds(),
		sp.Delay.Milliseconds(), runAt, sp.UniqueKey, sp.UniqueTTL.Milliseconds(), sp.Periodic, tick, sp.CorrelationID)
}

// register adds queue to the registry the first time this store meets it: one SADD.
func (s *Store) register(ctx context.Context, queue string) error {
	if _, ok := s.known.Load(queue); ok {
		return nil
	}
	if err := s.rdb.SAdd(ctx, s.keys.queues(), queue).Err(); err != nil {
		return rdb.Wrap("register queue", err)
	}
	s.known.Store(queue, struct{}{})
	return nil
}

// Register implements ports.JobBroker: one SADD for the queues this store has not met yet.
func (s *Store) Register(ctx context.Context, queues []string) error {
	var fresh []any
	for _, q := range queues {
		if _, ok := s.known.Load(q); !ok {
			fresh = append(fresh, q)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	if err := s.rdb.SAdd(ctx, s.keys.queues(), fresh...).Err(); err != nil {
		return rdb.Wrap("register queues", err)
	}
	for _, q := range fresh {
		s.known.Store(q, struct{}{})
	}
	return nil
}

// Queues is one SMEMBERS.
func (s *Store) Queues(ctx context.Context) ([]string, error) {
	qs, err := s.rdb.SMembers(ctx, s.keys.queues()).Result()
	if err != nil {
		return nil, rdb.Wrap("list queues", err)
	}
	slices.Sort(qs)
	return qs, nil
}

// Stats runs stats.lua: one round trip.
func (s *Store) Stats(ctx context.Context, queue string) (job.QueueStats, error) {
	res, err := statsScript.Run(ctx, s.rdb, []string{s.keys.stats(queue)}, s.keys.base(queue), s.now()).Result()
	if err != nil {
		return job.QueueStats{}, rdb.Wrap("queue stats", err)
	}
	return statsReply(queue, res)
}

// statsReply reads stats.lua's eleven counts.
func statsReply(queue string, v any) (job.QueueStats, error) {
	d := reply.New("queue stats")
	res := d.Int64s(d.Exactly(v, 11), 11)
	return job.QueueStats{Queue: queue, Paused: res[0] == 1, Pending: res[1], Scheduled: res[2], Active: res[3],
		Retry: res[4], Dead: res[5], Completed: res[6], Processed: res[7], Failed: res[8],
		ProcessedLastMinute: res[9], FailedLastMinute: res[10]}, d.Err()
}

// List runs list.lua: one round trip.
func (s *Store) List(ctx context.Context, queue string, state job.State, offset, limit int) ([]job.Job, int64, error) {
	if _, err := job.ParseState(string(state)); err != nil {
		return nil, 0, err
	}
	if offset < 0 || limit < 0 {
		return nil, 0, fmt.Errorf("%w: offset and limit must not be negative", job.ErrInvalid)
	}
	res, err := listScript.Run(ctx, s.rdb, []string{s.keys.active(queue)},
		s.keys.base(queue), string(state), offset, limit).Result()
	if err != nil {
		return nil, 0, rdb.Wrap("list jobs", err)
	}
	return listReply(queue, res)
}

// Get runs get.lua: one round trip.
func (s *Store) Get(ctx context.Context, queue, id string) (job.Job, error) {
	res, err := getScript.Run(ctx, s.rdb, []string{s.keys.job(queue, id), s.keys.active(queue)},
		s.keys.base(queue), id).Result()
	if err != nil {
		return job.Job{}, rdb.Wrap("get job", err)
	}
	d := reply.New("get job")
	a := d.Array(res, 1)
	return decode(&d, queue, id, a[0], a[1:])
}

// RunNow runs run_now.lua: one round trip.
func (s *Store) RunNow(ctx context.Context, queue, id string) error {
	n, err := runNowScript.Run(ctx, s.rdb, []string{s.keys.job(queue, id)}, s.keys.base(queue), id, s.now()).Int()
	if err != nil {
		return rdb.Wrap("run job now", err)
	}
	return stateResult(n, "only dead, retrying or scheduled jobs can be run now")
}

// Delete runs delete.lua: one round trip.
func (s *Store) Delete(ctx context.Context, queue, id string) error {
	n, err := deleteScript.Run(ctx, s.rdb, []string{s.keys.job(queue, id)}, s.keys.base(queue), id).Int()
	if err != nil {
		return rdb.Wrap("delete job", err)
	}
	return stateResult(n, "a running job cannot be deleted")
}

func stateResult(n int, conflict string) error {
	switch n {
	case 0:
		return job.ErrNotFound
	case -1:
		return fmt.Errorf("%w: %s", job.ErrState, conflict)
	}
	return nil
}

// SetPaused is one SET (pause) or resume.lua (resume, which also wakes a worker): one round trip.
func (s *Store) SetPaused(ctx context.Context, queue string, paused bool) error {
	if err := s.register(ctx, queue); err != nil {
		return err
	}
	var err error
	if paused {
		err = s.rdb.Set(ctx, s.keys.paused(queue), "1", 0).Err()
	} else {
		err = resumeScript.Run(ctx, s.rdb, []string{s.keys.paused(queue)}, s.keys.base(queue)).Err()
	}
	return rdb.Wrap("pause queue", err)
}

// purgeBatch bounds the work of one purge.lua call, so a large purge never blocks Redis for long.
const purgeBatch = 1000

// PurgeDead runs purge.lua once per 1,000 dead jobs (one round trip for up to 999).
func (s *Store) PurgeDead(ctx context.Context, queue string) (int64, error) {
	var total int64
	for {
		n, err := purgeScript.Run(ctx, s.rdb, []string{s.keys.dead(queue)}, s.keys.base(queue), purgeBatch).Int64()
		if err != nil {
			return total, rdb.Wrap("purge dead jobs", err)
		}
		total += n
		if n < purgeBatch {
			return total, nil
		}
	}
}

// trimBudget bounds the jobs one trim.lua call removes per set.
const trimBudget = 500

// Trim runs trim.lua until the retention holds: one round trip per 500 removals per set.
func (s *Store) Trim(ctx context.Context, queue string, r job.Retention) (int64, error) {
	var total int64
	for {
		res, err := trimScript.Run(ctx, s.rdb, []string{s.keys.done(queue), s.keys.dead(queue)},
			s.keys.base(queue), s.now(), r.Completed.Milliseconds(), r.CompletedMax,
			r.Dead.Milliseconds(), r.DeadMax, trimBudget).Result()
		if err != nil {
			return total, rdb.Wrap("trim jobs", err)
		}
		d := reply.New("trim jobs")
		a := d.Int64s(d.Exactly(res, 2), 2)
		if err := d.Err(); err != nil {
			return total, err
		}
		total += a[0]
		if a[1] == 0 {
			return total, nil
		}
	}
}
