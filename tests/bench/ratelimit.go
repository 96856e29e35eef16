package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/domain/ratelimit"
)

// The ratelimit scenarios (make bench BENCH=ratelimit): statekit's Redis limiter, with its defaults
// (decisions coalesced into pipelines, deny cache on), against go-redis/redis_rate v10 (GCRA, one EVALSHA
// per decision) on the same redis-server:
//
//	ratelimit.gcra            GCRA decisions/s at 1, 16 and 64 goroutines over 1,000 keys
//	ratelimit.<strategy>      each other strategy of ours at 64 goroutines (the peer runs its GCRA)
//	ratelimit.gcra.latency    p50/p99 decision latency at 16 goroutines
//	ratelimit.memory.<strat>  Redis bytes per limited key (INFO used_memory delta over 10,000 keys)
//
// The limit is 1,000 per hour with a burst of 1,000 per key, and every key gets the same number of
// decisions, fewer than its burst, so every decision must be admitted (the expensive path: each one
// writes) and none is answered by the deny cache. A run is verified before its figure counts: no error,
// every decision admitted, 1,000 keys in Redis, and each key's state, read back,
// charged for exactly the decisions it got (less at most the units that came back during the run).
func init() { scenarios["ratelimit"] = runRateLimit }

const (
	rlKeys      = 1000
	rlRate      = 1000 // per hour per key, burst as much: each key sees far fewer decisions per run
	rlMemKeys   = 10_000
	rlMemPerKey = 10
	rlTimeout   = 10 * time.Minute
)

// rlRunFor is how long one run lasts; rlMaxOps caps its decisions so that no key (each gets one in 1,000)
// passes its burst, whatever the speed.
const (
	rlRunFor = 500 * time.Millisecond
	rlMaxOps = 800 * rlKeys
)

// rlSets is how many times a scenario runs Alternate (each Rounds rounds of both sides): the figure is the
// median of the sets' medians, so one noisy stretch on a shared machine moves it less.
const rlSets = 3

// rlAlternate runs Alternate rlSets times and returns the median of each side's medians.
func rlAlternate(reset func() error, ours, peer func() (float64, error)) (float64, float64, error) {
	var a, b []float64
	for range rlSets {
		x, y, err := Alternate(reset, ours, peer)
		if err != nil {
			return 0, 0, err
		}
		a, b = append(a, x), append(b, y)
	}
	return Median(a), Median(b), nil
}

var rlKeyNames = func() []string {
	out := make([]string, rlKeys)
	for i := range out {
		out[i] = fmt.Sprintf("k%04d", i)
	}
	return out
}()

// rlDecide is one side's decision on a key: admitted or not.
type rlDecide func(ctx context.Context, key string) (bool, error)

// rlSide is one side on a fresh client: its decision, a read of a key's remaining units (for the
// verification), and close.
type rlSide struct {
	decide    rlDecide
	remaining func(ctx context.Context, key string) (int64, error)
	close     func()
	keys      string // the pattern of its keys
}

func rlOurs(srv *Server, s ratelimit.Strategy) (rlSide, error) {
	c := srv.Client()
	store, err := ratelimitredis.New(c, "bench", ratelimitredis.DefaultConfig(), nil, nil)
	if err != nil {
		c.Close()
		return rlSide{}, err
	}
	lim := ratelimit.Limit{Strategy: s, Count: rlRate, Period: time.Hour}
	if s == ratelimit.GCRA || s == ratelimit.TokenBucket {
		lim.Burst = rlRate
	}
	p := ratelimit.Policy{Name: "bench", Tiers: []ratelimit.Limit{lim}, Failure: ratelimit.FailClosed}
	if err := p.Validate(); err != nil {
		c.Close()
		return rlSide{}, err
	}
	return rlSide{
		decide: func(ctx context.Context, key string) (bool, error) {
			r, err := store.Allow(ctx, p, key, 1)
			return r.Allowed, err
		},
		remaining: func(ctx context.Context, key string) (int64, error) {
			r, err := store.Peek(ctx, p, key)
			return r.Remaining, err
		},
		close: func() { store.Close(); c.Close() },
		keys:  "bench:ratelimit:{k*",
	}, nil
}

