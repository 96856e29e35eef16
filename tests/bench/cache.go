package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gocache "github.com/go-redis/cache/v9"
	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/cacheredis"
	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/ports"
)

// The cache scenarios, statekit's multi-tier cache against go-redis/cache v9 (TinyLFU local cache) on the
// same redis-server:
//   - cache.l1_get: gets/s answered by the in-process tier, 16 goroutines over 1,000 hot keys;
//   - cache.l2_get: gets/s answered by Redis with the in-process tier off (one GET each on both sides);
//   - cache.stampede: loader runs for 1,000 goroutines, 500 on each of two instances, missing one key at once.
func init() { scenarios["cache"] = runCache }

const (
	cacheConc      = 16
	cacheKeys      = 1_000
	cacheSlice     = 100 * time.Millisecond // one timed slice; the sides alternate slice by slice
	cacheSlices    = 10                     // slices per side per round
	cacheMemItems  = 10_000
	cacheStampede  = 1_000
	cacheLoadSleep = 20 * time.Millisecond
)

// cacheUser is the cached value: a small record, as a cache typically holds.
type cacheUser struct {
	ID    int      `json:"id" msgpack:"id"`
	Name  string   `json:"name" msgpack:"name"`
	Email string   `json:"email" msgpack:"email"`
	Tags  []string `json:"tags" msgpack:"tags"`
}

func cacheValue(i int) cacheUser {
	return cacheUser{ID: i, Name: "user " + strconv.Itoa(i), Email: "user" + strconv.Itoa(i) + "@example.com",
		Tags: []string{"a", "b"}}
}

var cacheKeyNames = func() []string {
	out := make([]string, cacheKeys)
	for i := range out {
		out[i] = "u" + strconv.Itoa(i)
	}
	return out
}()

type cacheNopPublisher struct{}

func (cacheNopPublisher) Publish(context.Context, ...ports.Event) error { return nil }

func runCache() error {
	srv, err := StartRedis()
	if err != nil {
		return err
	}
	defer srv.Stop()
	ctx := context.Background()

	ours, peer, err := cacheGets(ctx, srv, true)
	if err != nil {
		return Fail("cache.l1_get", err)
	}
	Line("cache.l1_get", cacheConc, ours, "go-redis/cache", peer)

	ours, peer, err = cacheGets(ctx, srv, false)
	if err != nil {
		return Fail("cache.l2_get", err)
	}
	mem, peerMem, err := cacheMemory(ctx, srv)
	if err != nil {
		return Fail("cache.l2_get", err)
	}
	Line("cache.l2_get", cacheConc, ours, "go-redis/cache", peer,
		fmt.Sprintf("bytes_per_item=%d", mem), fmt.Sprintf("peer_bytes_per_item=%d", peerMem))

	ours, peer, err = Alternate(srv.Flush, func() (float64, error) { return cacheStampedeOurs(ctx, srv) },
		func() (float64, error) { return cacheStampedePeer(ctx, srv) })
	if err != nil {
		return Fail("cache.stampede", err)
	}
	if ours != 1 {
		return Fail("cache.stampede", fmt.Errorf("statekit ran the loader %v times (median), want exactly 1", ours))
	}
	Line("cache.stampede", cacheStampede, ours, "go-redis/cache", peer)
	return nil
}

// newCacheService is one statekit instance on its own client; l1 false turns the in-process tier off.
func newCacheService(c redis.UniversalClient, l1 bool) (*cacheapp.Service, error) {
	cfg := cacheapp.DefaultConfig()
	if !l1 {
		cfg.L1Size = 0
	}
	local, err := cacheapp.NewLocal(cfg, cacheredis.New(c, "bench"), nil)
	if err != nil {
		return nil, err
	}
	return cacheapp.NewService(local, cacheNopPublisher{}, nil), nil
}

