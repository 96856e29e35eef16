package ratelimitredis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/tests/harness"
)

// raw describes a key's stored value (string or sorted set) and TTL, to show that a denial changed nothing.
func raw(t *testing.T, e env, key string) string {
	t.Helper()
	typ, err := e.tg.Client.Type(e.ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	switch typ {
	case "string":
		v, err := e.tg.Client.Get(e.ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		return "string " + v
	case "zset":
		zs, err := e.tg.Client.ZRangeWithScores(e.ctx, key, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint("zset ", zs)
	}
	return typ
}

// TestMultiTierAllOrNothing: a policy of three tiers (10/min, 100/h or /min, 3/h) where the last tier runs
// out first. Every request after that is denied by the last tier, and the denials take nothing from the first
// two tiers: their state in Redis is byte for byte what it was. The seed's version consumed the early tiers.
func TestMultiTierAllOrNothing(t *testing.T) {
	t.Parallel()
	mixed := policy("tiers",
		ratelimit.Limit{Strategy: ratelimit.SlidingLog, Count: 10, Period: time.Minute},
		ratelimit.Limit{Strategy: ratelimit.FixedWindow, Count: 100, Period: time.Minute},
		ratelimit.Limit{Strategy: ratelimit.TokenBucket, Count: 3, Period: time.Hour},
	)
	same := policy("same",
		ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 10, Period: time.Minute},
		ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 100, Period: time.Hour},
		ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 3, Period: time.Hour},
	)
	if ratelimitredis.ScriptHash(mixed) == ratelimitredis.ScriptHash(same) {
		t.Fatal("a mixed policy and a single-strategy policy run the same script")
	}
	for _, p := range []ratelimit.Policy{mixed, same} {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			harness.Each(t, func(t *testing.T, tg harness.Target) {
				for i, cfg := range []ratelimitredis.Config{unbatched(), ratelimitredis.DefaultConfig()} {
					testAllOrNothing(t, newEnv(t, tg, cfg), p, fmt.Sprintf("key.shop-%d", i))
				}
			})
		})
	}
}

func testAllOrNothing(t *testing.T, e env, p ratelimit.Policy, subject string) {
	keys := make([]string, len(p.Tiers))
	for i, l := range p.Tiers {
		keys[i] = ratelimitredis.TierKey(e.tg.Prefix, subject, p.Name, i, l.Strategy)
	}
	for i := range 3 {
		e.clock.Set(epoch.Add(time.Duration(i) * 100 * ms))
		if r := e.allow(t, p, subject, 1); !r.Allowed {
			t.Fatalf("request %d: %+v, want allowed", i, r)
		}
	}
	before := make([]string, len(keys))
	for i, k := range keys {
		before[i] = raw(t, e, k)
	}
	for i := range 20 {
		e.clock.Set(epoch.Add(time.Second + time.Duration(i)*10*ms)) // the first two tiers still have room
		r := e.allow(t, p, subject, 1)
		if r.Allowed {
			t.Fatalf("request after the last tier ran out: %+v, want denied", r)
		}
		if r.Tiers[0].Allowed == false || r.Tiers[1].Allowed == false || r.Tiers[2].Allowed {
			t.Fatalf("tiers %+v: want only the last one denying", r.Tiers)
		}
		if r.Limit != 3 || r.RetryAfter != r.Tiers[2].RetryAfter || r.RetryAfter <= 0 {
			t.Errorf("denial bound by %d retry %s, want the 3/h tier's", r.Limit, r.RetryAfter)
		}
	}
	for i, k := range keys {
		if after := raw(t, e, k); after != before[i] {
			t.Errorf("tier %d (%s): denials changed its state from %q to %q", i, p.Tiers[i].Strategy, before[i], after)
		}
	}
	e.clock.Set(epoch.Add(2 * time.Second))
	r := e.peek(t, p, subject)
	if r.Tiers[0].Remaining != 7 || r.Tiers[1].Remaining != 97 {
		t.Errorf("Peek after the denials: tiers %+v; want the first two tiers charged only for the 3 admitted", r.Tiers)
	}
	// A reset gives the whole policy back.
	if err := e.store.Reset(e.ctx, p, subject); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if n, err := e.tg.Client.Exists(e.ctx, k).Result(); err != nil || n != 0 {
			t.Errorf("EXISTS %s after Reset = %d, %v", k, n, err)
		}
	}
	if r := e.allow(t, p, subject, 1); !r.Allowed {
		t.Errorf("after Reset: %+v, want allowed", r)
	}
}

// TestEveryStrategyInOnePolicy runs a policy with one tier of each strategy: the multi-tier script, in one
// slot, on standalone and cluster; the binding tier is the one with the least room.
func TestEveryStrategyInOnePolicy(t *testing.T) {
	t.Parallel()
	p := policy("all",
		ratelimit.Limit{Strategy: ratelimit.FixedWindow, Count: 50, Period: time.Minute},
		ratelimit.Limit{Strategy: ratelimit.SlidingLog, Count: 40, Period: time.Minute},
		ratelimit.Limit{Strategy: ratelimit.SlidingCounter, Count: 30, Period: time.Minute},
		ratelimit.Limit{Strategy: ratelimit.TokenBucket, Count: 20, Period: time.Minute},
		ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 10, Period: time.Minute},
	)
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		e := newEnv(t, tg, unbatched())
		r := e.allow(t, p, "ip.192.0.2.1", 4)
		want := []int64{46, 36, 26, 16, 6}
		for i, tr := range r.Tiers {
			if !tr.Allowed || tr.Remaining != want[i] {
				t.Errorf("tier %d (%s): %+v, want allowed with %d left", i, tr.Limit.Strategy, tr, want[i])
			}
		}
		if !r.Allowed || r.Limit != 10 || r.Remaining != 6 {
			t.Errorf("result %+v: want allowed, bound by the gcra tier (limit 10, 6 left)", r)
		}
		r = e.allow(t, p, "ip.192.0.2.1", 7)
		if r.Allowed || r.Limit != 10 || r.RetryAfter != 6*time.Second {
			t.Errorf("cost 7 with 6 left: %+v, want denied by gcra, retry 6s", r)
		}
	})
}

// TestKeysShareOneSlot: every key of a subject hashes to one cluster slot, whatever its policy or tier
// (CLUSTER KEYSLOT asked of the cluster itself).
func TestKeysShareOneSlot(t *testing.T) {
	t.Parallel()
	tg := harness.Cluster(t)
	ctx := context.Background()
	for _, subject := range []string{"user.alice", "key.shop", "ip.203.0.113.7", "ip.2001-db8-0-1--/64"} {
		var slots []int64
		for _, pol := range []string{"default", "login"} {
			for i, s := range ratelimit.Strategies {
				k := ratelimitredis.TierKey(tg.Prefix, subject, pol, i, s)
				slot, err := tg.Client.ClusterKeySlot(ctx, k).Result()
				if err != nil {
					t.Fatal(err)
				}
				slots = append(slots, slot)
			}
		}
		for _, s := range slots[1:] {
			if s != slots[0] {
				t.Errorf("keys of %s span slots %v", subject, slots)
				break
			}
		}
	}
}
