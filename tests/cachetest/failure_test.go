package cachetest

import (
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

// TestRedisDownFallsBack: with Redis stopped the cache keeps serving from L1 and the loader, counts the
// failures, refuses writes with ErrUnavailable, and uses Redis again once it is back, without a restart.
func TestRedisDownFallsBack(t *testing.T) {
	t.Parallel()
	srv := harness.NewServer(t)
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = rc.Close() })
	ctx := ctxT(t)
	cfg := testConfig()
	a := newNodeOn(t, rc, "down", cfg, nil, nil)
	other := newNodeOn(t, srv.Client(t), "down", cfg, nil, nil)

	if _, err := cacheapp.GetOrLoad(ctx, a.svc, "users", "1", constant("cached").load); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)

	if v, err := cacheapp.GetOrLoad(ctx, a.svc, "users", "1", constant("reloaded").load); err != nil || v != "cached" {
		t.Errorf("L1 hit with Redis down: %q, %v; want the cached value", v, err)
	}
	load := constant("from-source")
	for i := range 3 {
		if v, err := cacheapp.GetOrLoad(ctx, a.svc, "users", "2", load.load); err != nil || v != "from-source" {
			t.Fatalf("miss %d with Redis down: %q, %v; want the loader's value", i, v, err)
		}
	}
	if load.n() != 1 {
		t.Errorf("loader ran %d times for 3 reads with Redis down, want 1 (L1 keeps what it loaded)", load.n())
	}
	// A namespace this instance has never seen: its generation is unknown, the loader still serves.
	if v, err := cacheapp.GetOrLoad(ctx, a.svc, "never-seen", "x", constant("ok").load); err != nil || v != "ok" {
		t.Errorf("unknown namespace with Redis down: %q, %v", v, err)
	}
	if err := cacheapp.Set(ctx, a.svc, "users", "3", "w"); !errors.Is(err, ports.ErrUnavailable) {
		t.Errorf("Set with Redis down = %v, want ErrUnavailable", err)
	}
	if s := a.svc.Stats(); s.RedisErrors == 0 {
		t.Errorf("redis errors = %d, want them counted", s.RedisErrors)
	}

	srv.Start(t)
	waitFor(t, "Redis to be used again", func() bool {
		_, err := cacheapp.GetOrLoad(ctx, a.svc, "users", "4", constant("stored").load)
		if err != nil {
			return false
		}
		v, err := cacheapp.Get[string](ctx, other.svc, "users", "4")
		return err == nil && v == "stored"
	})
	if err := cacheapp.Set(ctx, a.svc, "users", "3", "w"); err != nil {
		t.Errorf("Set after Redis came back: %v", err)
	}
}
