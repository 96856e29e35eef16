package ratelimitredis_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/tests/harness"
)

// TestMemoryPerKey logs what a limited subject costs in Redis memory for each strategy (MEMORY USAGE over
// 300 subjects, each with 10 requests admitted under a 100/min limit). It is a figure for the docs, not
// a performance assertion: only sanity is checked.
func TestMemoryPerKey(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	e := newEnv(t, tg, unbatched())
	const subjects, requests = 300, 10
	for _, s := range ratelimit.Strategies {
		p := policy("mem", ratelimit.Limit{Strategy: s, Count: 100, Period: time.Minute})
		var total int64
		for i := range subjects {
			subject := fmt.Sprintf("user.user-%04d@example.com", i)
			for r := range requests {
				e.clock.Set(epoch.Add(time.Duration(r) * time.Second))
				if res := e.allow(t, p, subject, 1); !res.Allowed {
					t.Fatalf("%s: request %d of %s denied", s, r, subject)
				}
			}
			n, err := tg.Client.MemoryUsage(e.ctx, ratelimitredis.TierKey(tg.Prefix, subject, p.Name, 0, s), 0).Result()
			if err != nil {
				t.Fatal(err)
			}
			total += n
		}
		per := total / subjects
		t.Logf("%s: %d bytes per limited key (%d subjects, %d units each)", s, per, subjects, requests)
		if per <= 0 {
			t.Errorf("%s: %d bytes per key", s, per)
		}
	}
}
