package ratelimitredis_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/tests/fakeclock"
	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// epoch is where every simulated clock starts: on a whole hour, so fixed windows of seconds, minutes and
// hours start there too.
var epoch = time.Date(2031, time.March, 4, 5, 0, 0, 0, time.UTC)

func newFakeClock() *fakeclock.Clock { return fakeclock.New(epoch) }

// env is one test's limiter on its own key prefix with its own simulated clock.
type env struct {
	ctx   context.Context
	store *ratelimitredis.Store
	clock *fakeclock.Clock
	tg    harness.Target
}

func newEnv(t *testing.T, tg harness.Target, cfg ratelimitredis.Config) env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	clock := newFakeClock()
	store, err := ratelimitredis.New(tg.Client, tg.Prefix, cfg, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	return env{ctx: ctx, store: store, clock: clock, tg: tg}
}

// unbatched is the default configuration with coalescing and the deny cache off: every call is one
// EVALSHA, so the boundary tables see exactly what the scripts decide.
func unbatched() ratelimitredis.Config {
	cfg := ratelimitredis.DefaultConfig()
	cfg.MaxBatch, cfg.DenyCache = 1, 0
	return cfg
}

func policy(name string, tiers ...ratelimit.Limit) ratelimit.Policy {
	return ratelimit.Policy{Name: name, Tiers: tiers, Failure: ratelimit.FailOpen}
}

func (e env) allow(t *testing.T, p ratelimit.Policy, subject string, cost int64) ratelimit.Result {
	t.Helper()
	r, err := e.store.Allow(e.ctx, p, subject, cost)
	if err != nil {
		t.Fatalf("Allow(%s, %s, %d) at +%s: %v", p.Name, subject, cost, e.clock.Now().Sub(epoch), err)
	}
	return r
}

func (e env) peek(t *testing.T, p ratelimit.Policy, subject string) ratelimit.Result {
	t.Helper()
	r, err := e.store.Peek(e.ctx, p, subject)
	if err != nil {
		t.Fatalf("Peek(%s, %s): %v", p.Name, subject, err)
	}
	return r
}