// cacheGets measures gets/s of both sides, L1 on or off. The machine is shared and its load swings within
// seconds, so each of the Rounds rounds (fresh keyspace, fresh instances) alternates the sides slice by slice
// (A B A B ..., cacheSlices slices of cacheSlice each) and the medians of the per-round figures are reported.
func cacheGets(ctx context.Context, srv *Server, l1 bool) (float64, float64, error) {
	var ours, peers []float64
	for range Rounds {
		if err := srv.Flush(); err != nil {
			return 0, 0, err
		}
		o, p, err := cacheGetsRound(ctx, srv, l1)
		if err != nil {
			return 0, 0, err
		}
		ours, peers = append(ours, o), append(peers, p)
	}
	return Median(ours), Median(peers), nil
}

func cacheGetsRound(ctx context.Context, srv *Server, l1 bool) (float64, float64, error) {
	c := srv.Client()
	defer c.Close()
	svc, err := newCacheService(c, l1)
	if err != nil {
		return 0, 0, err
	}
	defer svc.Close(ctx)
	opt := &gocache.Options{Redis: c}
	if l1 {
		opt.LocalCache = gocache.NewTinyLFU(10_000, time.Minute)
	}
	pc := gocache.New(opt)
	for i, k := range cacheKeyNames {
		if err := cacheapp.Set(ctx, svc, "bench", k, cacheValue(i)); err != nil {
			return 0, 0, err
		}
		if _, err := cacheapp.Get[cacheUser](ctx, svc, "bench", k); err != nil { // into L1 when it is on
			return 0, 0, err
		}
		if err := pc.Set(&gocache.Item{Ctx: ctx, Key: k, Value: cacheValue(i), TTL: time.Hour}); err != nil {
			return 0, 0, err
		}
	}
	ourGet := func(i int) bool {
		v, err := cacheapp.Get[cacheUser](ctx, svc, "bench", cacheKeyNames[i])
		return err == nil && v.ID == i
	}
	peerGet := func(i int) bool {
		var v cacheUser
		err := pc.Get(ctx, cacheKeyNames[i], &v)
		return err == nil && v.ID == i
	}
	before := svc.Stats()
	var ourOps, peerOps int64
	var ourTime, peerTime time.Duration
	for range cacheSlices {
		n, d, err := timedGets(ourGet)
		if err != nil {
			return 0, 0, err
		}
		ourOps, ourTime = ourOps+n, ourTime+d
		if n, d, err = timedGets(peerGet); err != nil {
			return 0, 0, err
		}
		peerOps, peerTime = peerOps+n, peerTime+d
	}
	// Verify the tier that answered: every timed get was an L1 hit (L1 on) or an L2 hit (L1 off).
	s := svc.Stats()
	l1Hits, l2Hits := s.L1Hits-before.L1Hits, s.L2Hits-before.L2Hits
	if l1 && l1Hits != uint64(ourOps) || !l1 && l2Hits != uint64(ourOps) || s.Misses != before.Misses {
		return 0, 0, fmt.Errorf("tier check: %d gets, l1 hits %d, l2 hits %d, misses %d", ourOps, l1Hits, l2Hits, s.Misses-before.Misses)
	}
	return float64(ourOps) / ourTime.Seconds(), float64(peerOps) / peerTime.Seconds(), nil
}

// timedGets runs get from cacheConc goroutines for one slice over the hot keys and returns how many gets
// completed in how long; get reports whether it returned the right value for key index i.
func timedGets(get func(i int) bool) (int64, time.Duration, error) {
	var (
		wg    sync.WaitGroup
		stop  atomic.Bool
		total atomic.Int64
		bad   atomic.Int64
	)
	start := time.Now()
	for g := range cacheConc {
		wg.Go(func() {
			n := 0
			for i := g * 61; !stop.Load(); i++ {
				if !get(i % cacheKeys) {
					bad.Add(1)
				}
				n++
			}
			total.Add(int64(n))
		})
	}
	time.Sleep(cacheSlice)
	stop.Store(true)
	wg.Wait()
	if b := bad.Load(); b > 0 {
		return 0, 0, fmt.Errorf("%d of %d gets returned a wrong value or an error", b, total.Load())
	}
	return total.Load(), time.Since(start), nil
}

