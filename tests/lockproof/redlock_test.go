package lockproof

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/lockredis"
	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

// TestRedlockThroughTheService: the locks service over Redlock on three independent redis-server processes.
// Contending holders exclude each other (blocking acquisition retries with backoff and jitter: Redlock has no
// queue); a master stopped while a renewing lock is held changes nothing; with a second master down no lock
// can be taken.
func TestRedlockThroughTheService(t *testing.T) {
	t.Parallel()
	servers := []*harness.Server{harness.NewServer(t), harness.NewServer(t), harness.NewServer(t)}
	cfg := lockredis.DefaultConfig(harness.NewPrefix())
	for _, s := range servers {
		cfg.RedlockURLs = append(cfg.RedlockURLs, s.URL())
	}
	rl, clients, err := lockredis.OpenRedlock(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = rl.Close()
		for _, c := range clients {
			_ = c.Close()
		}
	})
	svc := lockapp.NewService(rl, nil, lockapp.DefaultConfig())
	ctx := testCtx(t)

	contend := func(what string) {
		t.Helper()
		var (
			inside, done atomic.Int32
			wg           sync.WaitGroup
		)
		for g := 0; g < 4; g++ {
			wg.Go(func() {
				for i := 0; i < 10; i++ {
					err := svc.Do(ctx, "job", func(context.Context, *lockapp.Lock) error {
						if n := inside.Add(1); n != 1 {
							t.Errorf("%s: %d holders at once", what, n)
						}
						time.Sleep(time.Millisecond)
						inside.Add(-1)
						return nil
					}, lockapp.WithTTL(2*time.Second))
					if err != nil {
						t.Errorf("%s: %v", what, err)
						return
					}
					done.Add(1)
				}
			})
		}
		wg.Wait()
		if done.Load() != 40 {
			t.Fatalf("%s: %d of 40 locked sections ran", what, done.Load())
		}
	}
	contend("three masters")

	held, err := svc.Acquire(ctx, "long", lockapp.WithTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	servers[0].Stop(t) // mid-test, while held and renewing
	time.Sleep(time.Second)
	if err := held.Err(); err != nil {
		t.Fatalf("renewing lock lost with one master down: %v", err)
	}
	if _, err := svc.TryAcquire(ctx, "long"); !errors.Is(err, lock.ErrNotAcquired) {
		t.Fatalf("second owner with one master down: %v", err)
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
	contend("one master down")

	servers[1].Stop(t)
	_, err = svc.TryAcquire(ctx, "job")
	if !errors.Is(err, ports.ErrUnavailable) {
		t.Fatalf("TryAcquire with two of three masters down: %v, want ErrUnavailable", err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := svc.Acquire(short, "job"); !errors.Is(err, lock.ErrNotAcquired) {
		t.Fatalf("blocking Acquire with two of three masters down: %v, want ErrNotAcquired when the wait ends", err)
	}
}
