package cachetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/tests/harness"
)

// warmUp writes until each instance has received one of the other's cache.invalidated events: a fan-out
// reader starts at the end of the stream, so events sent before it reads are not delivered to it.
func warmUp(t *testing.T, a, b *node) {
	t.Helper()
	ctx := ctxT(t)
	for i := 0; a.svc.Stats().InvalidationsReceived == 0 || b.svc.Stats().InvalidationsReceived == 0; i++ {
		if i > 1000 {
			t.Fatal("fan-out readers never started")
		}
		for _, n := range []*node{a, b} {
			if err := cacheapp.Set(ctx, n.svc, "warm", "up", i); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Warm-up events still in flight would count as the arrival a test then waits for (received counts
	// events, not which one): wait until neither instance has received anything for 100 ms.
	quiet := func() [2]uint64 {
		return [2]uint64{a.svc.Stats().InvalidationsReceived, b.svc.Stats().InvalidationsReceived}
	}
	last, since := quiet(), time.Now()
	waitFor(t, "warm-up events to drain", func() bool {
		if now := quiet(); now != last {
			last, since = now, time.Now()
		}
		return time.Since(since) >= 100*time.Millisecond
	})
}

// received returns a function that waits until b has received one more invalidation than now.
func received(t *testing.T, b *node) func() {
	before := b.svc.Stats().InvalidationsReceived
	return func() {
		t.Helper()
		waitFor(t, "cache.invalidated to arrive", func() bool { return b.svc.Stats().InvalidationsReceived > before })
	}
}

// TestCrossInstanceInvalidation: two instances, each with its own L1 and its own event bus, over one Redis.
// A write, a delete or a namespace invalidation on one removes the other's L1 copy as soon as the event
// arrives: no stale L1 read after that.
func TestCrossInstanceInvalidation(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := ctxT(t)
		a, b := newBusNode(t, tg, testConfig(), nil), newBusNode(t, tg, testConfig(), nil)
		warmUp(t, a, b)
		seq := &counted[string]{next: func(n int) (string, error) { return fmt.Sprintf("loaded-%d", n), nil }}
		get := func(n *node, key string) string {
			t.Helper()
			v, err := cacheapp.GetOrLoad(ctx, n.svc, "users", key, seq.load)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}

		// b holds users/1 in L1.
		if v := get(b, "1"); v != "loaded-1" {
			t.Fatal(v)
		}
		hits := b.svc.Stats().L1Hits
		if v := get(b, "1"); v != "loaded-1" || b.svc.Stats().L1Hits != hits+1 {
			t.Fatalf("second read %s was not an L1 hit", v)
		}

		arrived := received(t, b)
		if err := cacheapp.Set(ctx, a.svc, "users", "1", "written-by-a"); err != nil {
			t.Fatal(err)
		}
		arrived()
		if v := get(b, "1"); v != "written-by-a" {
			t.Errorf("b after a's write arrived: %q, want written-by-a", v)
		}

		arrived = received(t, b)
		if err := a.svc.Delete(ctx, "users", "1"); err != nil {
			t.Fatal(err)
		}
		arrived()
		if v := get(b, "1"); v != "loaded-2" {
			t.Errorf("b after a's delete arrived: %q, want a reload (loaded-2)", v)
		}

		old := get(b, "2")
		arrived = received(t, b)
		if _, err := a.svc.InvalidateNamespace(ctx, "users"); err != nil {
			t.Fatal(err)
		}
		arrived()
		if v := get(b, "2"); v == old {
			t.Errorf("b after a's namespace invalidation arrived: %q, want a reload", v)
		}
		// a skipped its own events: it had already updated itself.
		if s := a.svc.Stats(); s.InvalidationsPublished < 3 {
			t.Errorf("a published %d invalidations", s.InvalidationsPublished)
		}
	})
}

// TestNoStaleReadUnderConcurrentReaders: while 4 goroutines keep reading a key on b (repopulating its L1),
// a writes it 10 times; after each write's event reaches b, b reads the latest value. Reads that started
// before the event must not put the older value back into b's L1.
func TestNoStaleReadUnderConcurrentReaders(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := ctxT(t)
		a, b := newBusNode(t, tg, testConfig(), nil), newBusNode(t, tg, testConfig(), nil)
		warmUp(t, a, b)
		if err := cacheapp.Set(ctx, a.svc, "hot", "k", 0); err != nil {
			t.Fatal(err)
		}
		var (
			stop  atomic.Bool
			wg    sync.WaitGroup
			reads atomic.Int64
		)
		never := func(context.Context) (int, error) { return -1, nil } // the key always exists
		// Stop the readers also when the test fails: no reader may outlive it.
		defer func() {
			stop.Store(true)
			wg.Wait()
		}()
		for range 4 {
			wg.Go(func() {
				for !stop.Load() {
					if _, err := cacheapp.GetOrLoad(ctx, b.svc, "hot", "k", never); err != nil {
						t.Error(err)
						return
					}
					reads.Add(1)
				}
			})
		}
		for i := 1; i <= 10; i++ {
			arrived := received(t, b)
			if err := cacheapp.Set(ctx, a.svc, "hot", "k", i); err != nil {
				t.Fatal(err)
			}
			arrived()
			for range 3 {
				if v, err := cacheapp.GetOrLoad(ctx, b.svc, "hot", "k", never); err != nil || v != i {
					t.Fatalf("write %d arrived, b read %d, %v", i, v, err)
				}
			}
		}
		if reads.Load() == 0 || b.svc.Stats().L1Hits == 0 {
			t.Errorf("readers made %d reads, %d L1 hits; the test did not exercise L1", reads.Load(), b.svc.Stats().L1Hits)
		}
	})
}

// TestLostInvalidationBoundedByL1TTL: an instance that never receives cache.invalidated (here: no bus at
// all) serves the old value for at most L1TTL, for a key and for a namespace.
func TestLostInvalidationBoundedByL1TTL(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := ctxT(t)
		clock := newFakeClock()
		cfg := testConfig()
		cfg.L1TTL = 30 * time.Second
		a, b := newNode(t, tg, cfg, clock), newNode(t, tg, cfg, clock)
		seq := &counted[string]{next: func(n int) (string, error) { return fmt.Sprintf("loaded-%d", n), nil }}
		get := func(key string) string {
			t.Helper()
			v, err := cacheapp.GetOrLoad(ctx, b.svc, "users", key, seq.load)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		get("1")
		old2 := get("2")
		if err := cacheapp.Set(ctx, a.svc, "users", "1", "new"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.svc.InvalidateNamespace(ctx, "other"); err != nil { // unrelated
			t.Fatal(err)
		}
		clock.Advance(29 * time.Second)
		if v := get("1"); v != "loaded-1" {
			t.Errorf("inside L1TTL without the event: %q (the documented staleness is allowed, not required)", v)
		}
		clock.Advance(2 * time.Second)
		if v := get("1"); v != "new" {
			t.Errorf("past L1TTL: %q, want the write", v)
		}

		if _, err := a.svc.InvalidateNamespace(ctx, "users"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(31 * time.Second)
		if v := get("2"); v == old2 {
			t.Errorf("past L1TTL after a lost namespace invalidation: %q, want a reload", v)
		}
	})
}
