package cachetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/cacheredis"
	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/domain/cache"
	"github.com/statekit/statekit/tests/harness"
)

type user struct {
	ID   int      `json:"id"`
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

// TestTiers: a miss loads once; the same instance then answers from L1, another instance from Redis (L2),
// an instance without L1 from Redis every time.
func TestTiers(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := ctxT(t)
		a, b := newNode(t, tg, testConfig(), nil), newNode(t, tg, testConfig(), nil)
		noL1 := testConfig()
		noL1.L1Size = 0
		c := newNode(t, tg, noL1, nil)
		ada := user{ID: 1, Name: "ada", Tags: []string{"admin"}}
		load := constant(ada)

		for i, n := range []*node{a, a, b, b, c, c, c} {
			got, err := cacheapp.GetOrLoad(ctx, n.svc, "users", "1", load.load)
			if err != nil || !reflect.DeepEqual(got, ada) {
				t.Fatalf("read %d: %+v, %v; want %+v", i, got, err, ada)
			}
		}
		if load.n() != 1 {
			t.Errorf("loader ran %d times, want 1", load.n())
		}
		for name, c := range map[string]struct {
			got          cacheapp.Stats
			l1, l2, miss uint64
		}{
			"a (loaded, then L1)":  {a.svc.Stats(), 1, 0, 1},
			"b (L2, then L1)":      {b.svc.Stats(), 1, 1, 0},
			"c (no L1: L2 always)": {c.svc.Stats(), 0, 3, 0},
		} {
			if c.got.L1Hits != c.l1 || c.got.L2Hits != c.l2 || c.got.Misses != c.miss {
				t.Errorf("%s: l1 %d l2 %d misses %d; want %d %d %d", name, c.got.L1Hits, c.got.L2Hits, c.got.Misses, c.l1, c.l2, c.miss)
			}
		}
		if s := a.svc.Stats(); s.Loads != 1 || s.L1Entries < 1 || s.HitRate() != 0.5 {
			t.Errorf("a: loads %d, l1 entries %d, hit rate %v", s.Loads, s.L1Entries, s.HitRate())
		}
		if got, err := cacheapp.Get[user](ctx, b.svc, "users", "1"); err != nil || got.Name != "ada" {
			t.Errorf("Get = %+v, %v", got, err)
		}
		if _, err := cacheapp.Get[user](ctx, b.svc, "users", "2"); !errors.Is(err, cache.ErrMiss) {
			t.Errorf("Get of an uncached key = %v, want ErrMiss", err)
		}
	})
}

