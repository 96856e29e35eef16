package cachetest_test

import (
	"context"
	"fmt"

	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/app/cacheapp/cachetest"
)

// prices is code under test: it depends on a cacheapp.Cache, not on the cache service.
type prices struct {
	cache cacheapp.Cache[int]
	db    func(sku string) int
}

func (p prices) of(ctx context.Context, sku string) (int, error) {
	return p.cache.GetOrLoad(ctx, "prices", sku, func(context.Context) (int, error) { return p.db(sku), nil })
}

// A unit test checks that the code asks its database once per SKU.
func Example() {
	ctx := context.Background()
	queries := 0
	p := prices{cache: cachetest.Typed[int](cachetest.New(nil)), db: func(string) int { queries++; return 1200 }}
	for range 3 {
		if _, err := p.of(ctx, "mug"); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("database queries:", queries)
	// Output:
	// database queries: 1
}
