package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bsm/redislock"
	"github.com/go-redsync/redsync/v4"
	"github.com/go-redsync/redsync/v4/redis/goredis/v9"
	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/lockredis"
	"github.com/statekit/statekit/adapters/redis/semaphoreredis"
	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/app/semaphoreapp"
)

// The locks scenarios: statekit's locks (lockapp over lockredis, fencing tokens on — every acquisition
// issues one — and automatic renewal on, as a Go caller gets them by default) against go-redsync/redsync v4
// and bsm/redislock on the same redis-server, alternating A B A B for Rounds rounds on a flushed keyspace:
//
//	locks-distinct          16 goroutines, acquire+release pairs on 1,000 names picked at random (pairs/s)
//	locks-contended         16 goroutines, acquire+release pairs on one name (pairs/s); every side blocks
//	                        until it gets the lock; each critical section is checked to be alone
//
// The distinct and contended lines also carry redis_us_per_pair and peer_redis_us_per_pair: redis-server CPU
// time (INFO cpu) per pair, the median over the runs, so what a side costs the shared Redis can be read apart
// from this machine's client-side speed and noise.
//
//	semaphore-cap8          16 goroutines, acquire+release of one permit of a pool of capacity 8 (pairs/s),
//	                        against the cheapest raw-redis counting semaphore (INCR, DECR when over, retry)
//	locks-memory-held       Redis bytes per held lock (INFO used_memory delta over 10,000 held locks);
//	                        statekit= and peer_ops= are bytes per lock, lower is better
//
// The peers block the way they are meant to: redsync polls (its retry delay tuned to 1 ms, far below its
// 50-250 ms default, so that polling is not what makes it slow), redislock retries with a 1 ms linear
// backoff. statekit waits in the lock's FIFO queue and is handed the lock by the releasing script.
func init() { scenarios["locks"] = runLocks }

const (
	locksConc        = 16
	locksNames       = 1_000
	locksDistinctN   = 15_000
	locksContendedN  = 3_000
	locksSemN        = 10_000
	locksRepeats     = 3 // Alternate runs per scenario: Rounds x locksRepeats alternations per side
	locksSemCapacity = 8
	locksMemN        = 10_000
	locksTTL         = 10 * time.Second
	locksPrefix      = "bench"
	locksTimeout     = 5 * time.Minute
)

func runLocks() error {
	srv, err := StartRedis()
	if err != nil {
		return err
	}
	defer srv.Stop()
	c := srv.Client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), locksTimeout)
	defer cancel()

	svc, closeStore, err := locksService(c)
	if err != nil {
		return err
	}
	defer closeStore()
	rs := redsync.New(goredis.NewPool(c))
	rl := redislock.New(c)

	type peer struct {
		name string
		run  func(name string, held func() error) error // one blocking acquire+release pair on name
	}
	peers := []peer{
		{"redsync", func(name string, held func() error) error {
			m := rs.NewMutex(name, redsync.WithExpiry(locksTTL), redsync.WithTries(1<<30),
				redsync.WithRetryDelayFunc(func(int) time.Duration { return time.Millisecond }))
			if err := m.LockContext(ctx); err != nil {
				return err
			}
			herr := held()
			_, err := m.UnlockContext(ctx)
			return errors.Join(herr, err)
		}},
		{"redislock", func(name string, held func() error) error {
			l, err := rl.Obtain(ctx, name, locksTTL, &redislock.Options{RetryStrategy: redislock.LinearBackoff(time.Millisecond)})
			if err != nil {
				return err
			}
			herr := held()
			return errors.Join(herr, l.Release(ctx))
		}},
	}
	ours := func(name string, held func() error) error {
		l, err := svc.Acquire(ctx, name, lockapp.WithTTL(locksTTL))
		if err != nil {
			return err
		}
		herr := held()
		if l.Fence() <= 0 {
			herr = fmt.Errorf("no fencing token for %s", name)
		}
		return errors.Join(herr, l.Release(ctx))
	}

	for _, p := range peers {
		name := "locks-distinct"
		oc, qc := redisCost{srv: srv, n: locksDistinctN}, redisCost{srv: srv, n: locksDistinctN}
		o, q, err := alternate(srv.Flush,
			oc.of(func() (float64, error) { return pairs(locksDistinctN, distinctName, ours, false) }),
			qc.of(func() (float64, error) { return pairs(locksDistinctN, distinctName, p.run, false) }))
		if err != nil {
			return Fail(name, err)
		}
		Line(name, locksConc, o, p.name, q, oc.field("redis_us_per_pair"), qc.field("peer_redis_us_per_pair"))
	}
	for _, p := range peers {
		name := "locks-contended"
		one := func(int) string { return "contended" }
		oc, qc := redisCost{srv: srv, n: locksContendedN}, redisCost{srv: srv, n: locksContendedN}
		o, q, err := alternate(srv.Flush,
			oc.of(func() (float64, error) { return pairs(locksContendedN, one, ours, true) }),
			qc.of(func() (float64, error) { return pairs(locksContendedN, one, p.run, true) }))
		if err != nil {
			return Fail(name, err)
		}
		Line(name, locksConc, o, p.name, q, oc.field("redis_us_per_pair"), qc.field("peer_redis_us_per_pair"))
	}

	sem, closeSem, err := semService(c)
	if err != nil {
		return err
	}
	defer closeSem()
	o, q, err := alternate(srv.Flush,
		func() (float64, error) { return semOurs(ctx, sem) },
		func() (float64, error) { return semRaw(ctx, c) })
	if err != nil {
		return Fail("semaphore-cap8", err)
	}
	Line("semaphore-cap8", locksConc, o, "raw-redis", q)

	return locksMemory(ctx, srv, svc, rl)
}

