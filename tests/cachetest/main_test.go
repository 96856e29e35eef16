// Package cachetest drives the multi-tier cache (app/cacheapp over adapters/redis/cacheredis) against real
// Redis, standalone and cluster: tiers, TTLs on a simulated clock, zero values, negative caching, namespace
// generations, stampedes across two instances, XFetch, cross-instance invalidation over the real event bus,
// and Redis failures.
package cachetest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/cacheredis"
	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/eventbus"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/busnode"
	"github.com/statekit/statekit/tests/fakeclock"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/wait"
)

func TestMain(m *testing.M) {
	redis.SetLogger(quietRedis{}) // the Redis-down test provokes dial errors go-redis would print
	os.Exit(harness.Run(m))
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

var epoch = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

func newFakeClock() *fakeclock.Clock { return fakeclock.New(epoch) }

// recorder is an EventPublisher that keeps what is published (instances without a bus).
type recorder struct {
	mu     sync.Mutex
	events []ports.Event
}

func (r *recorder) Publish(_ context.Context, events ...ports.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
	return nil
}

func (r *recorder) all() []ports.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ports.Event(nil), r.events...)
}

// testConfig is the default config without jitter or early refresh, so TTLs are exact unless a test asks.
func testConfig() cacheapp.Config {
	cfg := cacheapp.DefaultConfig()
	cfg.Policy.Jitter = 0
	cfg.Policy.Beta = 0
	cfg.RedisBackoff = 100 * time.Millisecond
	return cfg
}

// node is one app instance: its own Redis client, L1 and counters over the shared Redis.
type node struct {
	svc   *cacheapp.Service
	local *cacheapp.Local
	pub   *recorder
}

// client returns a new client to the target's Redis, closed when the test ends.
func client(t *testing.T, tg harness.Target) redis.UniversalClient {
	t.Helper()
	var c redis.UniversalClient
	if tg.Cluster {
		c = redis.NewClusterClient(&redis.ClusterOptions{Addrs: tg.Addrs, PoolSize: 64})
	} else {
		c = redis.NewClient(&redis.Options{Addr: tg.Addrs[0], PoolSize: 64})
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newNode starts an instance on the target publishing to a recorder; clock may be nil (wall clock).
func newNode(t *testing.T, tg harness.Target, cfg cacheapp.Config, clock ports.Clock) *node {
	t.Helper()
	return newNodeOn(t, client(t, tg), tg.Prefix, cfg, clock, nil)
}

// newNodeOn starts an instance over rc; pub nil means a recorder. The local state is built first, so a
// caller wiring a real bus can subscribe it (see newBusNode).
func newNodeOn(t *testing.T, rc redis.UniversalClient, prefix string, cfg cacheapp.Config, clock ports.Clock,
	wire func(*cacheapp.Local) ports.EventPublisher) *node {
	t.Helper()
	var c ports.Clock
	if clock != nil {
		c = clock
	}
	local, err := cacheapp.NewLocal(cfg, cacheredis.New(rc, prefix), c)
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := local.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	n := &node{local: local}
	var pub ports.EventPublisher
	if wire != nil {
		pub = wire(local)
	} else {
		n.pub = &recorder{}
		pub = n.pub
	}
	n.svc = cacheapp.NewService(local, pub, nil)
	return n
}

// newBusNode starts an instance whose invalidations travel over its own real event bus.
func newBusNode(t *testing.T, tg harness.Target, cfg cacheapp.Config, clock ports.Clock) *node {
	t.Helper()
	busCfg := eventbus.DefaultConfig(tg.Prefix)
	busCfg.RetryInitial, busCfg.RetryMax = 10*time.Millisecond, 40*time.Millisecond
	return newNodeOn(t, client(t, tg), tg.Prefix, cfg, clock, func(l *cacheapp.Local) ports.EventPublisher {
		return busnode.Start(t, tg, busCfg, busnode.Options{}, l.InvalidationHandler()).Publisher
	})
}

// counted is a loader that counts its calls and returns what next says for the n-th call (from 1).
type counted[T any] struct {
	mu    sync.Mutex
	calls int
	next  func(n int) (T, error)
}

func (c *counted[T]) load(context.Context) (T, error) {
	c.mu.Lock()
	c.calls++
	n := c.calls
	c.mu.Unlock()
	return c.next(n)
}

func (c *counted[T]) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

func constant[T any](v T) *counted[T] {
	return &counted[T]{next: func(int) (T, error) { return v, nil }}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond every few milliseconds for up to 10 s (events and background work are asynchronous).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wait.Until(t, 10*time.Second, 2*time.Millisecond, what, cond)
}
