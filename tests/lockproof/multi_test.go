package lockproof

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/tests/harness"
)

// TestMultiLocksExcludeAndNeverDeadlock: goroutines take overlapping sets of names, each set in a random
// order, alongside single-name lockers. Every name is held by at most one holder at a time, and every
// acquisition completes: ordered acquisition leaves no cycle to deadlock on.
func TestMultiLocksExcludeAndNeverDeadlock(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := testCtx(t)
		svc := lockService(t, tg)
		names := []string{"res.a", "res.b", "res.c", "res.d"}
		inside := map[string]*atomic.Int32{}
		for _, n := range names {
			inside[n] = new(atomic.Int32)
		}
		var (
			wg   sync.WaitGroup
			errs = make(chan error, 64)
		)
		enter := func(held []string) error {
			for _, n := range held {
				if v := inside[n].Add(1); v != 1 {
					return fmt.Errorf("%s has %d holders", n, v)
				}
			}
			time.Sleep(200 * time.Microsecond)
			for _, n := range held {
				inside[n].Add(-1)
			}
			return nil
		}
		for g := 0; g < 8; g++ {
			wg.Go(func() {
				for i := 0; i < 25; i++ {
					set := append([]string(nil), names...)
					rand.Shuffle(len(set), func(a, b int) { set[a], set[b] = set[b], set[a] })
					set = set[:2+rand.IntN(3)]
					l, err := svc.AcquireMulti(ctx, set, lockapp.WithTTL(5*time.Second))
					if err != nil {
						errs <- err
						return
					}
					if err := enter(set); err != nil {
						errs <- err
					}
					if err := l.Release(ctx); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		for g := 0; g < 4; g++ {
			wg.Go(func() {
				for i := 0; i < 25; i++ {
					n := names[rand.IntN(len(names))]
					err := svc.Do(ctx, n, func(context.Context, *lockapp.Lock) error { return enter([]string{n}) },
						lockapp.WithTTL(5*time.Second))
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	})
}

// TestReadWriteLock: readers share, a writer excludes readers and other writers, and writers are not
// starved by a stream of readers (a queued writer makes later readers wait).
func TestReadWriteLock(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := testCtx(t)
		svc := lockService(t, tg)
		var (
			readers, writers, maxReaders atomic.Int32
			wrote                        atomic.Int32
			wg                           sync.WaitGroup
			errs                         = make(chan error, 64)
		)
		for g := 0; g < 12; g++ {
			wg.Go(func() {
				for i := 0; i < 20; i++ {
					l, err := svc.Acquire(ctx, "doc", lockapp.Shared(), lockapp.WithTTL(5*time.Second))
					if err != nil {
						errs <- err
						return
					}
					n := readers.Add(1)
					if w := writers.Load(); w != 0 {
						errs <- fmt.Errorf("a reader inside with %d writers", w)
					}
					for {
						m := maxReaders.Load()
						if n <= m || maxReaders.CompareAndSwap(m, n) {
							break
						}
					}
					time.Sleep(300 * time.Microsecond)
					readers.Add(-1)
					if err := l.Release(ctx); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		for g := 0; g < 3; g++ {
			wg.Go(func() {
				for i := 0; i < 10; i++ {
					l, err := svc.Acquire(ctx, "doc", lockapp.WithTTL(5*time.Second))
					if err != nil {
						errs <- err
						return
					}
					if w := writers.Add(1); w != 1 || readers.Load() != 0 {
						errs <- fmt.Errorf("a writer inside with %d writers and %d readers", w, readers.Load())
					}
					time.Sleep(300 * time.Microsecond)
					writers.Add(-1)
					wrote.Add(1)
					if err := l.Release(ctx); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if wrote.Load() != 30 {
			t.Errorf("writers finished %d times, want 30", wrote.Load())
		}
		if maxReaders.Load() < 2 {
			t.Errorf("readers never shared the lock (max %d at once)", maxReaders.Load())
		}
	})
}