// TestTTLOnSimulatedClock: values expire at their TTL (default or per call), and L1 lets go of an entry after
// L1TTL even while it is fresh in Redis.
func TestTTLOnSimulatedClock(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := ctxT(t)
		clock := newFakeClock()
		cfg := testConfig()
		cfg.Policy = cache.Policy{TTL: time.Minute, NegativeTTL: 10 * time.Second}
		cfg.L1TTL = 10 * time.Minute
		a := newNode(t, tg, cfg, clock)
		seq := &counted[string]{next: func(n int) (string, error) { return fmt.Sprintf("v%d", n), nil }}
		get := func(key string, opts ...cacheapp.Option) string {
			t.Helper()
			v, err := cacheapp.GetOrLoad(ctx, a.svc, "ttl", key, seq.load, opts...)
			if err != nil {
				t.Fatalf("GetOrLoad(%s) at +%s: %v", key, clock.Now().Sub(epoch), err)
			}
			return v
		}
		if v := get("k"); v != "v1" {
			t.Fatalf("first = %s", v)
		}
		clock.Advance(59 * time.Second)
		if v := get("k"); v != "v1" {
			t.Errorf("at 59s of a 1m TTL: %s, want v1 (cached)", v)
		}
		clock.Advance(2 * time.Second)
		if v := get("k"); v != "v2" {
			t.Errorf("at 61s of a 1m TTL: %s, want v2 (reloaded)", v)
		}
		// A per-call TTL.
		if v := get("short", cacheapp.WithTTL(10*time.Second)); v != "v3" {
			t.Fatalf("short = %s", v)
		}
		clock.Advance(9 * time.Second)
		if v := get("short", cacheapp.WithTTL(10*time.Second)); v != "v3" {
			t.Errorf("at 9s of 10s: %s, want v3", v)
		}
		clock.Advance(2 * time.Second)
		if v := get("short", cacheapp.WithTTL(10*time.Second)); v != "v4" {
			t.Errorf("at 11s of 10s: %s, want v4", v)
		}

		// L1TTL shorter than the TTL: after it, the value comes from Redis, not from the loader.
		cfg.Policy.TTL = time.Hour
		cfg.L1TTL = 5 * time.Second
		b := newNode(t, tg, cfg, clock)
		one := constant(42)
		if v, _ := cacheapp.GetOrLoad(ctx, b.svc, "ttl", "l1", one.load); v != 42 {
			t.Fatal(v)
		}
		clock.Advance(6 * time.Second)
		if v, err := cacheapp.GetOrLoad(ctx, b.svc, "ttl", "l1", one.load); err != nil || v != 42 {
			t.Fatalf("after L1TTL: %d, %v", v, err)
		}
		if s := b.svc.Stats(); s.L2Hits != 1 || s.L1Hits != 0 || one.n() != 1 {
			t.Errorf("after L1TTL: l2 hits %d, l1 hits %d, loads %d; want 1, 0, 1", s.L2Hits, s.L1Hits, one.n())
		}
	})
}

// zeroCase checks that a zero value is cached like any other: loaded once, then served by L1 and, on
// another instance, by Redis.
func zeroCase[T any](t *testing.T, a, b *node, key string, zero T) {
	t.Helper()
	ctx := ctxT(t)
	load := constant(zero)
	for i, n := range []*node{a, a, b} {
		got, err := cacheapp.GetOrLoad(ctx, n.svc, "zero", key, load.load)
		if err != nil || !reflect.DeepEqual(got, zero) {
			t.Errorf("%s read %d: %#v, %v; want %#v", key, i, got, err, zero)
		}
	}
	if load.n() != 1 {
		t.Errorf("%s: loader ran %d times, want 1 (a zero value is a value)", key, load.n())
	}
}

// TestZeroValues: 0, "", false, empty and nil collections, nil pointers and empty structs are values.
func TestZeroValues(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		a, b := newNode(t, tg, testConfig(), nil), newNode(t, tg, testConfig(), nil)
		zeroCase(t, a, b, "int", 0)
		zeroCase(t, a, b, "string", "")
		zeroCase(t, a, b, "bool", false)
		zeroCase(t, a, b, "float", 0.0)
		zeroCase(t, a, b, "struct", struct{}{})
		zeroCase(t, a, b, "user", user{})
		zeroCase(t, a, b, "nil-pointer", (*user)(nil))
		zeroCase(t, a, b, "empty-slice", []int{})
		zeroCase(t, a, b, "nil-slice", []int(nil))
		zeroCase(t, a, b, "nil-map", map[string]int(nil))
		zeroCase[any](t, a, b, "nil-any", nil)

		ctx := ctxT(t)
		if err := cacheapp.Set(ctx, a.svc, "zero", "written", ""); err != nil {
			t.Fatal(err)
		}
		for _, n := range []*node{a, b} {
			if v, err := cacheapp.Get[string](ctx, n.svc, "zero", "written"); err != nil || v != "" {
				t.Errorf("Get of a written empty string = %q, %v; want \"\", nil", v, err)
			}
		}
	})
}

