package cartflow

import (
	"context"
	"encoding/json"
	"sort"
	"testing"

	"go.uber.org/fx"

	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/testapp"
)

// app is one running statekit (see testapp.App) with this package's helpers.
type app struct{ *testapp.App }

// newApp boots boot.Options on the shared standalone Redis under a fresh prefix, plus extra options.
func newApp(t *testing.T, extra ...fx.Option) *app {
	t.Helper()
	tg := harness.Standalone(t)
	vars := testapp.Env(tg)
	vars["STATEKIT_WORKERS"] = "false"   // the cart needs no job workers
	vars["STATEKIT_RATE_LIMITS"] = "off" // hundreds of requests from one address; rate limits have their own tests
	return &app{testapp.Start(t, vars, tg.Client, extra...)}
}

func admin() testapp.Creds               { return testapp.Creds{APIKey: testapp.AdminKey} }
func service() testapp.Creds             { return testapp.Creds{APIKey: testapp.SessionsKey} }
func user(token string) testapp.Creds    { return testapp.Creds{Bearer: token} }
func guestOf(token string) testapp.Creds { return testapp.Creds{CartToken: token} }

// snapshot describes every cart and inventory key under the app's prefix with its type and full content
// (other modules' keys, such as rate-limit counters, move on every request and are not the cart's state).
func (a *app) snapshot() map[string]string {
	a.T.Helper()
	ctx := context.Background()
	out := map[string]string{}
	var keys []string
	for _, pattern := range []string{a.Prefix + ":cart:*", a.Prefix + ":inv:*"} {
		iter := a.Redis.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			a.T.Fatal(err)
		}
	}
	if len(keys) == 0 {
		a.T.Fatal("snapshot: no cart or inventory keys; the pattern no longer matches the key layout")
	}
	sort.Strings(keys)
	for _, k := range keys {
		typ := a.Redis.Type(ctx, k).Val()
		var v any
		switch typ {
		case "hash":
			v = a.Redis.HGetAll(ctx, k).Val()
		case "zset":
			v = a.Redis.ZRangeWithScores(ctx, k, 0, -1).Val()
		case "string":
			v = a.Redis.Get(ctx, k).Val()
		}
		raw, _ := json.Marshal(v)
		out[k] = typ + " " + string(raw)
	}
	return out
}
