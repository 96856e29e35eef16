package cachetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/domain/cache"
	"github.com/statekit/statekit/tests/harness"
)

// TestStampedeAcrossInstances: 1,000 goroutines, 500 on each of two instances (separate L1s, one Redis),
// miss the same key at once; the loader runs exactly once and every goroutine gets its value.
func TestStampedeAcrossInstances(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := ctxT(t)
		nodes := []*node{newNode(t, tg, testConfig(), nil), newNode(t, tg, testConfig(), nil)}
		var loads atomic.Int32
		waits := func() uint64 { return nodes[0].svc.Stats().LockWaits + nodes[1].svc.Stats().LockWaits }
		load := func(ctx context.Context) (user, error) {
			loads.Add(1)
			// A slow source: it returns once the other instance is waiting on the lock (or after 5 s), so
			// the other instance cannot arrive after the fill and the cross-instance lock is what is tested.
			for deadline := time.Now().Add(5 * time.Second); waits() == 0 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			return user{ID: 7, Name: "hot"}, nil
		}
		for _, n := range nodes { // warm each instance's connections and namespace generation
			if _, err := cacheapp.GetOrLoad(ctx, n.svc, "hot", "warm-up", constant(user{}).load); err != nil {
				t.Fatal(err)
			}
		}
		const perNode = 500
		var (
			wg    sync.WaitGroup
			ready sync.WaitGroup
			start = make(chan struct{})
			bad   atomic.Int32
		)
		ready.Add(2 * perNode)
		for _, n := range nodes {
			for range perNode {
				wg.Go(func() {
					ready.Done()
					<-start
					v, err := cacheapp.GetOrLoad(ctx, n.svc, "hot", "key", load)
					if err != nil || v.Name != "hot" {
						bad.Add(1)
						t.Errorf("GetOrLoad = %+v, %v", v, err)
					}
				})
			}
		}
		ready.Wait()
		close(start)
		wg.Wait()
		if n := loads.Load(); n != 1 {
			t.Errorf("loader ran %d times for 1,000 concurrent misses across 2 instances, want exactly 1", n)
		}
		if bad.Load() != 0 || waits() != 1 {
			t.Errorf("%d reads failed; %d lock waits, want 1 (the other instance's one resolution)", bad.Load(), waits())
		}
	})
}

// TestStaleWhileRevalidate: past its TTL but inside the revalidate window, the old value is served at once
// while one background refresh replaces it.
func TestStaleWhileRevalidate(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := ctxT(t)
		clock := newFakeClock()
		cfg := testConfig()
		cfg.Policy = cache.Policy{TTL: time.Minute, StaleWhileRevalidate: time.Minute}
		cfg.L1TTL = time.Hour
		a := newNode(t, tg, cfg, clock)
		release := make(chan struct{})
		seq := &counted[string]{next: func(n int) (string, error) {
			if n > 1 {
				<-release // the refresh is slow; readers must not wait for it
			}
			return fmt.Sprintf("v%d", n), nil
		}}
		if v, _ := cacheapp.GetOrLoad(ctx, a.svc, "swr", "k", seq.load); v != "v1" {
			t.Fatal(v)
		}
		clock.Advance(70 * time.Second)
		for range 20 {
			if v, err := cacheapp.GetOrLoad(ctx, a.svc, "swr", "k", seq.load); err != nil || v != "v1" {
				t.Fatalf("inside the revalidate window: %s, %v; want v1 at once", v, err)
			}
		}
		close(release)
		waitFor(t, "the refreshed value", func() bool {
			v, err := cacheapp.GetOrLoad(ctx, a.svc, "swr", "k", seq.load)
			return err == nil && v == "v2"
		})
		if s := a.svc.Stats(); seq.n() != 2 || s.BackgroundRefreshes != 1 || s.StaleServed < 20 {
			t.Errorf("loads %d, background refreshes %d, stale served %d; want 2, 1, >= 20", seq.n(), s.BackgroundRefreshes, s.StaleServed)
		}
		// Past both windows the value is dead: a reader loads in the foreground.
		clock.Advance(3 * time.Minute)
		if v, err := cacheapp.GetOrLoad(ctx, a.svc, "swr", "k", seq.load); err != nil || v != "v3" {
			t.Errorf("past the window: %s, %v; want v3", v, err)
		}
	})
}

