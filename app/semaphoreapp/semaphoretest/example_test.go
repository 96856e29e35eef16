package semaphoretest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/statekit/statekit/app/semaphoreapp"
	"github.com/statekit/statekit/app/semaphoreapp/semaphoretest"
	"github.com/statekit/statekit/domain/semaphore"
)

// callPartner is code under test: it depends on a semaphoreapp.Acquirer, not on the semaphore service.
func callPartner(ctx context.Context, sem semaphoreapp.Acquirer) error {
	return sem.Do(ctx, "partner-api", func(context.Context, *semaphoreapp.Permit) error {
		return nil // the call to the partner
	}, semaphoreapp.WithCapacity(2))
}

// A unit test fills the pool and checks that the code does not get past it.
func Example() {
	ctx := context.Background()
	sem := semaphoretest.New()
	var held []*semaphoreapp.Permit
	for range 2 {
		p, err := sem.TryAcquire(ctx, "partner-api", semaphoreapp.WithCapacity(2))
		if err != nil {
			fmt.Println(err)
			return
		}
		held = append(held, p)
	}
	_, err := sem.TryAcquire(ctx, "partner-api")
	fmt.Println("pool full:", errors.Is(err, semaphore.ErrNotAcquired))
	_ = held[0].Release(ctx)
	fmt.Println("call:", callPartner(ctx, sem))
	// Output:
	// pool full: true
	// call: <nil>
}
