package cachetest_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/cacheredis"
	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/app/cacheapp/cachetest"
	"github.com/statekit/statekit/domain/cache"
	"github.com/statekit/statekit/tests/eventlog"
	"github.com/statekit/statekit/tests/fakeclock"
	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

type item struct {
	Name string
	N    int
}

// subject is one Cache under test with the clock that drives its TTLs.
type subject struct {
	c     cacheapp.Cache[item]
	clock *fakeclock.Clock
}

// each runs the behaviour test against the fake and against the real cache on Redis (standalone and
// cluster), so the fake cannot drift from what it stands in for.
func each(t *testing.T, test func(t *testing.T, s subject)) {
	t.Run("fake", func(t *testing.T) {
		t.Parallel()
		clock := fakeclock.New(time.Now())
		test(t, subject{c: cachetest.Typed[item](cachetest.New(clock)), clock: clock})
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		harness.Each(t, func(t *testing.T, tg harness.Target) {
			clock := fakeclock.New(time.Now())
			local, err := cacheapp.NewLocal(cacheapp.DefaultConfig(), cacheredis.New(tg.Client, tg.Prefix), clock)
			if err != nil {
				t.Fatal(err)
			}
			svc := cacheapp.NewService(local, eventlog.Discard{}, nil)
			t.Cleanup(func() { _ = svc.Close(context.Background()) })
			test(t, subject{c: cacheapp.Typed[item](svc), clock: clock})
		})
	})
}

// counting returns a loader of v and the number of times it ran.
func counting(v item, err error) (func(context.Context) (item, error), *atomic.Int32) {
	var n atomic.Int32
	return func(context.Context) (item, error) {
		n.Add(1)
		return v, err
	}, &n
}

func TestGetOrLoadLoadsOnceThenServes(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		ctx := context.Background()
		load, n := counting(item{"ada", 1}, nil)
		for i := range 3 {
			got, err := s.c.GetOrLoad(ctx, "users", "1", load)
			if err != nil || got != (item{"ada", 1}) {
				t.Fatalf("GetOrLoad #%d = %+v, %v", i, got, err)
			}
		}
		if n.Load() != 1 {
			t.Errorf("loader ran %d times, want 1", n.Load())
		}
		if got, err := s.c.Get(ctx, "users", "1"); err != nil || got.Name != "ada" {
			t.Errorf("Get after load = %+v, %v", got, err)
		}
	})
}

func TestSetGetDelete(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		ctx := context.Background()
		if _, err := s.c.Get(ctx, "users", "2"); !errors.Is(err, cache.ErrMiss) {
			t.Fatalf("Get of nothing = %v, want cache.ErrMiss", err)
		}
		for _, v := range []item{{"grace", 1}, {"grace", 2}} {
			if err := s.c.Set(ctx, "users", "2", v); err != nil {
				t.Fatal(err)
			}
			if got, err := s.c.Get(ctx, "users", "2"); err != nil || got != v {
				t.Fatalf("Get after Set(%+v) = %+v, %v", v, got, err)
			}
		}
		load, n := counting(item{"loaded", 0}, nil)
		if got, err := s.c.GetOrLoad(ctx, "users", "2", load); err != nil || got != (item{"grace", 2}) || n.Load() != 0 {
			t.Errorf("GetOrLoad after Set = %+v, %v (loads %d), want the written value", got, err, n.Load())
		}
		if err := s.c.Delete(ctx, "users", "2"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.c.Get(ctx, "users", "2"); !errors.Is(err, cache.ErrMiss) {
			t.Errorf("Get after Delete = %v, want cache.ErrMiss", err)
		}
	})
}

func TestLoaderErrorsAreNotCachedButNotFoundIs(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		ctx := context.Background()
		boom := errors.New("database down")
		failing, n := counting(item{}, boom)
		for range 2 {
			if _, err := s.c.GetOrLoad(ctx, "users", "3", failing); !errors.Is(err, boom) {
				t.Fatalf("GetOrLoad = %v, want the loader's error", err)
			}
		}
		if n.Load() != 2 {
			t.Errorf("failing loader ran %d times, want 2 (errors are not cached)", n.Load())
		}

		missing, m := counting(item{}, cache.ErrNotFound)
		for range 2 {
			if _, err := s.c.GetOrLoad(ctx, "users", "4", missing); !errors.Is(err, cache.ErrNotFound) {
				t.Fatalf("GetOrLoad = %v, want cache.ErrNotFound", err)
			}
		}
		if _, err := s.c.Get(ctx, "users", "4"); !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("Get of a remembered absence = %v, want cache.ErrNotFound", err)
		}
		if m.Load() != 1 {
			t.Errorf("not-found loader ran %d times, want 1 (remembered for the negative TTL)", m.Load())
		}

		forgetful, k := counting(item{}, cache.ErrNotFound)
		for range 2 {
			_, _ = s.c.GetOrLoad(ctx, "users", "5", forgetful, cacheapp.WithNegativeTTL(0))
		}
		if k.Load() != 2 {
			t.Errorf("with WithNegativeTTL(0) the loader ran %d times, want 2", k.Load())
		}
	})
}

