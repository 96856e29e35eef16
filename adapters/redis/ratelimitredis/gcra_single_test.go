package ratelimitredis_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/tests/harness"
)

// TestSingleGCRAMatchesTheGeneralScript: gcra_single.lua, which one-tier GCRA policies run, decides exactly
// as run.lua with the GCRA strategy. Both scripts get the same random sequences of limits, costs (peeks
// included) and clock steps on keys of their own; every reply, stored value and expiry must match.
func TestSingleGCRAMatchesTheGeneralScript(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	general, single := ratelimitredis.GCRAScripts()
	if general.Hash() == single.Hash() {
		t.Fatal("the two scripts are the same script")
	}
	if got := ratelimitredis.ScriptHash(ratelimit.Policy{Tiers: []ratelimit.Limit{{Strategy: ratelimit.GCRA}}}); got != single.Hash() {
		t.Fatalf("a one-tier GCRA policy runs %s, want gcra_single.lua (%s)", got, single.Hash())
	}
	rng := rand.New(rand.NewPCG(1, 2))
	run := func(s *redis.Script, key string, args []any) []any {
		t.Helper()
		res, err := s.Run(ctx, tg.Client, []string{key}, args...).Slice()
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return res
	}
	state := func(key string) (string, time.Duration) {
		t.Helper()
		v, err := tg.Client.Get(ctx, key).Result()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		ttl, err := tg.Client.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		return v, ttl
	}
	decisions, denied, peeks := 0, 0, 0
	for seq := range 40 {
		count := int64(1 + rng.IntN(50))
		period := int64(1+rng.IntN(120)) * int64(time.Second/time.Microsecond)
		burst := count
		if rng.IntN(2) == 0 {
			burst = int64(1 + rng.IntN(int(count)))
		}
		now := int64(1_900_000_000_000_000) + rng.Int64N(1_000_000_000)
		a, b := fmt.Sprintf("%s:general:%d", tg.Prefix, seq), fmt.Sprintf("%s:single:%d", tg.Prefix, seq)
		for i := range 60 {
			if i%20 == 19 { // the policy changes under a live key: a smaller burst leaves it over its quota
				burst = int64(1 + rng.IntN(int(count)))
			}
			now += rng.Int64N(period / count * 2)
			cost := int64(rng.IntN(4)) // 0 is a peek
			args := []any{now, cost, "gc", count, period, burst}
			ra, rb := run(general, a, args), run(single, b, args)
			if !reflect.DeepEqual(ra, rb) {
				t.Fatalf("seq %d (count %d period %dus burst %d) at %d cost %d: run.lua %v, gcra_single.lua %v",
					seq, count, period, burst, now, cost, ra, rb)
			}
			va, ta := state(a)
			vb, tb := state(b)
			if va != vb {
				t.Fatalf("seq %d at %d cost %d: stored %q by run.lua, %q by gcra_single.lua", seq, now, cost, va, vb)
			}
			if cost > 0 && ra[0].(int64) == 1 {
				// An admitted request stored the state; it expires when the quota is whole again: at the stored time, in whole ms (at least 1)
				// from the simulated now. PTTL has counted down since, by moments.
				tat, err := strconv.ParseInt(va, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				want := time.Duration(max(1, (tat-now+999)/1000)) * time.Millisecond
				for _, got := range []time.Duration{ta, tb} {
					if got > want || got < want-time.Second {
						t.Fatalf("seq %d at %d cost %d: state %s expires in %s (run.lua) and %s (gcra_single.lua), want %s",
							seq, now, cost, va, ta, tb, want)
					}
				}
			}
			decisions++
			if cost == 0 {
				peeks++
			} else if ra[0].(int64) == 0 {
				denied++
			}
		}
	}
	// The sequences must have exercised both outcomes and peeks, or the comparison proved little.
	if denied < decisions/10 || peeks < decisions/10 || denied+peeks > decisions*9/10 {
		t.Errorf("%d decisions: %d denied, %d peeks; the random sequences do not cover both outcomes", decisions, denied, peeks)
	}
	t.Logf("%d decisions compared: %d denied, %d peeks", decisions, denied, peeks)
}
