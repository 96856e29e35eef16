package locktest_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/lockredis"
	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/app/lockapp/locktest"
	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/wait"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// each runs the behaviour test against the fake and against the real locks on Redis (standalone and
// cluster), so the fake cannot drift from what it stands in for.
func each(t *testing.T, test func(t *testing.T, l lockapp.Locker)) {
	t.Run("fake", func(t *testing.T) {
		t.Parallel()
		test(t, locktest.New())
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		harness.Each(t, func(t *testing.T, tg harness.Target) {
			store, err := lockredis.New(tg.Client, lockredis.DefaultConfig(tg.Prefix), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = store.Close() })
			test(t, lockapp.NewService(store, store, lockapp.DefaultConfig()))
		})
	})
}

// TestDoExcludesConcurrentHolders: many goroutines run critical sections under one lock; never two at once.
func TestDoExcludesConcurrentHolders(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, locks lockapp.Locker) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		const workers, rounds = 16, 5
		var inside, most, done atomic.Int32
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range rounds {
					err := locks.Do(ctx, "counter", func(context.Context, *lockapp.Lock) error {
						n := inside.Add(1)
						for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
						}
						time.Sleep(100 * time.Microsecond) // give an overlapping holder the chance to show
						inside.Add(-1)
						done.Add(1)
						return nil
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if most.Load() != 1 || done.Load() != workers*rounds {
			t.Errorf("at most %d holders at once over %d sections, want 1 over %d", most.Load(), done.Load(), workers*rounds)
		}
	})
}

func TestTryAcquireAndSharedMode(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, locks lockapp.Locker) {
		ctx := context.Background()
		w, err := locks.TryAcquire(ctx, "doc")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := locks.TryAcquire(ctx, "doc"); !errors.Is(err, lock.ErrNotAcquired) {
			t.Errorf("second exclusive TryAcquire = %v, want lock.ErrNotAcquired", err)
		}
		if _, err := locks.TryAcquire(ctx, "doc", lockapp.Shared()); !errors.Is(err, lock.ErrNotAcquired) {
			t.Errorf("shared TryAcquire under a writer = %v, want lock.ErrNotAcquired", err)
		}
		if err := w.Release(ctx); err != nil {
			t.Fatal(err)
		}
		r1, err1 := locks.TryAcquire(ctx, "doc", lockapp.Shared())
		r2, err2 := locks.TryAcquire(ctx, "doc", lockapp.Shared())
		if err1 != nil || err2 != nil {
			t.Fatalf("two readers: %v, %v", err1, err2)
		}
		if _, err := locks.TryAcquire(ctx, "doc"); !errors.Is(err, lock.ErrNotAcquired) {
			t.Errorf("writer under readers = %v, want lock.ErrNotAcquired", err)
		}
		if err := errors.Join(r1.Release(ctx), r2.Release(ctx)); err != nil {
			t.Fatal(err)
		}
		again, err := locks.TryAcquire(ctx, "doc")
		if err != nil {
			t.Fatalf("writer after the readers left: %v", err)
		}
		if err := again.Release(ctx); err != nil {
			t.Error(err)
		}
		if err := again.Release(ctx); err != nil {
			t.Errorf("second Release = %v, want a no-op", err)
		}
	})
}

// TestAcquireWaitsForTheHolder: a blocked Acquire gets the lock once the holder releases it, and gives up
// with lock.ErrNotAcquired when its context ends first.
func TestAcquireWaitsForTheHolder(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, locks lockapp.Locker) {
		ctx := context.Background()
		held, err := locks.Acquire(ctx, "queue")
		if err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := locks.Acquire(short, "queue"); !errors.Is(err, lock.ErrNotAcquired) {
			t.Errorf("Acquire whose context ends = %v, want lock.ErrNotAcquired", err)
		}
		got := make(chan *lockapp.Lock, 1)
		go func() {
			ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			l, err := locks.Acquire(ctx, "queue")
			if err != nil {
				t.Error(err)
			}
			got <- l
		}()
		wait.Nothing(t, 50*time.Millisecond, "a second holder", got)
		if err := held.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if l := wait.Receive(t, 20*time.Second, "the waiter's lock", got); l != nil {
			if l.Fence() <= held.Fence() {
				t.Errorf("fence %d after %d, want it larger", l.Fence(), held.Fence())
			}
			_ = l.Release(ctx)
		}
	})
}

