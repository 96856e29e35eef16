// Package lockredis implements ports.Locker and ports.FencedStore on Redis: exclusive and shared (read-write)
// locks with owner tokens, fencing tokens issued in the acquiring script, FIFO wait queues whose head is
// handed the lock by the releasing script and woken over pub/sub, all-or-nothing multi-locks, and Redlock
// over several independent masters (redlock.go). Every change is one Lua script in lua/, one round trip per
// hash slot touched.
package lockredis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/adaptive"
	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/adapters/redis/wakeup"
	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/ports"
)

// Config tunes the Redis lock store.
type Config struct {
	// Prefix starts every key.
	Prefix string
	// WaiterLease is how long a wait-queue entry lives without its waiter looking again (waiters look again
	// within a third of it). A waiter that died is skipped by the next hand-over once it lapses.
	WaiterLease time.Duration
	// FenceRetention is how long a lock name's fence count lives after it started or its holder last
	// extended (at least twice the lease it started with). It bounds the fencing state of idle names; fences
	// stay increasing past it because a count starts at the Redis clock in microseconds and gains one per
	// grant.
	FenceRetention time.Duration
	// AutoPipeline sends the scripts of concurrent callers to Redis together: calls made while others are in
	// flight share the next pipeline (see package adaptive); a lone call goes at once, so a contended lock's
	// hand-over never waits for a batch.
	AutoPipeline bool
	// RedlockURLs, when set, are the redis:// URLs of at least three independent masters: ports.Locker is
	// then a Redlock over them instead of the shared client's store.
	RedlockURLs []string
}

// DefaultConfig is a 3 s waiter lease, a 24 h fence retention and autopipelining on.
func DefaultConfig(prefix string) Config {
	return Config{Prefix: prefix, WaiterLease: 3 * time.Second, FenceRetention: 24 * time.Hour, AutoPipeline: true}
}

// Validate reports every problem with the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Prefix == "" {
		errs = append(errs, errors.New("lock store: empty key prefix"))
	}
	if c.WaiterLease < 30*time.Millisecond {
		errs = append(errs, fmt.Errorf("lock waiter lease %s: must be at least 30ms", c.WaiterLease))
	}
	if c.FenceRetention < time.Second {
		errs = append(errs, fmt.Errorf("lock fence retention %s: must be at least 1s", c.FenceRetention))
	}
	if n := len(c.RedlockURLs); n > 0 && n < 3 {
		errs = append(errs, fmt.Errorf("redlock: %d masters: want at least 3 independent masters", n))
	}
	for _, u := range c.RedlockURLs {
		if _, err := redlockOptions(u); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Store is the Redis lock store on one Redis deployment (a node or a cluster).
type Store struct {
	client  redis.UniversalClient
	run     *adaptive.Runner
	keys    keys
	cluster bool
	cfg     Config
	clock   ports.Clock
	hub     *wakeup.Hub[lock.Wake]
}

var (
	_ ports.Locker      = (*Store)(nil)
	_ ports.FencedStore = (*Store)(nil)
)

// New returns a store on client. With a nil clock the scripts read Redis TIME; a clock (tests) makes them
// use its time for shared leases and queue entries (exclusive leases always run on Redis's own expiry).
func New(client redis.UniversalClient, cfg Config, clock ports.Clock) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	run, err := adaptive.New(client, adaptive.Pipelined(cfg.AutoPipeline))
	if err != nil {
		return nil, fmt.Errorf("lock store: %w", err)
	}
	s := &Store{client: client, run: run, keys: newKeys(cfg.Prefix), cfg: cfg, clock: clock}
	_, s.cluster = client.(*redis.ClusterClient)
	s.hub = wakeup.New(client, wakeup.NewChannel(s.keys.wakeBase()), decodeWake)
	return s, nil
}

// Close stops the wake-up subscription. The client belongs to the caller.
func (s *Store) Close() error {
	s.run.Close()
	return s.hub.Close()
}

// decodeWake reads "<fence> <exclusive key>": the name is the key's hash tag.
func decodeWake(data string) lock.Wake {
	fence, key, _ := strings.Cut(data, " ")
	f, err := strconv.ParseInt(fence, 10, 64)
	_, tagged, _ := strings.Cut(key, "{")
	name, _, closed := strings.Cut(tagged, "}")
	if err != nil || f < 1 || !closed {
		return lock.Wake{}
	}
	return lock.Wake{Granted: true, Fence: f, Name: name}
}

