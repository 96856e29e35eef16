package ratelimittest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/statekit/statekit/app/ratelimitapp"
	"github.com/statekit/statekit/app/ratelimitapp/ratelimittest"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/tests/fakeclock"
)

// export is code under test: it depends on a ratelimitapp.Limiter, not on the rate-limit service.
func export(ctx context.Context, limits ratelimitapp.Limiter, user string) (string, error) {
	d, err := limits.Allow(ctx, "exports", "user."+user, 1)
	if err != nil {
		return "", err
	}
	if !d.Result.Allowed {
		return fmt.Sprintf("try again in %s", d.Result.RetryAfter), nil
	}
	return "exported", nil
}

// A unit test drives the code through a denial without spending a real quota.
func Example() {
	ctx := context.Background()
	rules, err := ratelimit.ParseRules(`exports: route="POST /v1/exports" gcra 3/h`)
	if err != nil {
		fmt.Println(err)
		return
	}
	clock := fakeclock.New(time.Now()) // time moves only when the test moves it
	limits, err := ratelimittest.New(rules, clock)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(export(ctx, limits, "ada"))
	limits.Deny("exports", "user.bob", time.Minute)
	fmt.Println(export(ctx, limits, "bob"))
	clock.Advance(time.Minute)
	fmt.Println(export(ctx, limits, "bob"))
	// Output:
	// exported <nil>
	// try again in 1m0s <nil>
	// exported <nil>
}
