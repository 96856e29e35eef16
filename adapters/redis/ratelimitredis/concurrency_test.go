package ratelimitredis_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

const (
	goroutines = 64
	attempts   = 12 // per goroutine: 768 requests for a limit of 100
	limit      = 100
)

// hammer has 64 goroutines send attempts requests each for one subject at once and returns how many were
// admitted.
func hammer(t *testing.T, store *ratelimitredis.Store, p ratelimit.Policy, subject string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var (
		admitted atomic.Int64
		wg       sync.WaitGroup
		start    = make(chan struct{})
	)
	for range goroutines {
		wg.Go(func() {
			<-start
			for range attempts {
				r, err := store.Allow(ctx, p, subject, 1)
				if err != nil {
					t.Errorf("Allow: %v", err)
					return
				}
				if r.Allowed {
					admitted.Add(1)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	return admitted.Load()
}

// configs are the ways the store can run: every decision on its own, coalesced into pipelines, and
// coalesced with the deny cache (the default). Each must admit exactly the limit.
var configs = []struct {
	name string
	cfg  func() ratelimitredis.Config
}{
	{"unbatched", unbatched},
	{"batched", func() ratelimitredis.Config {
		c := ratelimitredis.DefaultConfig()
		c.DenyCache = 0
		return c
	}},
	{"batched+denycache", ratelimitredis.DefaultConfig},
	{"small batches+window", func() ratelimitredis.Config {
		c := ratelimitredis.DefaultConfig()
		c.MaxBatch, c.MaxPipelines, c.Window = 4, 2, 50*time.Microsecond
		return c
	}},
}

// TestConcurrentExactLimit: 64 goroutines hammering one key within one window (the simulated clock stands
// still) admit exactly the limit for fixed window, sliding log, token bucket and GCRA, and never more than
// the limit for the sliding counter (from a fresh key it is exact too), in every store configuration.
func TestConcurrentExactLimit(t *testing.T) {
	t.Parallel()
	for _, s := range ratelimit.Strategies {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			harness.Each(t, func(t *testing.T, tg harness.Target) {
				for i, c := range configs {
					e := newEnv(t, tg, c.cfg())
					e.clock.Set(epoch.Add(10 * time.Second))
					p := policy("hammer", ratelimit.Limit{Strategy: s, Count: limit, Period: time.Hour})
					if got := hammer(t, e.store, p, fmt.Sprintf("user.config-%d", i)); got != limit {
						t.Errorf("%s, %s: admitted %d of %d, want exactly %d", s, c.name, got, goroutines*attempts, limit)
					}
				}
			})
		})
	}
}

// TestConcurrentSlidingCounterAcrossWindows: with units already counted in the previous window, the
// sliding counter admits no more than its estimate allows and never more than the limit in one window.
func TestConcurrentSlidingCounterAcrossWindows(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		e := newEnv(t, tg, ratelimitredis.DefaultConfig())
		p := policy("sc", ratelimit.Limit{Strategy: ratelimit.SlidingCounter, Count: limit, Period: time.Minute})
		e.clock.Set(epoch.Add(30 * time.Second))
		if got := hammer(t, e.store, p, "user.sc"); got != limit {
			t.Fatalf("first window: admitted %d, want %d", got, limit)
		}
		// A quarter into the next window the previous 100 weigh 75: 25 more fit.
		e.clock.Set(epoch.Add(75 * time.Second))
		if got := hammer(t, e.store, p, "user.sc"); got > limit || got != 25 {
			t.Errorf("next window at a quarter: admitted %d, want 25 (never more than %d)", got, limit)
		}
	})
}

// TestConcurrentServerTime runs the hammer on Redis TIME (no simulated clock) with periods far longer than
// the test, for the strategies whose windows are not aligned to the clock (a fixed window could straddle a
// boundary of real time; the simulated test covers it): exactly the limit.
func TestConcurrentServerTime(t *testing.T) {
	t.Parallel()
	for _, s := range []ratelimit.Strategy{ratelimit.SlidingLog, ratelimit.TokenBucket, ratelimit.GCRA} {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			harness.Each(t, func(t *testing.T, tg harness.Target) {
				store, err := ratelimitredis.New(tg.Client, tg.Prefix, ratelimitredis.DefaultConfig(), nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer store.Close()
				// 100 per 24h: a unit comes back every 864 s, far longer than the test runs.
				p := policy("server", ratelimit.Limit{Strategy: s, Count: limit, Period: 24 * time.Hour})
				if got := hammer(t, store, p, "key.server"); got != limit {
					t.Errorf("%s on server time: admitted %d, want exactly %d", s, got, limit)
				}
			})
		})
	}
}

// TestConcurrentMultiTier: 64 goroutines on a three-tier policy whose middle tier binds admit exactly its
// limit, and the other tiers are charged for exactly the admitted requests.
func TestConcurrentMultiTier(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		for i, c := range configs {
			e := newEnv(t, tg, c.cfg())
			p := policy("multi",
				ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 500, Period: time.Hour},
				ratelimit.Limit{Strategy: ratelimit.SlidingLog, Count: limit, Period: time.Hour},
				ratelimit.Limit{Strategy: ratelimit.FixedWindow, Count: 300, Period: time.Hour},
			)
			subject := fmt.Sprintf("user.multi-%d", i)
			if got := hammer(t, e.store, p, subject); got != limit {
				t.Errorf("%s: admitted %d, want %d", c.name, got, limit)
			}
			r := e.peek(t, p, subject)
			if r.Tiers[0].Remaining != 400 || r.Tiers[1].Remaining != 0 || r.Tiers[2].Remaining != 200 {
				t.Errorf("%s: tiers after the hammer %+v, want 400, 0 and 200 left", c.name, r.Tiers)
			}
		}
	})
}

var _ ports.RateLimiter = (*ratelimitredis.Store)(nil)