func (s *Store) now() int64 {
	if s.clock == nil {
		return 0
	}
	return s.clock.Now().UnixMilli()
}

// keep is the fence retention for a lease of ttl: never shorter than twice the lease.
func (s *Store) keep(ttl time.Duration) int64 {
	return max(s.cfg.FenceRetention, 2*ttl).Milliseconds()
}

func modeArg(m lock.Mode) string {
	if m == lock.Shared {
		return "s"
	}
	return "x"
}

func (s *Store) groupKeys(names []string, idx []int) []string {
	keys := make([]string, 0, len(idx)*keysPerLock)
	for _, i := range idx {
		keys = s.keys.lockKeys(keys, names[i])
	}
	return keys
}

// Acquire runs acquire.lua once per hash slot of the request (once in all on a single node), slots in a
// fixed order; when a slot fails, the slots taken before it are released (release.lua, one round trip each).
func (s *Store) Acquire(ctx context.Context, req lock.Request) (lock.Attempt, error) {
	groups := groupBySlot(req.Names, s.cluster)
	fences := make([]int64, len(req.Names))
	queue := "0"
	if req.Queue && len(req.Names) == 1 {
		queue = "1"
	}
	for gi, g := range groups {
		res, err := s.run.Run(ctx, acquireScript, s.groupKeys(req.Names, g),
			req.Token, modeArg(req.Mode), req.TTL.Milliseconds(), queue, s.cfg.WaiterLease.Milliseconds(),
			s.hub.Channel(), s.keep(req.TTL), s.now()).Int64Slice()
		if err == nil && len(res) != 1+len(g) && !(len(res) == 3 && res[0] == 0) {
			err = fmt.Errorf("%w: %v", reply.ErrBadReply, res)
		}
		if err != nil {
			s.rollback(ctx, req, groups[:gi])
			return lock.Attempt{}, rdb.Wrap("acquire lock", err)
		}
		if res[0] == 0 {
			s.rollback(ctx, req, groups[:gi])
			retry := time.Duration(res[1]) * time.Millisecond
			if queue == "1" {
				retry = min(retry, s.cfg.WaiterLease/3)
			}
			return lock.Attempt{RetryIn: retry}, nil
		}
		for j, i := range g {
			fences[i] = res[1+j]
		}
	}
	return lock.Attempt{Acquired: true, Fences: fences}, nil
}

// rollback releases the slot groups an all-or-nothing acquisition took before one failed. It runs even when
// ctx is done, bounded by a second, and its errors are dropped: the leases expire anyway.
func (s *Store) rollback(ctx context.Context, req lock.Request, groups [][]int) {
	if len(groups) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	for _, g := range groups {
		_ = s.run.Run(ctx, releaseScript, s.groupKeys(req.Names, g), req.Token, s.keep(req.TTL), s.now()).Err()
	}
}

// Extend runs extend.lua once per hash slot of names.
func (s *Store) Extend(ctx context.Context, names []string, token string, ttl time.Duration) error {
	held := 0
	for _, g := range groupBySlot(names, s.cluster) {
		n, err := s.run.Run(ctx, extendScript, s.groupKeys(names, g), token, ttl.Milliseconds(), s.keep(ttl), s.now()).Int()
		if err != nil {
			return rdb.Wrap("extend lock", err)
		}
		held += n
	}
	if held < len(names) {
		return fmt.Errorf("%w: %d of %d names", lock.ErrNotHeld, len(names)-held, len(names))
	}
	return nil
}

// Release runs release.lua once per hash slot of names. A name handed to a waiter of this process is
// passed to it here, from the script's reply, instead of over pub/sub.
func (s *Store) Release(ctx context.Context, names []string, token string) error {
	held := 0
	for _, g := range groupBySlot(names, s.cluster) {
		res, err := s.run.RunFirst(ctx, releaseScript, s.groupKeys(names, g), token, s.cfg.FenceRetention.Milliseconds(), s.now(),
			s.hub.Channel()).Result()
		if err != nil {
			return rdb.Wrap("release lock", err)
		}
		n, err := s.handOver(names, g, res)
		if err != nil {
			return fmt.Errorf("release lock: %w", err)
		}
		held += n
	}
	if held < len(names) {
		return fmt.Errorf("%w: %d of %d names", lock.ErrNotHeld, len(names)-held, len(names))
	}
	return nil
}