// cacheMemory is Redis's used_memory per stored item, for 10,000 items on each side.
func cacheMemory(ctx context.Context, srv *Server) (int64, int64, error) {
	measure := func(fill func(c *redis.Client) error) (int64, error) {
		if err := srv.Flush(); err != nil {
			return 0, err
		}
		c := srv.Client()
		defer c.Close()
		before, err := srv.UsedMemory()
		if err != nil {
			return 0, err
		}
		if err := fill(c); err != nil {
			return 0, err
		}
		after, err := srv.UsedMemory()
		return (after - before) / cacheMemItems, err
	}
	ours, err := measure(func(c *redis.Client) error {
		svc, err := newCacheService(c, false)
		if err != nil {
			return err
		}
		defer svc.Close(ctx)
		for i := range cacheMemItems {
			if err := cacheapp.Set(ctx, svc, "bench", "u"+strconv.Itoa(i), cacheValue(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	peer, err := measure(func(c *redis.Client) error {
		pc := gocache.New(&gocache.Options{Redis: c})
		for i := range cacheMemItems {
			if err := pc.Set(&gocache.Item{Ctx: ctx, Key: "u" + strconv.Itoa(i), Value: cacheValue(i), TTL: time.Hour}); err != nil {
				return err
			}
		}
		return nil
	})
	return ours, peer, err
}

// stampede runs cacheStampede goroutines, half on each of two instances, all calling get at once after a
// barrier, and returns how many times the loader ran.
func stampede(get func(instance int, load func() (cacheUser, error)) (cacheUser, error)) (float64, error) {
	var (
		loads atomic.Int64
		wg    sync.WaitGroup
		ready sync.WaitGroup
		start = make(chan struct{})
		bad   atomic.Int64
	)
	load := func() (cacheUser, error) {
		loads.Add(1)
		time.Sleep(cacheLoadSleep)
		return cacheValue(7), nil
	}
	ready.Add(cacheStampede)
	for g := range cacheStampede {
		wg.Go(func() {
			ready.Done()
			<-start
			v, err := get(g%2, load)
			if err != nil || v.ID != 7 {
				bad.Add(1)
			}
		})
	}
	ready.Wait()
	close(start)
	wg.Wait()
	if b := bad.Load(); b > 0 {
		return 0, fmt.Errorf("%d of %d stampede reads failed", b, cacheStampede)
	}
	return float64(loads.Load()), nil
}

func cacheStampedeOurs(ctx context.Context, srv *Server) (float64, error) {
	var svcs [2]*cacheapp.Service
	for i := range svcs {
		c := srv.Client()
		defer c.Close()
		svc, err := newCacheService(c, true)
		if err != nil {
			return 0, err
		}
		defer svc.Close(ctx)
		// Warm the instance (connections, namespace generation) so both meet the key at once.
		if _, err := cacheapp.GetOrLoad(ctx, svc, "bench", "warm", func(context.Context) (int, error) { return 1, nil }); err != nil {
			return 0, err
		}
		svcs[i] = svc
	}
	return stampede(func(inst int, load func() (cacheUser, error)) (cacheUser, error) {
		return cacheapp.GetOrLoad(ctx, svcs[inst], "bench", "hot", func(context.Context) (cacheUser, error) { return load() })
	})
}

func cacheStampedePeer(ctx context.Context, srv *Server) (float64, error) {
	var pcs [2]*gocache.Cache
	for i := range pcs {
		c := srv.Client()
		defer c.Close()
		pcs[i] = gocache.New(&gocache.Options{Redis: c, LocalCache: gocache.NewTinyLFU(10_000, time.Minute)})
		if err := pcs[i].Set(&gocache.Item{Ctx: ctx, Key: "warm", Value: 1, TTL: time.Hour}); err != nil {
			return 0, err
		}
	}
	return stampede(func(inst int, load func() (cacheUser, error)) (cacheUser, error) {
		var v cacheUser
		err := pcs[inst].Once(&gocache.Item{Ctx: ctx, Key: "hot", Value: &v, TTL: time.Hour,
			Do: func(*gocache.Item) (any, error) { return load() }})
		if err == nil && v.ID != 7 {
			err = errors.New("wrong value")
		}
		return v, err
	})
}
