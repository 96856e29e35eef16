package cacheapp_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/cacheredis"
	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/domain/cache"
	"github.com/statekit/statekit/tests/eventlog"
	"github.com/statekit/statekit/tests/harness"
)

// TestMain stops the redis-server the Examples start.
func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

type user struct {
	Name string `json:"name"`
}

// newCache builds one instance's cache on the Examples' Redis; its events go to the printer.
func newCache() (*cacheapp.Service, func(), error) {
	rdb, err := harness.Open()
	if err != nil {
		return nil, nil, err
	}
	local, err := cacheapp.NewLocal(cacheapp.DefaultConfig(), cacheredis.New(rdb.Client, rdb.Prefix), nil)
	if err != nil {
		_ = rdb.Client.Close()
		return nil, nil, err
	}
	svc := cacheapp.NewService(local, &eventlog.Printer{}, nil)
	return svc, func() { _ = svc.Close(context.Background()); _ = rdb.Client.Close() }, nil
}

// GetOrLoad runs the loader on a miss only; the second read is answered from the cache.
func ExampleGetOrLoad() {
	ctx := context.Background()
	svc, done, err := newCache()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer done()

	load := func(context.Context) (user, error) {
		fmt.Println("loading user 42")
		return user{Name: "Ada"}, nil
	}
	for range 2 {
		u, err := cacheapp.GetOrLoad(ctx, svc, "users", "42", load, cacheapp.WithTTL(time.Minute))
		fmt.Println(u.Name, err)
	}
	// Output:
	// loading user 42
	// Ada <nil>
	// Ada <nil>
}

// Set writes a value and publishes cache.invalidated, so other instances drop their copy; Get reads
// without loading and reports cache.ErrMiss when no tier holds the key.
func ExampleSet() {
	ctx := context.Background()
	svc, done, err := newCache()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer done()

	_, err = cacheapp.Get[user](ctx, svc, "users", "7")
	fmt.Println("before:", errors.Is(err, cache.ErrMiss))
	if err := cacheapp.Set(ctx, svc, "users", "7", user{Name: "Grace"}); err != nil {
		fmt.Println(err)
		return
	}
	u, err := cacheapp.Get[user](ctx, svc, "users", "7")
	fmt.Println("after:", u.Name, err)
	// Output:
	// before: true
	// event: cache.invalidated
	// after: Grace <nil>
}

// InvalidateNamespace drops every key of a namespace at once, in one round trip.
func ExampleService_InvalidateNamespace() {
	ctx := context.Background()
	svc, done, err := newCache()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer done()

	for _, id := range []string{"1", "2"} {
		if err := cacheapp.Set(ctx, svc, "prices", id, 100); err != nil {
			fmt.Println(err)
			return
		}
	}
	if _, err := svc.InvalidateNamespace(ctx, "prices"); err != nil {
		fmt.Println(err)
		return
	}
	_, err = cacheapp.Get[int](ctx, svc, "prices", "1")
	fmt.Println("after invalidation:", errors.Is(err, cache.ErrMiss))
	// Output:
	// event: cache.invalidated
	// event: cache.invalidated
	// event: cache.invalidated
	// after invalidation: true
}