// TestNegativeCaching: a loader's "not found" is remembered for the negative TTL, on every instance; other
// loader errors are returned and not remembered.
func TestNegativeCaching(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := ctxT(t)
		clock := newFakeClock()
		cfg := testConfig()
		cfg.Policy = cache.Policy{TTL: time.Hour, NegativeTTL: 30 * time.Second, StaleIfError: time.Hour}
		a, b := newNode(t, tg, cfg, clock), newNode(t, tg, cfg, clock)
		exists := false
		load := &counted[user]{next: func(n int) (user, error) {
			if !exists {
				return user{}, fmt.Errorf("user 9: %w", cache.ErrNotFound)
			}
			return user{ID: 9}, nil
		}}
		for i, n := range []*node{a, a, b} {
			if _, err := cacheapp.GetOrLoad(ctx, n.svc, "users", "9", load.load); !errors.Is(err, cache.ErrNotFound) {
				t.Fatalf("read %d: %v, want ErrNotFound", i, err)
			}
		}
		if _, err := cacheapp.Get[user](ctx, b.svc, "users", "9"); !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("Get of a remembered not-found = %v, want ErrNotFound", err)
		}
		if load.n() != 1 {
			t.Errorf("loader ran %d times, want 1 (not-found remembered)", load.n())
		}
		if sa, sb := a.svc.Stats(), b.svc.Stats(); sa.NegativeHits != 1 || sb.NegativeHits != 2 {
			t.Errorf("negative hits a %d b %d, want 1 and 2", sa.NegativeHits, sb.NegativeHits)
		}
		exists = true
		clock.Advance(31 * time.Second)
		if v, err := cacheapp.GetOrLoad(ctx, a.svc, "users", "9", load.load); err != nil || v.ID != 9 {
			t.Errorf("after the negative TTL: %+v, %v; want the user", v, err)
		}

		// Negative caching off for a call: every call asks the loader.
		exists = false
		before := load.n()
		for range 2 {
			if _, err := cacheapp.GetOrLoad(ctx, a.svc, "users", "10", load.load, cacheapp.WithNegativeTTL(0)); !errors.Is(err, cache.ErrNotFound) {
				t.Fatal(err)
			}
		}
		if load.n()-before != 2 {
			t.Errorf("without negative caching the loader ran %d times, want 2", load.n()-before)
		}

		// Other errors are not cached.
		boom := errors.New("database down")
		failing := &counted[user]{next: func(int) (user, error) { return user{}, boom }}
		for range 2 {
			if _, err := cacheapp.GetOrLoad(ctx, a.svc, "users", "11", failing.load); !errors.Is(err, boom) {
				t.Fatalf("loader error = %v, want %v", err, boom)
			}
		}
		if failing.n() != 2 || a.svc.Stats().LoadErrors != 2 {
			t.Errorf("failing loader ran %d times (%d errors counted), want 2", failing.n(), a.svc.Stats().LoadErrors)
		}
	})
}

