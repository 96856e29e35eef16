package semaphoretest_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/semaphoreredis"
	"github.com/statekit/statekit/app/semaphoreapp"
	"github.com/statekit/statekit/app/semaphoreapp/semaphoretest"
	"github.com/statekit/statekit/domain/semaphore"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/wait"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// subject is one Acquirer under test with the pool statistics of the service behind it.
type subject interface {
	semaphoreapp.Acquirer
	Stats(ctx context.Context, pool string) (semaphore.Stats, error)
}

// each runs the behaviour test against the fake and against the real semaphore on Redis (standalone and
// cluster), so the fake cannot drift from what it stands in for.
func each(t *testing.T, test func(t *testing.T, s subject)) {
	t.Run("fake", func(t *testing.T) {
		t.Parallel()
		test(t, semaphoretest.New())
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		harness.Each(t, func(t *testing.T, tg harness.Target) {
			store, err := semaphoreredis.New(tg.Client, semaphoreredis.DefaultConfig(tg.Prefix), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = store.Close() })
			test(t, semaphoreapp.NewService(store, semaphoreapp.DefaultConfig()))
		})
	})
}

// TestCapacityIsNeverExceeded: many goroutines take permits of weight 1 or 2 from a pool of 3; the
// weights held at once never pass 3.
func TestCapacityIsNeverExceeded(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		const workers, rounds, capacity = 16, 4, 3
		var inUse, most, done atomic.Int32
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				weight := 1 + w%2
				for range rounds {
					err := s.Do(ctx, "api", func(context.Context, *semaphoreapp.Permit) error {
						n := inUse.Add(int32(weight))
						for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
						}
						time.Sleep(100 * time.Microsecond) // give an overlapping holder the chance to show
						inUse.Add(-int32(weight))
						done.Add(1)
						return nil
					}, semaphoreapp.WithCapacity(capacity), semaphoreapp.WithWeight(weight))
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if most.Load() > capacity || done.Load() != workers*rounds {
			t.Errorf("at most %d permits held at once over %d sections, want at most %d over %d",
				most.Load(), done.Load(), capacity, workers*rounds)
		}
	})
}

func TestTryAcquireStatsAndRelease(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		ctx := context.Background()
		heavy, err := s.TryAcquire(ctx, "pool", semaphoreapp.WithCapacity(3), semaphoreapp.WithWeight(2))
		if err != nil {
			t.Fatal(err)
		}
		light, err := s.TryAcquire(ctx, "pool")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.TryAcquire(ctx, "pool"); !errors.Is(err, semaphore.ErrNotAcquired) {
			t.Errorf("TryAcquire of a full pool = %v, want semaphore.ErrNotAcquired", err)
		}
		st, err := s.Stats(ctx, "pool")
		if err != nil || st.Capacity != 3 || st.Used != 3 || st.Holders != 2 {
			t.Errorf("Stats = %+v, %v; want capacity 3, used 3, 2 holders", st, err)
		}
		if err := errors.Join(heavy.Release(ctx), light.Release(ctx)); err != nil {
			t.Fatal(err)
		}
		if st, err := s.Stats(ctx, "pool"); err != nil || st.Used != 0 {
			t.Errorf("Stats after release = %+v, %v; want nothing used", st, err)
		}
	})
}

func TestBadRequestsAreRefused(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		ctx := context.Background()
		if _, err := s.TryAcquire(ctx, "nowhere"); !errors.Is(err, semaphore.ErrNoPool) {
			t.Errorf("TryAcquire of an unknown pool = %v, want semaphore.ErrNoPool", err)
		}
		if _, err := s.TryAcquire(ctx, "small", semaphoreapp.WithCapacity(2), semaphoreapp.WithWeight(3)); !errors.Is(err, semaphore.ErrTooHeavy) {
			t.Errorf("weight above capacity = %v, want semaphore.ErrTooHeavy", err)
		}
		if _, err := s.TryAcquire(ctx, "a b", semaphoreapp.WithCapacity(1)); !errors.Is(err, semaphore.ErrInvalid) {
			t.Errorf("bad pool name = %v, want semaphore.ErrInvalid", err)
		}
	})
}

// TestAcquireWaitsForAPermit: a blocked Acquire gets a permit once one is released, and gives up with
// semaphore.ErrNotAcquired when its context ends first.
func TestAcquireWaitsForAPermit(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		ctx := context.Background()
		held, err := s.Acquire(ctx, "one", semaphoreapp.WithCapacity(1))
		if err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := s.Acquire(short, "one"); !errors.Is(err, semaphore.ErrNotAcquired) {
			t.Errorf("Acquire whose context ends = %v, want semaphore.ErrNotAcquired", err)
		}
		got := make(chan *semaphoreapp.Permit, 1)
		go func() {
			ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			p, err := s.Acquire(ctx, "one")
			if err != nil {
				t.Error(err)
			}
			got <- p
		}()
		wait.Nothing(t, 50*time.Millisecond, "a second permit", got)
		if err := held.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if p := wait.Receive(t, 20*time.Second, "the waiter's permit", got); p != nil {
			_ = p.Release(ctx)
		}
	})
}

// TestLapsedPermitIsLost: a permit taken without refresh lapses after its TTL; its holder's context ends
// with semaphore.ErrLost and its Release reports the loss.
func TestLapsedPermitIsLost(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		ctx := context.Background()
		p, err := s.Acquire(ctx, "lease", semaphoreapp.WithCapacity(1), semaphoreapp.WithTTL(100*time.Millisecond),
			semaphoreapp.WithoutRefresh())
		if err != nil {
			t.Fatal(err)
		}
		wait.Receive(t, 10*time.Second, "the holder context's end", p.Context().Done())
		if !errors.Is(context.Cause(p.Context()), semaphore.ErrLost) {
			t.Errorf("cause = %v, want semaphore.ErrLost", context.Cause(p.Context()))
		}
		if err := p.Release(ctx); !errors.Is(err, semaphore.ErrLost) {
			t.Errorf("Release of a lapsed permit = %v, want semaphore.ErrLost", err)
		}
	})
}

// TestBreakMakesTheHolderLoseItsPermit is about the fake alone: Break is how a unit test makes code lose
// its permit.
func TestBreakMakesTheHolderLoseItsPermit(t *testing.T) {
	t.Parallel()
	sem := semaphoretest.New()
	ctx := context.Background()
	p, err := sem.Acquire(ctx, "pool", semaphoreapp.WithCapacity(1))
	if err != nil {
		t.Fatal(err)
	}
	sem.Break("pool")
	if err := p.Refresh(ctx, time.Minute); !errors.Is(err, semaphore.ErrLost) {
		t.Errorf("Refresh after Break = %v, want semaphore.ErrLost", err)
	}
	wait.Receive(t, 10*time.Second, "the holder context's end", p.Context().Done())
}
