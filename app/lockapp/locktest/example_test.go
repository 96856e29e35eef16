package locktest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/app/lockapp/locktest"
	"github.com/statekit/statekit/domain/lock"
)

// report is code under test: it depends on a lockapp.Locker, not on the locks service.
func report(ctx context.Context, locks lockapp.Locker) error {
	l, err := locks.TryAcquire(ctx, "nightly-report")
	if err != nil {
		return err
	}
	defer l.Release(ctx)
	return nil
}

// A unit test checks that the code backs off when another process holds the lock.
func Example() {
	ctx := context.Background()
	locks := locktest.New()
	other, err := locks.Acquire(ctx, "nightly-report") // another process's run
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("while held:", errors.Is(report(ctx, locks), lock.ErrNotAcquired))
	_ = other.Release(ctx)
	fmt.Println("once free:", report(ctx, locks))
	// Output:
	// while held: true
	// once free: <nil>
}