// TestStaleIfError: when the reload fails inside the stale-if-error window the old value stands in, from
// L1 or (once L1 let go) from Redis; past the window the error is returned.
func TestStaleIfError(t *testing.T) {
	t.Parallel()
	for _, l1ttl := range []time.Duration{time.Hour, 30 * time.Second} {
		t.Run(fmt.Sprintf("l1ttl=%s", l1ttl), func(t *testing.T) {
			t.Parallel()
			tg := harness.Standalone(t)
			ctx := ctxT(t)
			clock := newFakeClock()
			cfg := testConfig()
			cfg.Policy = cache.Policy{TTL: time.Minute, StaleIfError: 10 * time.Minute}
			cfg.L1TTL = l1ttl
			a := newNode(t, tg, cfg, clock)
			boom := errors.New("source down")
			fail := false
			load := &counted[string]{next: func(int) (string, error) {
				if fail {
					return "", boom
				}
				return "good", nil
			}}
			if v, _ := cacheapp.GetOrLoad(ctx, a.svc, "sie", "k", load.load); v != "good" {
				t.Fatal(v)
			}
			fail = true
			clock.Advance(2 * time.Minute)
			if v, err := cacheapp.GetOrLoad(ctx, a.svc, "sie", "k", load.load); err != nil || v != "good" {
				t.Errorf("failed reload inside the window: %q, %v; want the stale value", v, err)
			}
			if s := a.svc.Stats(); s.StaleServed != 1 || s.LoadErrors != 1 {
				t.Errorf("stale served %d, load errors %d; want 1, 1", s.StaleServed, s.LoadErrors)
			}
			clock.Advance(10 * time.Minute)
			if _, err := cacheapp.GetOrLoad(ctx, a.svc, "sie", "k", load.load); !errors.Is(err, boom) {
				t.Errorf("past the window: %v, want %v", err, boom)
			}
		})
	}
}

// TestLoadShedding: with MaxLoads loads running, another load is refused: with a stale value at hand it is
// served, without one cache.ErrOverloaded is returned.
func TestLoadShedding(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	ctx := ctxT(t)
	clock := newFakeClock()
	cfg := testConfig()
	cfg.MaxLoads = 1
	cfg.Policy = cache.Policy{TTL: time.Minute, StaleIfError: time.Hour}
	a := newNode(t, tg, cfg, clock)
	if _, err := cacheapp.GetOrLoad(ctx, a.svc, "shed", "stale", constant("old").load); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)

	started, release := make(chan struct{}), make(chan struct{})
	slow := func(context.Context) (string, error) {
		close(started)
		<-release
		return "slow", nil
	}
	done := make(chan error, 1)
	go func() {
		_, err := cacheapp.GetOrLoad(ctx, a.svc, "shed", "busy", slow)
		done <- err
	}()
	<-started
	if _, err := cacheapp.GetOrLoad(ctx, a.svc, "shed", "new", constant("x").load); !errors.Is(err, cache.ErrOverloaded) {
		t.Errorf("load beyond MaxLoads without a stale value = %v, want ErrOverloaded", err)
	}
	if v, err := cacheapp.GetOrLoad(ctx, a.svc, "shed", "stale", constant("fresh").load); err != nil || v != "old" {
		t.Errorf("load beyond MaxLoads with a stale value = %q, %v; want the stale value", v, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := a.svc.Stats(); s.LoadsShed != 2 {
		t.Errorf("loads shed = %d, want 2", s.LoadsShed)
	}
	if v, err := cacheapp.GetOrLoad(ctx, a.svc, "shed", "new", constant("x").load); err != nil || v != "x" {
		t.Errorf("after the slot freed: %q, %v", v, err)
	}
}

// TestWriteBeatsLoad: a Set on one instance while another instance's load of the key is running wins: the
// load's value is returned to its callers but not stored.
func TestWriteBeatsLoad(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := ctxT(t)
		a, b := newNode(t, tg, testConfig(), nil), newNode(t, tg, testConfig(), nil)
		started, release := make(chan struct{}), make(chan struct{})
		slow := func(context.Context) (string, error) {
			close(started)
			<-release
			return "loaded-before-write", nil
		}
		done := make(chan string, 1)
		go func() {
			v, _ := cacheapp.GetOrLoad(ctx, a.svc, "race", "k", slow)
			done <- v
		}()
		<-started
		if err := cacheapp.Set(ctx, b.svc, "race", "k", "written"); err != nil {
			t.Fatal(err)
		}
		close(release)
		if v := <-done; v != "loaded-before-write" {
			t.Errorf("the loading caller got %q", v)
		}
		for _, n := range []*node{a, b} {
			if v, err := cacheapp.Get[string](ctx, n.svc, "race", "k"); err != nil || v != "written" {
				t.Errorf("after the load: %q, %v; want the write", v, err)
			}
		}
		if s := a.svc.Stats(); s.FillsDropped != 1 {
			t.Errorf("fills dropped = %d, want 1", s.FillsDropped)
		}
	})
}