func TestValuesExpireAfterTheirTTL(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		ctx := context.Background()
		opts := []cacheapp.Option{cacheapp.WithTTL(time.Minute), cacheapp.WithStale(0, 0), cacheapp.WithJitter(0)}
		load, n := counting(item{"ttl", 1}, nil)
		if _, err := s.c.GetOrLoad(ctx, "users", "6", load, opts...); err != nil {
			t.Fatal(err)
		}
		s.clock.Advance(59 * time.Second)
		if _, err := s.c.Get(ctx, "users", "6"); err != nil {
			t.Fatalf("Get before the TTL = %v", err)
		}
		s.clock.Advance(2 * time.Second)
		if _, err := s.c.Get(ctx, "users", "6"); !errors.Is(err, cache.ErrMiss) {
			t.Errorf("Get past the TTL = %v, want cache.ErrMiss", err)
		}
		if _, err := s.c.GetOrLoad(ctx, "users", "6", load, opts...); err != nil || n.Load() != 2 {
			t.Errorf("GetOrLoad past the TTL = %v with %d loads, want a second load", err, n.Load())
		}
	})
}

func TestInvalidateNamespace(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		ctx := context.Background()
		for _, ns := range []string{"prices", "stock"} {
			if err := s.c.Set(ctx, ns, "a", item{ns, 1}); err != nil {
				t.Fatal(err)
			}
		}
		g1, err := s.c.InvalidateNamespace(ctx, "prices")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.c.Get(ctx, "prices", "a"); !errors.Is(err, cache.ErrMiss) {
			t.Errorf("Get in the invalidated namespace = %v, want cache.ErrMiss", err)
		}
		if got, err := s.c.Get(ctx, "stock", "a"); err != nil || got.Name != "stock" {
			t.Errorf("Get in another namespace = %+v, %v", got, err)
		}
		if err := s.c.Set(ctx, "prices", "a", item{"new", 2}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.c.Get(ctx, "prices", "a"); err != nil || got.Name != "new" {
			t.Errorf("Get of a value written after the invalidation = %+v, %v", got, err)
		}
		if g2, err := s.c.InvalidateNamespace(ctx, "prices"); err != nil || g2 <= g1 {
			t.Errorf("second InvalidateNamespace = %d, %v; want a generation above %d", g2, err, g1)
		}
	})
}

func TestBadInputIsRefusedAndStoresNothing(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		ctx := context.Background()
		load, n := counting(item{"x", 1}, nil)
		for _, c := range []struct {
			name string
			err  error
		}{
			{"empty namespace", s.c.Set(ctx, "", "k", item{})},
			{"key with a space", s.c.Set(ctx, "users", "a b", item{})},
			{"jitter above 0.5", s.c.Set(ctx, "users", "k", item{}, cacheapp.WithJitter(0.9))},
			{"load with a bad key", func() error { _, err := s.c.GetOrLoad(ctx, "users", "", load); return err }()},
			{"delete with a bad namespace", s.c.Delete(ctx, "a b", "k")},
			{"invalidate a bad namespace", func() error { _, err := s.c.InvalidateNamespace(ctx, ""); return err }()},
		} {
			if !errors.Is(c.err, cache.ErrInvalid) {
				t.Errorf("%s: %v, want cache.ErrInvalid", c.name, c.err)
			}
		}
		if n.Load() != 0 {
			t.Errorf("a loader ran for bad input")
		}
		if _, err := s.c.Get(ctx, "users", "k"); !errors.Is(err, cache.ErrMiss) {
			t.Errorf("Get after refused writes = %v, want cache.ErrMiss", err)
		}
	})
}

// TestConcurrentReadersShareOneLoad: many goroutines miss the same key at once; the loader runs once and
// every one of them gets its value.
func TestConcurrentReadersShareOneLoad(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		ctx := context.Background()
		release := make(chan struct{})
		var n atomic.Int32
		load := func(context.Context) (item, error) {
			n.Add(1)
			<-release
			return item{"shared", 7}, nil
		}
		const readers = 32
		var wg sync.WaitGroup
		errs := make(chan error, readers)
		for range readers {
			wg.Go(func() {
				got, err := s.c.GetOrLoad(ctx, "users", "hot", load)
				if err == nil && got != (item{"shared", 7}) {
					err = errors.New("wrong value " + got.Name)
				}
				errs <- err
			})
		}
		for n.Load() == 0 {
			time.Sleep(time.Millisecond) // wait for the one load to start, then let it finish
		}
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if n.Load() != 1 {
			t.Errorf("loader ran %d times for %d concurrent readers, want 1", n.Load(), readers)
		}
	})
}