func rlPeer(srv *Server) rlSide {
	c := srv.Client()
	l := redis_rate.NewLimiter(c)
	limit := redis_rate.Limit{Rate: rlRate, Burst: rlRate, Period: time.Hour}
	return rlSide{
		decide: func(ctx context.Context, key string) (bool, error) {
			r, err := l.Allow(ctx, key, limit)
			if err != nil {
				return false, err
			}
			return r.Allowed > 0, nil
		},
		remaining: func(ctx context.Context, key string) (int64, error) {
			r, err := l.AllowN(ctx, key, limit, 0)
			if err != nil {
				return 0, err
			}
			return int64(r.Remaining), nil
		},
		close: func() { c.Close() },
		keys:  "rate:k*",
	}
}

// rlRun has conc goroutines decide for rlRunFor (at most rlMaxOps decisions), decision i on key
// (i x 7919) mod 1,000 so every key gets its share, and returns decisions per second (and each decision's
// latency when lat is set) after verifying the work.
func rlRun(ctx context.Context, srv *Server, side rlSide, conc int, lat *[]time.Duration) (float64, error) {
	defer side.close()
	// Before the clock starts: load the script (a fresh server has none cached) and open the connections
	// conc goroutines need, so neither side pays dials and handshakes inside the timed run.
	var warm sync.WaitGroup
	warmErr := make([]error, conc)
	for g := range conc {
		warm.Go(func() { _, warmErr[g] = side.decide(ctx, fmt.Sprintf("warmup-%d", g)) })
	}
	warm.Wait()
	if err := errors.Join(warmErr...); err != nil {
		return 0, err
	}
	var (
		wg       sync.WaitGroup
		next     atomic.Int64
		done     atomic.Int64
		admitted atomic.Int64
		mu       sync.Mutex
		firstErr error
		lats     = make([][]time.Duration, conc)
	)
	start := time.Now()
	deadline := start.Add(rlRunFor)
	for g := range conc {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if i >= rlMaxOps {
					return
				}
				key := rlKeyNames[(i*7919)%rlKeys]
				t0 := time.Now()
				ok, err := side.decide(ctx, key)
				if err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					return
				}
				if lat != nil {
					mine = append(mine, time.Since(t0))
				}
				done.Add(1)
				if ok {
					admitted.Add(1)
				}
			}
			lats[g] = mine
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return 0, firstErr
	}
	ops := int(done.Load())
	if n := admitted.Load(); n != int64(ops) {
		return 0, fmt.Errorf("admitted %d of %d decisions, want all (each key stays under its burst)", n, ops)
	}
	if err := rlVerify(ctx, srv, side, ops, elapsed); err != nil {
		return 0, err
	}
	if lat != nil {
		for _, l := range lats {
			*lat = append(*lat, l...)
		}
	}
	return float64(ops) / elapsed.Seconds(), nil
}

// rlVerify checks the state the run left: one key per key decided on (all 1,000 unless the run was slow),
// and each key charged for the
// decisions it got, never more, and less only by the units that came back while the run lasted (one per
// 3.6 s at 1,000 per hour; a fixed window or sliding counter may also have crossed an hour boundary).
func rlVerify(ctx context.Context, srv *Server, side rlSide, ops int, elapsed time.Duration) error {
	c := srv.Client()
	defer c.Close()
	keys, err := c.Keys(ctx, side.keys).Result()
	if err != nil {
		return err
	}
	if want := min(ops, rlKeys); len(keys) != want {
		return fmt.Errorf("%d %s keys in Redis after %d decisions, want %d", len(keys), side.keys, ops, want)
	}
	per := make([]int64, rlKeys)
	for i := range ops {
		per[(i*7919)%rlKeys]++
	}
	back := int64(elapsed/(time.Hour/rlRate)) + 1
	crossed := time.Now().Truncate(time.Hour) != time.Now().Add(-elapsed-time.Second).Truncate(time.Hour)
	for i, key := range rlKeyNames {
		if per[i] == 0 {
			continue // a slow run did not reach every key
		}
		rem, err := side.remaining(ctx, key)
		if err != nil {
			return err
		}
		used := rlRate - rem
		if used > per[i] || used < per[i]-back && !crossed {
			return fmt.Errorf("key %s: state charged %d units for %d decisions", key, used, per[i])
		}
	}
	return nil
}

