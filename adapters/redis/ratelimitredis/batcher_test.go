package ratelimitredis_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

// batchSizes reads the batch-size histogram: how many pipelines, how many decisions, and how many
// pipelines held at most le decisions.
func batchSizes(t *testing.T, reg *prometheus.Registry, le float64) (count uint64, sum float64, atMost uint64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "statekit_ratelimit_batch_size" {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		for _, b := range h.GetBucket() {
			if b.GetUpperBound() == le {
				atMost = b.GetCumulativeCount()
			}
		}
		return h.GetSampleCount(), h.GetSampleSum(), atMost
	}
	t.Fatal("no statekit_ratelimit_batch_size metric")
	return 0, 0, 0
}

// TestDecisionsShareRoundTrips: 64 goroutines deciding at once over many keys share pipelines: fewer
// pipelines than decisions, none larger than MaxBatch, and every decision answered right.
func TestDecisionsShareRoundTrips(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		reg := prometheus.NewRegistry()
		m := ratelimitredis.NewMetrics()
		reg.MustRegister(m)
		cfg := ratelimitredis.DefaultConfig()
		cfg.MaxBatch, cfg.DenyCache = 16, 0
		store, err := ratelimitredis.New(tg.Client, tg.Prefix, cfg, newFakeClock(), m)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		p := policy("batch", ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 5, Period: time.Hour})
		var wg sync.WaitGroup
		var mu sync.Mutex
		admitted := map[string]int{}
		for g := range goroutines {
			wg.Go(func() {
				for i := range 40 {
					subject := "user.u" + string(rune('a'+(g+i)%26))
					r, err := store.Allow(context.Background(), p, subject, 1)
					if err != nil {
						t.Error(err)
						return
					}
					if r.Allowed {
						mu.Lock()
						admitted[subject]++
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		for s, n := range admitted {
			if n != 5 {
				t.Errorf("%s: admitted %d, want 5", s, n)
			}
		}
		if len(admitted) != 26 {
			t.Errorf("%d subjects admitted anything, want 26", len(admitted))
		}
		count, sum, atMost := batchSizes(t, reg, 16)
		if sum != goroutines*40 {
			t.Errorf("pipelines carried %v decisions, want %d", sum, goroutines*40)
		}
		if count >= uint64(sum) || atMost != count {
			t.Errorf("%d pipelines for %v decisions (%d of at most 16): want fewer pipelines than decisions, none over 16", count, sum, atMost)
		}
		t.Logf("%d decisions in %d pipelines (mean %.1f)", uint64(sum), count, sum/float64(count))
	})
}

// TestScriptCacheFlushed: after SCRIPT FLUSH (a restarted or failed-over Redis), pipelined EVALSHAs find
// no script; the batcher re-sends those with EVAL and every decision still counts once.
func TestScriptCacheFlushed(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		cfg := ratelimitredis.DefaultConfig()
		cfg.DenyCache = 0
		store, err := ratelimitredis.New(tg.Client, tg.Prefix, cfg, newFakeClock(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		flush := func() {
			switch c := tg.Client.(type) {
			case *redis.ClusterClient:
				err = c.ForEachMaster(context.Background(), func(ctx context.Context, n *redis.Client) error {
					return n.ScriptFlush(ctx).Err()
				})
			case *redis.Client:
				err = c.ScriptFlush(context.Background()).Err()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range ratelimit.Strategies {
			flush()
			p := policy("flushed", ratelimit.Limit{Strategy: s, Count: limit, Period: time.Hour})
			if got := hammer(t, store, p, "key.flush-"+string(s[0])+string(s[len(s)-1])); got != limit {
				t.Errorf("%s after SCRIPT FLUSH: admitted %d, want %d", s, got, limit)
			}
		}
	})
}

// blackhole accepts connections and never answers: a Redis that hangs.
func blackhole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// limiterClient is the client the module gives the limiter, for the Redis at url.
func limiterClient(t *testing.T, url string) redis.UniversalClient {
	t.Helper()
	conn, err := rdb.Connect(rdb.Config{URL: url, KeyPrefix: "t"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := conn.NewTuned(ratelimitredis.ClientOptions)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestHungRedisIsBoundedByTheCaller: on the module's own client, a decision against a Redis that never
// answers ends with ports.ErrUnavailable when the caller's deadline passes, batched or not, instead of
// after the client's 3 s read timeout (and retries) of the shared client.
func TestHungRedisIsBoundedByTheCaller(t *testing.T) {
	t.Parallel()
	c := limiterClient(t, "redis://"+blackhole(t))
	p := policy("hung", ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 10, Period: time.Second})
	for _, cfg := range []ratelimitredis.Config{unbatched(), ratelimitredis.DefaultConfig()} {
		store, err := ratelimitredis.New(c, "hung", cfg, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
				defer cancel()
				began := time.Now()
				_, err := store.Allow(ctx, p, "user.hung", 1)
				if !errors.Is(err, ports.ErrUnavailable) {
					t.Errorf("Allow against a hung Redis: %v, want ErrUnavailable", err)
				}
				// Functional bound, not a speed claim: well under the 3 s read timeout it would otherwise take.
				if d := time.Since(began); d > 2*time.Second {
					t.Errorf("Allow against a hung Redis took %s, want about the caller's 150ms", d)
				}
			})
		}
		wg.Wait()
		store.Close()
	}
}

// TestRedisDown: with Redis stopped every decision fails with ports.ErrUnavailable, and after it starts
// again decisions work without a new store.
func TestRedisDown(t *testing.T) {
	t.Parallel()
	srv := harness.NewServer(t)
	c := limiterClient(t, srv.URL())
	store, err := ratelimitredis.New(c, "down", ratelimitredis.DefaultConfig(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	p := policy("down", ratelimit.Limit{Strategy: ratelimit.FixedWindow, Count: 10, Period: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if r, err := store.Allow(ctx, p, "user.d", 1); err != nil || !r.Allowed {
		t.Fatalf("Allow before the stop: %+v, %v", r, err)
	}
	srv.Stop(t)
	if _, err := store.Allow(ctx, p, "user.d", 1); !errors.Is(err, ports.ErrUnavailable) {
		t.Errorf("Allow while Redis is down: %v, want ErrUnavailable", err)
	}
	if _, err := store.Peek(ctx, p, "user.d"); !errors.Is(err, ports.ErrUnavailable) {
		t.Errorf("Peek while Redis is down: %v, want ErrUnavailable", err)
	}
	if err := store.Reset(ctx, p, "user.d"); !errors.Is(err, ports.ErrUnavailable) {
		t.Errorf("Reset while Redis is down: %v, want ErrUnavailable", err)
	}
	srv.Start(t)
	var r ratelimit.Result
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if r, err = store.Allow(ctx, p, "user.e", 1); err == nil {
			break
		}
	}
	if err != nil || !r.Allowed {
		t.Errorf("Allow after Redis came back: %+v, %v", r, err)
	}
}

// TestBreakerFailsFast: after three round trips in a row fail to reach Redis, decisions fail at once
// (without waiting out their deadline) until the breaker lets a probe through again.
func TestBreakerFailsFast(t *testing.T) {
	t.Parallel()
	c := limiterClient(t, "redis://"+blackhole(t))
	p := policy("hang", ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 10, Period: time.Second})
	for _, cfg := range []ratelimitredis.Config{unbatched(), ratelimitredis.DefaultConfig()} {
		store, err := ratelimitredis.New(c, "breaker", cfg, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		call := func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := store.Allow(ctx, p, "user.b", 1)
			return err
		}
		for i := range 3 {
			if err := call(); !errors.Is(err, ports.ErrUnavailable) || strings.Contains(err.Error(), "breaker") {
				t.Fatalf("call %d: %v, want ErrUnavailable from the hung Redis", i, err)
			}
		}
		for i := range 20 {
			if err := call(); !errors.Is(err, ports.ErrUnavailable) || !strings.Contains(err.Error(), "circuit breaker open") {
				t.Fatalf("call %d after three failures: %v, want ErrUnavailable from the open breaker", i+3, err)
			}
		}
		store.Close()
	}
}
