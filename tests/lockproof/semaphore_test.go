package lockproof

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/app/semaphoreapp"
	"github.com/statekit/statekit/domain/semaphore"
	"github.com/statekit/statekit/tests/harness"
)

// TestSemaphoreNeverOverCapacity: 64 goroutines take and give back permits of a pool of capacity 5, many
// times each. An independent counter (incremented after a grant, decremented before the release) never
// exceeds 5, and every acquisition completes.
func TestSemaphoreNeverOverCapacity(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := testCtx(t)
		svc := semService(t, tg)
		const (
			goroutines = 64
			rounds     = 8
			capacity   = 5
		)
		var (
			inUse, peak, done atomic.Int64
			wg                sync.WaitGroup
			errs              = make(chan error, goroutines)
		)
		for g := 0; g < goroutines; g++ {
			wg.Go(func() {
				for i := 0; i < rounds; i++ {
					p, err := svc.Acquire(ctx, "workers", semaphoreapp.WithCapacity(capacity), semaphoreapp.WithTTL(10*time.Second))
					if err != nil {
						errs <- err
						return
					}
					n := inUse.Add(1)
					for {
						old := peak.Load()
						if n <= old || peak.CompareAndSwap(old, n) {
							break
						}
					}
					time.Sleep(time.Millisecond) // hold it a moment so holders overlap
					inUse.Add(-1)
					if err := p.Release(ctx); err != nil {
						errs <- fmt.Errorf("release: %w", err)
						return
					}
					done.Add(1)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if peak.Load() > capacity {
			t.Fatalf("%d holders at once, capacity %d", peak.Load(), capacity)
		}
		if peak.Load() < 2 {
			t.Errorf("peak %d: the holders never overlapped, the test proves nothing", peak.Load())
		}
		if done.Load() != goroutines*rounds {
			t.Errorf("%d acquisitions completed, want %d", done.Load(), goroutines*rounds)
		}
		st, err := svc.Stats(ctx, "workers")
		if err != nil || st.Used != 0 || st.Holders != 0 || st.Waiters != 0 {
			t.Errorf("stats after all released: %+v, %v", st, err)
		}
	})
}

// TestSemaphoreFIFOWeighted: waiters of different weights are granted in queue order, and a light waiter
// never overtakes a heavy one queued before it even when a permit it could use is free. The test releases
// permits one at a time and watches who is granted.
func TestSemaphoreFIFOWeighted(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := testCtx(t)
		svc := semService(t, tg)
		holder, err := svc.TryAcquire(ctx, "gate", semaphoreapp.WithCapacity(2), semaphoreapp.WithWeight(2))
		if err != nil {
			t.Fatal(err)
		}
		weights := []int{2, 1, 1, 2, 1}
		granted := make(chan int, len(weights))
		permits := make([]chan *semaphoreapp.Permit, len(weights))
		for i, w := range weights {
			permits[i] = make(chan *semaphoreapp.Permit, 1)
			go func() {
				p, err := svc.Acquire(ctx, "gate", semaphoreapp.WithWeight(w), semaphoreapp.WithTTL(10*time.Second))
				if err != nil {
					t.Error(err)
					return
				}
				permits[i] <- p
				granted <- i
			}()
			waitWaiters(t, ctx, svc, "gate", i+1) // the next waiter starts once this one is queued
		}
		next := func(want ...int) {
			t.Helper()
			var got []int
			for range want {
				select {
				case i := <-granted:
					got = append(got, i)
				case <-time.After(5 * time.Second):
					t.Fatalf("granted %v, want %v", got, want)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("granted %v, want %v", got, want)
			}
		}
		none := func(what string) {
			t.Helper()
			select {
			case i := <-granted:
				t.Fatalf("%s: waiter %d granted", what, i)
			case <-time.After(50 * time.Millisecond):
			}
		}
		release := func(p *semaphoreapp.Permit) {
			t.Helper()
			if err := p.Release(ctx); err != nil {
				t.Fatal(err)
			}
		}
		release(holder)
		next(0) // weight 2 takes both permits
		release(<-permits[0])
		next(1, 2) // two light waiters share them
		release(<-permits[1])
		none("one permit free, heavy waiter 3 first in line") // light waiter 4 must not overtake
		release(<-permits[2])
		next(3)
		release(<-permits[3])
		next(4)
		release(<-permits[4])
	})
}

// waitWaiters waits until the pool's queue holds n live waiters.
func waitWaiters(t *testing.T, ctx context.Context, svc *semaphoreapp.Service, pool string, n int) {
	t.Helper()
	for {
		st, err := svc.Stats(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		if st.Waiters == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSemaphoreStrictFIFO: with capacity 1 (one holder at a time) the grant order is exactly the queue order.
func TestSemaphoreStrictFIFO(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := testCtx(t)
		svc := semService(t, tg)
		holder, err := svc.TryAcquire(ctx, "one", semaphoreapp.WithCapacity(1))
		if err != nil {
			t.Fatal(err)
		}
		const waiters = 16
		var (
			mu    sync.Mutex
			order []int
			wg    sync.WaitGroup
		)
		for i := 0; i < waiters; i++ {
			wg.Go(func() {
				p, err := svc.Acquire(ctx, "one", semaphoreapp.WithTTL(10*time.Second))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				if err := p.Release(ctx); err != nil {
					t.Error(err)
				}
			})
			waitWaiters(t, ctx, svc, "one", i+1)
		}
		if err := holder.Release(ctx); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		for pos, i := range order {
			if pos != i {
				t.Fatalf("grant order %v, want the queue order 0..%d", order, waiters-1)
			}
		}
		if len(order) != waiters {
			t.Fatalf("order %v", order)
		}
	})
}

// TestSemaphoreReclaimsExpiredPermits: a holder that stops refreshing (it died) loses its permit when the
// lease runs out; a waiter gets it then, and the dead holder's context is cancelled with the loss.
func TestSemaphoreReclaimsExpiredPermits(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := testCtx(t)
		svc := semService(t, tg)
		dead, err := svc.TryAcquire(ctx, "reclaim", semaphoreapp.WithCapacity(1),
			semaphoreapp.WithTTL(100*time.Millisecond), semaphoreapp.WithoutRefresh())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.TryAcquire(ctx, "reclaim"); !errors.Is(err, semaphore.ErrNotAcquired) {
			t.Fatalf("second permit of a capacity-1 pool: %v", err)
		}
		p, err := svc.Acquire(ctx, "reclaim", semaphoreapp.WithTTL(10*time.Second))
		if err != nil {
			t.Fatalf("the expired permit was never reclaimed: %v", err)
		}
		defer p.Release(context.Background())
		<-dead.Context().Done()
		if cause := context.Cause(dead.Context()); !errors.Is(cause, semaphore.ErrLost) {
			t.Errorf("dead holder's context cause = %v, want ErrLost", cause)
		}
		if err := dead.Release(ctx); !errors.Is(err, semaphore.ErrLost) {
			t.Errorf("dead holder's release = %v, want ErrLost", err)
		}
		if st, _ := svc.Stats(ctx, "reclaim"); st.Used != 1 || st.Holders != 1 {
			t.Errorf("stats = %+v, want exactly the new holder", st)
		}
	})
}