func runRateLimit() error {
	srv, err := StartRedis()
	if err != nil {
		return err
	}
	defer srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), rlTimeout)
	defer cancel()

	throughput := func(name string, s ratelimit.Strategy, conc int) error {
		ours, peer, err := rlAlternate(srv.Flush,
			func() (float64, error) {
				side, err := rlOurs(srv, s)
				if err != nil {
					return 0, err
				}
				return rlRun(ctx, srv, side, conc, nil)
			},
			func() (float64, error) { return rlRun(ctx, srv, rlPeer(srv), conc, nil) })
		if err != nil {
			return Fail(name, err)
		}
		Line(name, conc, ours, "redis_rate", peer)
		return nil
	}
	for _, conc := range []int{1, 16, 64} {
		if err := throughput("ratelimit.gcra", ratelimit.GCRA, conc); err != nil {
			return err
		}
	}
	for _, s := range []ratelimit.Strategy{ratelimit.TokenBucket, ratelimit.FixedWindow, ratelimit.SlidingCounter, ratelimit.SlidingLog} {
		if err := throughput("ratelimit."+string(s), s, 64); err != nil {
			return err
		}
	}
	if err := rlLatency(ctx, srv); err != nil {
		return err
	}
	return rlMemory(ctx, srv)
}

// rlLatency runs GCRA at 16 goroutines recording every decision's latency, alternating sides, and prints
// the medians over the rounds of each side's p50 and p99.
func rlLatency(ctx context.Context, srv *Server) error {
	const name, conc = "ratelimit.gcra.latency", 16
	var p50, p99, peer50, peer99 []float64
	run := func(side func() (rlSide, error), p50s, p99s *[]float64) func() (float64, error) {
		return func() (float64, error) {
			s, err := side()
			if err != nil {
				return 0, err
			}
			var lat []time.Duration
			ops, err := rlRun(ctx, srv, s, conc, &lat)
			if err != nil {
				return 0, err
			}
			*p50s = append(*p50s, Percentile(lat, 0.50))
			*p99s = append(*p99s, Percentile(lat, 0.99))
			return ops, nil
		}
	}
	ours, peer, err := rlAlternate(srv.Flush,
		run(func() (rlSide, error) { return rlOurs(srv, ratelimit.GCRA) }, &p50, &p99),
		run(func() (rlSide, error) { return rlPeer(srv), nil }, &peer50, &peer99))
	if err != nil {
		return Fail(name, err)
	}
	Line(name, conc, ours, "redis_rate", peer,
		fmt.Sprintf("p50_us=%.0f", Median(p50)), fmt.Sprintf("p99_us=%.0f", Median(p99)),
		fmt.Sprintf("peer_p50_us=%.0f", Median(peer50)), fmt.Sprintf("peer_p99_us=%.0f", Median(peer99)))
	return nil
}

// rlMemory measures Redis bytes per limited key (INFO used_memory before and after 10,000 keys, each after
// 10 admitted decisions) for each of our strategies, next to redis_rate's GCRA key.
func rlMemory(ctx context.Context, srv *Server) error {
	measure := func(side rlSide) (float64, error) {
		defer side.close()
		if err := srv.Flush(); err != nil {
			return 0, err
		}
		// Open the 16 connections first: their buffers are Redis memory too, but not the keys'.
		var warm sync.WaitGroup
		warmErr := make([]error, 16)
		for g := range 16 {
			warm.Go(func() { _, warmErr[g] = side.decide(ctx, fmt.Sprintf("warmup-%d", g)) })
		}
		warm.Wait()
		if err := errors.Join(warmErr...); err != nil {
			return 0, err
		}
		before, err := srv.UsedMemory()
		if err != nil {
			return 0, err
		}
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for g := range 16 {
			wg.Go(func() {
				for i := g; i < rlMemKeys; i += 16 {
					key := fmt.Sprintf("user-%05d@example.com", i)
					for range rlMemPerKey {
						ok, err := side.decide(ctx, key)
						if err != nil || !ok {
							errs[g] = errors.Join(err, fmt.Errorf("%s: a decision was not admitted", key))
							return
						}
					}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return 0, err
		}
		after, err := srv.UsedMemory()
		return float64(after-before) / rlMemKeys, err
	}
	peer, err := measure(rlPeer(srv))
	if err != nil {
		return Fail("ratelimit.memory", err)
	}
	for _, s := range ratelimit.Strategies {
		name := "ratelimit.memory." + string(s)
		side, err := rlOurs(srv, s)
		if err != nil {
			return Fail(name, err)
		}
		ours, err := measure(side)
		if err != nil {
			return Fail(name, err)
		}
		Line(name, 1, ours, "redis_rate", peer, "unit=bytes_per_key", fmt.Sprintf("units_per_key=%d", rlMemPerKey))
	}
	return nil
}
