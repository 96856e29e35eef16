package lockapp_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/lockredis"
	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/tests/harness"
)

// TestMain stops the redis-server the Examples start.
func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// newLocks builds the locks service on the Examples' Redis.
func newLocks() (*lockapp.Service, func(), error) {
	rdb, err := harness.Open()
	if err != nil {
		return nil, nil, err
	}
	store, err := lockredis.New(rdb.Client, lockredis.DefaultConfig(rdb.Prefix), nil)
	if err != nil {
		_ = rdb.Client.Close()
		return nil, nil, err
	}
	done := func() { _ = store.Close(); _ = rdb.Client.Close() }
	return lockapp.NewService(store, store, lockapp.DefaultConfig()), done, nil
}

// Acquire waits for the lock and keeps it renewed until Release; meanwhile nobody else can take it.
func ExampleService_Acquire() {
	ctx := context.Background()
	locks, done, err := newLocks()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer done()

	l, err := locks.Acquire(ctx, "nightly-report", lockapp.WithTTL(10*time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = locks.TryAcquire(ctx, "nightly-report")
	fmt.Println("second holder:", errors.Is(err, lock.ErrNotAcquired))
	fmt.Println("release:", l.Release(ctx))
	// Output:
	// second holder: true
	// release: <nil>
}

// Do runs a function while holding the lock and releases it afterwards. The function's context ends if the
// lock is lost, so the work stops when the protection does.
func ExampleService_Do() {
	locks, done, err := newLocks()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer done()

	err = locks.Do(context.Background(), "invoice-42", func(ctx context.Context, l *lockapp.Lock) error {
		fmt.Println("holding", l.Name())
		return nil
	})
	fmt.Println("done:", err)
	// Output:
	// holding invoice-42
	// done: <nil>
}

// A holder that paused past its lease (here: it released) and writes late is refused, because a newer
// holder wrote with a larger fencing token.
func ExampleLock_WriteFenced() {
	ctx := context.Background()
	locks, done, err := newLocks()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer done()

	first, err := locks.Acquire(ctx, "config")
	if err != nil {
		fmt.Println(err)
		return
	}
	oldFence := first.Fence()
	_ = first.Release(ctx)

	second, err := locks.Acquire(ctx, "config")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer second.Release(ctx)
	fmt.Println("new holder writes:", second.WriteFenced(ctx, "config.json", "v2", 0))
	err = locks.WriteFenced(ctx, "config.json", "v1", oldFence, 0)
	fmt.Println("old holder refused:", errors.Is(err, lock.ErrStaleFence))
	value, _, err := locks.ReadFenced(ctx, "config.json")
	fmt.Println("value:", value, err)
	// Output:
	// new holder writes: <nil>
	// old holder refused: true
	// value: v2 <nil>
}

// Shared locks are read locks: readers hold one together, and a writer waits for all of them.
func ExampleShared() {
	ctx := context.Background()
	locks, done, err := newLocks()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer done()

	r1, err1 := locks.TryAcquire(ctx, "catalog", lockapp.Shared())
	r2, err2 := locks.TryAcquire(ctx, "catalog", lockapp.Shared())
	fmt.Println("two readers:", err1, err2)
	_, err = locks.TryAcquire(ctx, "catalog")
	fmt.Println("writer kept out:", errors.Is(err, lock.ErrNotAcquired))
	_ = r1.Release(ctx)
	_ = r2.Release(ctx)
	w, err := locks.TryAcquire(ctx, "catalog")
	fmt.Println("writer after the readers:", err)
	_ = w.Release(ctx)
	// Output:
	// two readers: <nil> <nil>
	// writer kept out: true
	// writer after the readers: <nil>
}