// TestFencedWrites: a later holder's larger fence wins; a late write with an older fence is refused and
// changes nothing.
func TestFencedWrites(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, locks lockapp.Locker) {
		ctx := context.Background()
		if _, _, err := locks.ReadFenced(ctx, "cfg"); !errors.Is(err, lock.ErrNoValue) {
			t.Errorf("ReadFenced of nothing = %v, want lock.ErrNoValue", err)
		}
		first, err := locks.Acquire(ctx, "cfg")
		if err != nil {
			t.Fatal(err)
		}
		old := first.Fence()
		if err := first.WriteFenced(ctx, "cfg", "v1", 0); err != nil {
			t.Fatal(err)
		}
		_ = first.Release(ctx)
		second, err := locks.Acquire(ctx, "cfg")
		if err != nil {
			t.Fatal(err)
		}
		defer second.Release(ctx)
		if err := second.WriteFenced(ctx, "cfg", "v2", 0); err != nil {
			t.Fatal(err)
		}
		if err := locks.WriteFenced(ctx, "cfg", "late", old, 0); !errors.Is(err, lock.ErrStaleFence) {
			t.Errorf("late write = %v, want lock.ErrStaleFence", err)
		}
		if v, f, err := locks.ReadFenced(ctx, "cfg"); err != nil || v != "v2" || f != second.Fence() {
			t.Errorf("ReadFenced = %q, %d, %v; want v2, %d", v, f, err, second.Fence())
		}
	})
}

// TestLapsedLockIsLost: a lock taken without renewal lapses after its TTL; its holder's context ends with
// lock.ErrLost, another caller can take it, and the first holder's Release reports the loss.
func TestLapsedLockIsLost(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, locks lockapp.Locker) {
		ctx := context.Background()
		l, err := locks.Acquire(ctx, "lease", lockapp.WithTTL(100*time.Millisecond), lockapp.WithoutRenewal())
		if err != nil {
			t.Fatal(err)
		}
		wait.Receive(t, 10*time.Second, "the holder context's end", l.Context().Done())
		if !errors.Is(context.Cause(l.Context()), lock.ErrLost) {
			t.Errorf("cause = %v, want lock.ErrLost", context.Cause(l.Context()))
		}
		var next *lockapp.Lock
		wait.Until(t, 10*time.Second, 5*time.Millisecond, "the lapsed lock free", func() bool {
			next, err = locks.TryAcquire(ctx, "lease")
			return err == nil
		})
		defer next.Release(ctx)
		if err := l.Release(ctx); !errors.Is(err, lock.ErrLost) {
			t.Errorf("Release of a lapsed lock = %v, want lock.ErrLost", err)
		}
	})
}

func TestBadNamesAreRefused(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, locks lockapp.Locker) {
		ctx := context.Background()
		if _, err := locks.TryAcquire(ctx, "a b"); !errors.Is(err, lock.ErrInvalid) {
			t.Errorf("TryAcquire(%q) = %v, want lock.ErrInvalid", "a b", err)
		}
		if _, err := locks.AcquireMulti(ctx, nil); !errors.Is(err, lock.ErrInvalid) {
			t.Errorf("AcquireMulti(nil) = %v, want lock.ErrInvalid", err)
		}
		if err := locks.WriteFenced(ctx, "k", "v", 0, 0); !errors.Is(err, lock.ErrInvalid) {
			t.Errorf("WriteFenced with fence 0 = %v, want lock.ErrInvalid", err)
		}
	})
}

// TestBreakMakesTheHolderLoseTheLock is about the fake alone: Break is how a unit test makes code lose
// its lock.
func TestBreakMakesTheHolderLoseTheLock(t *testing.T) {
	t.Parallel()
	locks := locktest.New()
	ctx := context.Background()
	l, err := locks.Acquire(ctx, "job")
	if err != nil {
		t.Fatal(err)
	}
	locks.Break("job")
	if err := l.Extend(ctx, time.Minute); !errors.Is(err, lock.ErrLost) {
		t.Errorf("Extend after Break = %v, want lock.ErrLost", err)
	}
	wait.Receive(t, 10*time.Second, "the holder context's end", l.Context().Done())
	if other, err := locks.TryAcquire(ctx, "job"); err != nil {
		t.Errorf("TryAcquire after Break = %v", err)
	} else {
		_ = other.Release(ctx)
	}
}
