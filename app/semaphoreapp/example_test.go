package semaphoreapp_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/statekit/statekit/adapters/redis/semaphoreredis"
	"github.com/statekit/statekit/app/semaphoreapp"
	"github.com/statekit/statekit/domain/semaphore"
	"github.com/statekit/statekit/tests/harness"
)

// TestMain stops the redis-server the Example starts.
func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// A pool of 3 permits bounds the calls to a partner API across every instance: a heavy call takes 2,
// so only one more light call fits until it is released.
func Example() {
	ctx := context.Background()
	rdb, err := harness.Open()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rdb.Client.Close()
	store, err := semaphoreredis.New(rdb.Client, semaphoreredis.DefaultConfig(rdb.Prefix), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	sem := semaphoreapp.NewService(store, semaphoreapp.DefaultConfig())

	heavy, err := sem.Acquire(ctx, "partner-api", semaphoreapp.WithCapacity(3), semaphoreapp.WithWeight(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	err = sem.Do(ctx, "partner-api", func(ctx context.Context, p *semaphoreapp.Permit) error {
		_, err := sem.TryAcquire(ctx, "partner-api")
		fmt.Println("pool full:", errors.Is(err, semaphore.ErrNotAcquired))
		return nil
	})
	fmt.Println("light call:", err)
	_ = heavy.Release(ctx)
	st, err := sem.Stats(ctx, "partner-api")
	fmt.Println("in use:", st.Used, "of", st.Capacity, err)
	// Output:
	// pool full: true
	// light call: <nil>
	// in use: 0 of 3 <nil>
}
