// Package semaphoreredis implements ports.Semaphore on Redis: named pools of expiring, weighted permits with a
// strict FIFO wait queue whose head is granted permits by the script that frees them and woken over pub/sub,
// or, when it waits in the releasing process, straight from the release's reply.
// Every operation is one Lua script in lua/: one round trip, atomic, in the pool's hash slot.
package semaphoreredis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/adaptive"
	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/adapters/redis/wakeup"
	"github.com/statekit/statekit/domain/semaphore"
	"github.com/statekit/statekit/ports"
)

// Config tunes the Redis semaphore store.
type Config struct {
	// Prefix starts every key.
	Prefix string
	// WaiterLease is how long a wait-queue entry lives without its waiter looking again (waiters look again
	// within a third of it); a waiter that died is skipped once it lapses.
	WaiterLease time.Duration
	// AutoPipeline sends the scripts of concurrent callers to Redis together: calls made while others are in
	// flight share the next pipeline (see package adaptive); a lone call goes at once.
	AutoPipeline bool
}

// DefaultConfig is a 3 s waiter lease with autopipelining on.
func DefaultConfig(prefix string) Config {
	return Config{Prefix: prefix, WaiterLease: 3 * time.Second, AutoPipeline: true}
}

// Validate reports every problem with the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Prefix == "" {
		errs = append(errs, errors.New("semaphore store: empty key prefix"))
	}
	if c.WaiterLease < 30*time.Millisecond {
		errs = append(errs, fmt.Errorf("semaphore waiter lease %s: must be at least 30ms", c.WaiterLease))
	}
	return errors.Join(errs...)
}

// Store is the Redis semaphore store.
type Store struct {
	run   *adaptive.Runner
	keys  keys
	cfg   Config
	clock ports.Clock
	hub   *wakeup.Hub[semaphore.Wake]
}

var _ ports.Semaphore = (*Store)(nil)

// New returns a store on client. With a nil clock the scripts read Redis TIME; a clock (tests) makes them use
// its time for leases and queue entries.
func New(client redis.UniversalClient, cfg Config, clock ports.Clock) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	run, err := adaptive.New(client, adaptive.Pipelined(cfg.AutoPipeline))
	if err != nil {
		return nil, fmt.Errorf("semaphore store: %w", err)
	}
	s := &Store{run: run, keys: newKeys(cfg.Prefix), cfg: cfg, clock: clock}
	s.hub = wakeup.New(client, wakeup.NewChannel(s.keys.wakeBase()), func(data string) semaphore.Wake {
		return semaphore.Wake{Granted: data == "1"}
	})
	return s, nil
}

// Close stops the wake-up subscription. The client belongs to the caller.
func (s *Store) Close() error {
	s.run.Close()
	return s.hub.Close()
}

func (s *Store) now() int64 {
	if s.clock == nil {
		return 0
	}
	return s.clock.Now().UnixMilli()
}

// Acquire runs acquire.lua: one round trip.
func (s *Store) Acquire(ctx context.Context, req semaphore.Request) (semaphore.Attempt, error) {
	queue := "0"
	if req.Queue {
		queue = "1"
	}
	res, err := s.run.Run(ctx, acquireScript, s.keys.pool(req.Pool), req.ID, req.Weight, req.TTL.Milliseconds(),
		req.Capacity, queue, s.cfg.WaiterLease.Milliseconds(), s.hub.Channel(), s.now()).Int64Slice()
	if err != nil {
		return semaphore.Attempt{}, rdb.Wrap("acquire permit", err)
	}
	if len(res) == 0 || (res[0] != 1 && res[0] != -1 && len(res) < 2) {
		return semaphore.Attempt{}, fmt.Errorf("acquire permit: %w: %v", reply.ErrBadReply, res)
	}
	switch res[0] {
	case 1:
		return semaphore.Attempt{Acquired: true}, nil
	case -1:
		return semaphore.Attempt{}, fmt.Errorf("%w: %s", semaphore.ErrNoPool, req.Pool)
	case -2:
		return semaphore.Attempt{}, fmt.Errorf("%w (weight %d, capacity %d)", semaphore.ErrTooHeavy, req.Weight, res[1])
	}
	retry := time.Duration(res[1]) * time.Millisecond
	if req.Queue {
		retry = min(retry, s.cfg.WaiterLease/3)
	}
	return semaphore.Attempt{RetryIn: retry}, nil
}