// handOver reads release.lua's reply for the slot group g of names: the count of names released, alone or
// followed by (index in g from 1, waiter token, fence) for each name handed to a waiter of this process,
// which it wakes.
func (s *Store) handOver(names []string, g []int, res any) (int, error) {
	if n, ok := res.(int64); ok {
		return int(n), nil
	}
	d := reply.New("release lock")
	vals := d.Array(res, 1)
	n := d.Int(vals[0])
	if (len(vals)-1)%3 != 0 {
		d.Fail("a count and (index, waiter, fence) triples", res)
	}
	for i := 1; i+2 < len(vals) && d.Err() == nil; i += 3 {
		idx, waiter, fence := d.Int(vals[i]), d.String(vals[i+1]), d.Int64(vals[i+2])
		if d.Err() == nil && (idx < 1 || idx > len(g) || waiter == "" || fence < 1) {
			d.Fail("a hand-over to a waiter of one of the names", vals[i:i+3])
		}
		if d.Err() == nil {
			s.hub.Deliver(waiter, lock.Wake{Granted: true, Fence: fence, Name: names[g[idx-1]]})
		}
	}
	return n, d.Err()
}

// Leave runs leave.lua: one round trip.
func (s *Store) Leave(ctx context.Context, name, token string) error {
	err := s.run.Run(ctx, leaveScript, s.keys.lockKeys(nil, name), token, s.cfg.FenceRetention.Milliseconds(), s.now()).Err()
	return rdb.Wrap("leave lock queue", err)
}

// Notify registers token with the process's wake-up subscription (subscribing first if needed: one round
// trip, once per process).
func (s *Store) Notify(ctx context.Context, token string) (<-chan lock.Wake, func(), error) {
	return s.hub.Register(ctx, token)
}

// Inspect runs inspect.lua (read-only): one round trip.
func (s *Store) Inspect(ctx context.Context, name string) (lock.State, error) {
	res, err := s.run.Run(ctx, inspectScript, s.keys.lockKeys(nil, name), s.now()).Result()
	if err != nil {
		return lock.State{}, rdb.Wrap("inspect lock", err)
	}
	return inspectReply(name, res)
}

// inspectReply reads inspect.lua's {mode (x, s or ”), holders, ttl ms, fence, waiters}.
func inspectReply(name string, res any) (lock.State, error) {
	d := reply.New("inspect lock")
	a := d.Exactly(res, 5)
	st := lock.State{Name: name}
	switch d.String(a[0]) {
	case "x":
		st.Held, st.Mode = true, lock.Exclusive
	case "s":
		st.Held, st.Mode = true, lock.Shared
	}
	st.Holders = d.Int(a[1])
	st.TTL = time.Duration(d.Int64(a[2])) * time.Millisecond
	st.Fence = d.Int64(a[3])
	st.Waiters = d.Int(a[4])
	if err := d.Err(); err != nil {
		return lock.State{}, err
	}
	return st, nil
}

// Set runs fenced_set.lua: one round trip.
func (s *Store) Set(ctx context.Context, key, value string, fence int64, ttl time.Duration) error {
	res, err := s.run.Run(ctx, fencedSetScript, []string{s.keys.fenced(key)}, value, fence, ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return rdb.Wrap("fenced write", err)
	}
	if len(res) != 2 {
		return fmt.Errorf("fenced write: %w: %v", reply.ErrBadReply, res)
	}
	if res[0] == 0 {
		return lock.CheckFence(res[1], fence)
	}
	return nil
}

// Get reads a fenced value with HMGET: one round trip.
func (s *Store) Get(ctx context.Context, key string) (string, int64, bool, error) {
	vals, err := s.run.Client().HMGet(ctx, s.keys.fenced(key), "v", "f").Result()
	if err != nil {
		return "", 0, false, rdb.Wrap("fenced read", err)
	}
	d := reply.New("fenced read")
	a := d.Exactly(vals, 2)
	v, ok := d.OptString(a[0])
	if !ok {
		return "", 0, false, d.Err()
	}
	fence := d.Number(a[1])
	if err := d.Err(); err != nil {
		return "", 0, false, err
	}
	return v, fence, true, nil
}