// TestNamespaceGeneration: invalidating a namespace is one generation bump; its keys reload, other
// namespaces stay, and the old entries are left for their TTL rather than scanned for.
func TestNamespaceGeneration(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := ctxT(t)
		a := newNode(t, tg, testConfig(), nil)
		store := cacheredis.New(tg.Client, tg.Prefix)
		seq := &counted[string]{next: func(n int) (string, error) { return fmt.Sprintf("v%d", n), nil }}
		get := func(ns, key string) string {
			v, err := cacheapp.GetOrLoad(ctx, a.svc, ns, key, seq.load)
			if err != nil {
				t.Fatalf("GetOrLoad(%s/%s): %v", ns, key, err)
			}
			return v
		}
		u1, u2, o1 := get("users", "1"), get("users", "2"), get("orders", "1")
		old, err := store.Generation(ctx, "users")
		if err != nil {
			t.Fatal(err)
		}
		g, err := a.svc.InvalidateNamespace(ctx, "users")
		if err != nil || g <= old {
			t.Fatalf("InvalidateNamespace = %d, %v; want above %d", g, err, old)
		}
		if v := get("users", "1"); v == u1 {
			t.Errorf("users/1 after invalidation = %s, want a reload", v)
		}
		if v := get("users", "2"); v == u2 {
			t.Errorf("users/2 after invalidation = %s, want a reload", v)
		}
		if v := get("orders", "1"); v != o1 {
			t.Errorf("orders/1 = %s, want %s (other namespace untouched)", v, o1)
		}
		oldKey := fmt.Sprintf("%s:cache:{users:%d:1}", tg.Prefix, old) // the documented key layout
		n, err := tg.Client.Exists(ctx, oldKey).Result()
		if err != nil || n != 1 {
			t.Errorf("old-generation entry exists = %d, %v; want it left for its TTL", n, err)
		}
		if ev := a.pub.all(); len(ev) != 1 || ev[0].(cache.Invalidated).Key != "" || ev[0].(cache.Invalidated).Generation != g {
			t.Errorf("events = %+v, want one namespace invalidation at generation %d", ev, g)
		}
		if _, err := a.svc.InvalidateNamespace(ctx, "bad:ns"); !errors.Is(err, cache.ErrInvalid) {
			t.Errorf("InvalidateNamespace(bad:ns) = %v, want ErrInvalid", err)
		}
	})
}

// TestWritesAndDeletes: Set and Delete reach Redis, drop the writer's L1 copy and publish cache.invalidated.
func TestWritesAndDeletes(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := ctxT(t)
		a, b := newNode(t, tg, testConfig(), nil), newNode(t, tg, testConfig(), nil)
		load := constant(user{ID: 1, Name: "loaded"})
		if _, err := cacheapp.GetOrLoad(ctx, a.svc, "users", "1", load.load); err != nil {
			t.Fatal(err)
		}
		if err := cacheapp.Set(ctx, a.svc, "users", "1", user{ID: 1, Name: "written"}); err != nil {
			t.Fatal(err)
		}
		for _, n := range []*node{a, b} {
			if v, err := cacheapp.GetOrLoad(ctx, n.svc, "users", "1", load.load); err != nil || v.Name != "written" {
				t.Errorf("after Set: %+v, %v; want the written value", v, err)
			}
		}
		if err := a.svc.Delete(ctx, "users", "1"); err != nil {
			t.Fatal(err)
		}
		if _, err := cacheapp.Get[user](ctx, a.svc, "users", "1"); !errors.Is(err, cache.ErrMiss) {
			t.Errorf("Get after Delete = %v, want ErrMiss", err)
		}
		ev := a.pub.all()
		if len(ev) != 2 {
			t.Fatalf("events = %+v, want 2", ev)
		}
		for _, e := range ev {
			inv := e.(cache.Invalidated)
			if inv.Namespace != "users" || inv.Key != "1" || inv.Generation == 0 || inv.Instance != a.svc.Instance() {
				t.Errorf("event = %+v", inv)
			}
		}
		if err := cacheapp.Set(ctx, a.svc, "users", "a:b", 1); !errors.Is(err, cache.ErrInvalid) {
			t.Errorf("Set with a bad key = %v, want ErrInvalid", err)
		}
		if err := a.svc.Delete(ctx, "users", "*"); !errors.Is(err, cache.ErrInvalid) {
			t.Errorf("Delete with a bad key = %v, want ErrInvalid", err)
		}
		if _, err := cacheapp.GetOrLoad(ctx, a.svc, "us{ers", "1", load.load); !errors.Is(err, cache.ErrInvalid) {
			t.Errorf("GetOrLoad with a bad namespace = %v, want ErrInvalid", err)
		}
		if _, err := cacheapp.GetOrLoad(ctx, a.svc, "users", "1", load.load, cacheapp.WithTTL(0)); !errors.Is(err, cache.ErrInvalid) {
			t.Errorf("GetOrLoad with TTL 0 = %v, want ErrInvalid", err)
		}
	})
}