// alternate runs Alternate locksRepeats times and returns the median of each side's medians: the machine is
// shared and noisy, and more alternations make the ratio steadier.
func alternate(reset func() error, ours, peer func() (float64, error)) (float64, float64, error) {
	var a, b []float64
	for i := 0; i < locksRepeats; i++ {
		o, p, err := Alternate(reset, ours, peer)
		if err != nil {
			return 0, 0, err
		}
		a, b = append(a, o), append(b, p)
	}
	return Median(a), Median(b), nil
}

// redisCost records the redis-server CPU time (INFO cpu, user + system) each run of a side took per pair:
// what a lock costs the shared Redis, apart from how fast this machine's client side is.
type redisCost struct {
	srv  *Server
	n    int
	runs []float64
}

func (c *redisCost) of(run func() (float64, error)) func() (float64, error) {
	return func() (float64, error) {
		before, err := c.srv.CPUSeconds()
		if err != nil {
			return 0, err
		}
		rate, err := run()
		if err != nil {
			return 0, err
		}
		after, err := c.srv.CPUSeconds()
		if err != nil {
			return 0, err
		}
		c.runs = append(c.runs, (after-before)*1e6/float64(c.n))
		return rate, nil
	}
}

// field is the median cost per pair as a BENCH field.
func (c *redisCost) field(key string) string { return fmt.Sprintf("%s=%.1f", key, Median(c.runs)) }

func locksService(c redis.UniversalClient) (*lockapp.Service, func(), error) {
	store, err := lockredis.New(c, lockredis.DefaultConfig(locksPrefix), nil)
	if err != nil {
		return nil, nil, err
	}
	return lockapp.NewService(store, store, lockapp.DefaultConfig()), func() { _ = store.Close() }, nil
}

func semService(c redis.UniversalClient) (*semaphoreapp.Service, func(), error) {
	store, err := semaphoreredis.New(c, semaphoreredis.DefaultConfig(locksPrefix), nil)
	if err != nil {
		return nil, nil, err
	}
	return semaphoreapp.NewService(store, semaphoreapp.DefaultConfig()), func() { _ = store.Close() }, nil
}

func distinctName(int) string { return "name-" + strconv.Itoa(rand.IntN(locksNames)) }

