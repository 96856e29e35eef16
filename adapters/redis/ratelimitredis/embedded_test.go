package ratelimitredis_test

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/tests/harness"
)

// TestEmbeddedRedis runs the boundary tables on miniredis, the embedded Redis of `make run` (its Lua is
// gopher-lua, not Redis's): the scripts must decide the same there, and run on its TIME too.
func TestEmbeddedRedis(t *testing.T) {
	t.Parallel()
	srv := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer c.Close()
	tg := harness.Target{Client: c, Prefix: harness.NewPrefix(), Addrs: []string{srv.Addr()}}
	for _, b := range boundaries {
		e := newEnv(t, tg, unbatched())
		p := policy("p", b.limit)
		subject := "embedded." + string(b.limit.Strategy)
		for i, s := range b.steps {
			e.clock.Set(epoch.Add(s.at))
			r := e.allow(t, p, subject, s.cost)
			if got := (step{s.at, s.cost, r.Allowed, r.Remaining, r.ResetAfter, r.RetryAfter}); got != s {
				t.Errorf("%s step %d: got %s, want %s", b.name, i, show(got), show(s))
			}
		}
	}
	store, err := ratelimitredis.New(c, tg.Prefix, ratelimitredis.DefaultConfig(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, s := range ratelimit.Strategies {
		p := policy("server", ratelimit.Limit{Strategy: s, Count: 3, Period: time.Hour})
		for i := range 4 {
			r, err := store.Allow(context.Background(), p, "embedded.time", 1)
			if err != nil || r.Allowed != (i < 3) {
				t.Errorf("%s on miniredis TIME, request %d: %+v, %v", s, i, r, err)
			}
		}
	}
}
