package ratelimitapp_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/app/ratelimitapp"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/tests/eventlog"
	"github.com/statekit/statekit/tests/harness"
)

// TestMain stops the redis-server the Examples start.
func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// Allow limits work other than HTTP requests: here, at most 3 exports per user per hour (the policy also
// limits the HTTP route it names). A denial is a
// Decision whose Result is not allowed (with RetryAfter), not an error.
func ExampleService_Allow() {
	ctx := context.Background()
	rdb, err := harness.Open()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rdb.Client.Close()
	var metrics *ratelimitredis.Metrics // nil records nothing
	store, err := ratelimitredis.New(rdb.Client, rdb.Prefix, ratelimitredis.DefaultConfig(), nil, metrics)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	cfg := ratelimitapp.DefaultConfig()
	if cfg.Rules, err = ratelimit.ParseRules(`exports: route="POST /v1/exports" gcra 3/h`); err != nil {
		fmt.Println(err)
		return
	}
	svc, err := ratelimitapp.NewService(store, eventlog.Discard{}, metrics, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}

	for range 4 {
		d, err := svc.Allow(ctx, "exports", "user.ada", 1)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("allowed:", d.Result.Allowed, "remaining:", d.Result.Remaining, "must wait:", d.Result.RetryAfter > 0)
	}
	// Output:
	// allowed: true remaining: 2 must wait: false
	// allowed: true remaining: 1 must wait: false
	// allowed: true remaining: 0 must wait: false
	// allowed: false remaining: 0 must wait: true
}