// Refresh runs refresh.lua: one round trip.
func (s *Store) Refresh(ctx context.Context, pool, id string, ttl time.Duration) error {
	n, err := s.run.Run(ctx, refreshScript, s.keys.pool(pool), id, ttl.Milliseconds(), s.now()).Int()
	if err != nil {
		return rdb.Wrap("refresh permit", err)
	}
	if n == 0 {
		return semaphore.ErrNotHeld
	}
	return nil
}

// Release runs release.lua: one round trip, sent ahead of queued calls since waiters may wait on it. Permits
// granted to waiters of this process are passed to them here, from the script's reply, instead of over
// pub/sub.
func (s *Store) Release(ctx context.Context, pool, id string) error {
	res, err := s.run.RunFirst(ctx, releaseScript, s.keys.pool(pool), id, s.now(), s.hub.Channel()).Result()
	if err != nil {
		return rdb.Wrap("release permit", err)
	}
	n, err := s.handOver(res)
	if err != nil {
		return fmt.Errorf("release permit: %w", err)
	}
	if n == 0 {
		return semaphore.ErrNotHeld
	}
	return nil
}

// handOver reads release.lua's reply: 1 or 0 (whether the permit was held), alone or followed by the ids of
// waiters of this process granted their permits, which it wakes.
func (s *Store) handOver(res any) (int64, error) {
	if n, ok := res.(int64); ok {
		return n, nil
	}
	d := reply.New("release permit")
	vals := d.Array(res, 2)
	n := d.Int64(vals[0])
	waiters := d.Strings(vals[1:])
	if err := d.Err(); err != nil {
		return 0, err
	}
	for _, waiter := range waiters {
		if waiter == "" {
			d.Fail("a waiter's id", waiter)
			return 0, d.Err()
		}
		s.hub.Deliver(waiter, semaphore.Wake{Granted: true})
	}
	return n, nil
}

// Leave runs leave.lua: one round trip.
func (s *Store) Leave(ctx context.Context, pool, id string) error {
	return rdb.Wrap("leave semaphore queue", s.run.Run(ctx, leaveScript, s.keys.pool(pool), id, s.now()).Err())
}

// Notify registers id with the process's wake-up subscription (subscribing first if needed: one round trip,
// once per process).
func (s *Store) Notify(ctx context.Context, id string) (<-chan semaphore.Wake, func(), error) {
	return s.hub.Register(ctx, id)
}

// SetCapacity runs capacity.lua: one round trip.
func (s *Store) SetCapacity(ctx context.Context, pool string, capacity int) (semaphore.Stats, error) {
	res, err := s.run.Run(ctx, capacityScript, s.keys.pool(pool), capacity, s.now()).Int64Slice()
	if err != nil {
		return semaphore.Stats{}, rdb.Wrap("set semaphore capacity", err)
	}
	return stats(pool, res)
}

// Stats runs stats.lua (read-only): one round trip.
func (s *Store) Stats(ctx context.Context, pool string) (semaphore.Stats, error) {
	res, err := s.run.Run(ctx, statsScript, s.keys.pool(pool), s.now()).Int64Slice()
	if err != nil {
		return semaphore.Stats{}, rdb.Wrap("semaphore stats", err)
	}
	if len(res) == 1 && res[0] == -1 {
		return semaphore.Stats{}, fmt.Errorf("%w: %s", semaphore.ErrNoPool, pool)
	}
	return stats(pool, res)
}

func stats(pool string, res []int64) (semaphore.Stats, error) {
	if len(res) != 4 {
		return semaphore.Stats{}, fmt.Errorf("semaphore stats: %w: %v", reply.ErrBadReply, res)
	}
	return semaphore.Stats{Pool: pool, Capacity: int(res[0]), Used: int(res[1]), Holders: int(res[2]), Waiters: int(res[3])}, nil
}

// Delete runs delete.lua: one round trip.
func (s *Store) Delete(ctx context.Context, pool string) error {
	n, err := s.run.Run(ctx, deleteScript, s.keys.pool(pool), s.now()).Int()
	if err != nil {
		return rdb.Wrap("delete semaphore", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", semaphore.ErrNoPool, pool)
	}
	return nil
}
