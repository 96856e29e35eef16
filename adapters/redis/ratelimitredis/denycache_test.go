package ratelimitredis_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/tests/harness"
)

// countingHook counts the commands a client sends (a pipeline counts each of its commands).
type countingHook struct{ n atomic.Int64 }

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// TestDenyCacheSavesRoundTrips: once Redis has denied a subject, further requests until the retry time
// are denied without a command, and at the retry time Redis is asked again and admits.
func TestDenyCacheSavesRoundTrips(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	hook := &countingHook{}
	tg.Client.AddHook(hook)
	e := newEnv(t, tg, ratelimitredis.DefaultConfig())
	p := policy("deny", ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 10, Period: time.Minute, Burst: 2})
	e.allow(t, p, "user.d", 2)
	first := e.allow(t, p, "user.d", 1)
	if first.Allowed || first.RetryAfter != 100*ms {
		t.Fatalf("over the burst: %+v, want denied with retry 100ms", first)
	}
	sent := hook.n.Load()
	for i := range 50 {
		e.clock.Set(epoch.Add(time.Duration(i) * ms))
		r := e.allow(t, p, "user.d", 1)
		if r.Allowed || r.RetryAfter != 100*ms-time.Duration(i)*ms {
			t.Fatalf("repeat %d at +%dms: %+v, want denied, retry %s", i, i, r, 100*ms-time.Duration(i)*ms)
		}
	}
	if n := hook.n.Load() - sent; n != 0 {
		t.Errorf("50 repeated denials sent %d commands, want 0", n)
	}
	// At the retry time Redis is asked again.
	e.clock.Set(epoch.Add(100 * ms))
	if r := e.allow(t, p, "user.d", 1); !r.Allowed {
		t.Errorf("at the retry time: %+v, want allowed", r)
	}
	if n := hook.n.Load() - sent; n != 1 {
		t.Errorf("the request at the retry time sent %d commands, want 1", n)
	}
	// A reset forgets the local denial too.
	e.allow(t, p, "user.d", 2)
	if err := e.store.Reset(e.ctx, p, "user.d"); err != nil {
		t.Fatal(err)
	}
	if r := e.allow(t, p, "user.d", 2); !r.Allowed {
		t.Errorf("after Reset: %+v, want allowed", r)
	}
}