// pairs runs n acquire+release pairs from locksConc goroutines and returns pairs per second. run calls held
// while it holds the lock; with exclusive set (one shared name) held checks that no other holder is inside.
func pairs(n int, name func(int) string, run func(string, func() error) error, exclusive bool) (float64, error) {
	var (
		next, done, inside atomic.Int64
		wg                 sync.WaitGroup
		mu                 sync.Mutex
		errs               []error
	)
	held := func() error {
		if !exclusive {
			return nil
		}
		defer inside.Add(-1)
		if k := inside.Add(1); k != 1 {
			return fmt.Errorf("%d holders of one lock at once", k)
		}
		return nil
	}
	start := time.Now()
	for g := 0; g < locksConc; g++ {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				if err := run(name(g), held); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	if done.Load() != int64(n) {
		return 0, fmt.Errorf("%d of %d pairs done", done.Load(), n)
	}
	return float64(n) / elapsed.Seconds(), nil
}

// semOurs runs acquire+release pairs of one permit against a capacity-8 pool, checking with its own counter
// that no more than 8 are ever out.
func semOurs(ctx context.Context, svc *semaphoreapp.Service) (float64, error) {
	var inUse, peak atomic.Int64
	rate, err := pairs(locksSemN, func(int) string { return "pool" }, func(pool string, _ func() error) error {
		p, err := svc.Acquire(ctx, pool, semaphoreapp.WithCapacity(locksSemCapacity), semaphoreapp.WithTTL(locksTTL))
		if err != nil {
			return err
		}
		track(&inUse, &peak)
		return p.Release(ctx)
	}, false)
	if err == nil && peak.Load() > locksSemCapacity {
		err = fmt.Errorf("%d permits out at once, capacity %d", peak.Load(), locksSemCapacity)
	}
	return rate, err
}

// semRaw is the cheapest counting semaphore on raw Redis: INCR; over the capacity, DECR and retry after
// 1 ms; DECR to release. No expiry, no fairness, no owner: the floor of what a semaphore can cost.
func semRaw(ctx context.Context, c redis.UniversalClient) (float64, error) {
	var inUse, peak atomic.Int64
	rate, err := pairs(locksSemN, func(int) string { return "raw-pool" }, func(key string, _ func() error) error {
		for {
			n, err := c.Incr(ctx, key).Result()
			if err != nil {
				return err
			}
			if n <= locksSemCapacity {
				break
			}
			if err := c.Decr(ctx, key).Err(); err != nil {
				return err
			}
			time.Sleep(time.Millisecond)
		}
		track(&inUse, &peak)
		return c.Decr(ctx, key).Err()
	}, false)
	if err == nil && peak.Load() > locksSemCapacity {
		err = fmt.Errorf("%d permits out at once, capacity %d", peak.Load(), locksSemCapacity)
	}
	return rate, err
}

// track counts one holder in and out, keeping the peak.
func track(inUse, peak *atomic.Int64) {
	n := inUse.Add(1)
	for {
		old := peak.Load()
		if n <= old || peak.CompareAndSwap(old, n) {
			break
		}
	}
	inUse.Add(-1)
}

// locksMemory measures Redis bytes per held lock: statekit (lock key + fence key) against redislock (one key).
func locksMemory(ctx context.Context, srv *Server, svc *lockapp.Service, rl *redislock.Client) error {
	measure := func(take func(name string) error) (float64, error) {
		if err := srv.Flush(); err != nil {
			return 0, err
		}
		before, err := srv.UsedMemory()
		if err != nil {
			return 0, err
		}
		for i := 0; i < locksMemN; i++ {
			if err := take("mem-" + strconv.Itoa(i)); err != nil {
				return 0, err
			}
		}
		after, err := srv.UsedMemory()
		if err != nil {
			return 0, err
		}
		return float64(after-before) / locksMemN, nil
	}
	var held []*lockapp.Lock
	ours, err := measure(func(name string) error {
		l, err := svc.TryAcquire(ctx, name, lockapp.WithTTL(time.Minute), lockapp.WithoutRenewal())
		held = append(held, l)
		return err
	})
	for _, l := range held {
		if l != nil {
			_ = l.Release(ctx)
		}
	}
	if err != nil {
		return Fail("locks-memory-held", err)
	}
	peer, err := measure(func(name string) error {
		_, err := rl.Obtain(ctx, name, time.Minute, nil)
		return err
	})
	if err != nil {
		return Fail("locks-memory-held", err)
	}
	Line("locks-memory-held", 1, ours, "redislock", peer)
	return nil
}
