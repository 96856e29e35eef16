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

// step is one request at a simulated time and what the limiter must answer.
type step struct {
	at        time.Duration // since epoch
	cost      int64
	allowed   bool
	remaining int64
	reset     time.Duration
	retry     time.Duration
}

// ms is a "millisecond" of the tables, scaled by 60 along with their periods (seconds become minutes): the
// keys' TTLs run in real time while the clock is simulated, and at this scale no key can expire between two
// steps of a test on a loaded machine.
const ms = 60 * time.Millisecond

// boundaries are the table tests of each strategy: the edges of windows, bursts and refills, with costs
// above one, checked to the microsecond on the simulated clock the scripts take as an argument. Comments
// speak of seconds and milliseconds as if unscaled (see ms).
var boundaries = []struct {
	name  string
	limit ratelimit.Limit
	steps []step
}{
	{"gcra 10/m burst 3", ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 10, Period: time.Minute, Burst: 3}, []step{
		{0, 1, true, 2, 100 * ms, 0},
		{0, 1, true, 1, 200 * ms, 0},
		{0, 1, true, 0, 300 * ms, 0},
		{0, 1, false, 0, 300 * ms, 100 * ms}, // burst used up: the next unit is one interval away
		{100*ms - time.Microsecond, 1, false, 0, 200*ms + time.Microsecond, time.Microsecond},
		{100 * ms, 1, true, 0, 300 * ms, 0},
		{250 * ms, 2, false, 1, 150 * ms, 50 * ms}, // room for one, not two; nothing taken
		{250 * ms, 1, true, 0, 250 * ms, 0},
		{time.Minute, 3, true, 0, 300 * ms, 0}, // idle long enough: the whole burst at once
	}},
	{"token_bucket 10/m burst 3", ratelimit.Limit{Strategy: ratelimit.TokenBucket, Count: 10, Period: time.Minute, Burst: 3}, []step{
		{0, 1, true, 2, 100 * ms, 0},
		{0, 2, true, 0, 300 * ms, 0},
		{0, 1, false, 0, 300 * ms, 100 * ms},
		{50 * ms, 1, false, 0, 250 * ms, 50 * ms}, // half a token refilled
		{100 * ms, 1, true, 0, 300 * ms, 0},
		{160 * ms, 1, false, 0, 240 * ms, 40 * ms},
		{time.Minute, 1, true, 2, 100 * ms, 0}, // refilled to the brim, not beyond
	}},
	{"fixed_window 3/m", ratelimit.Limit{Strategy: ratelimit.FixedWindow, Count: 3, Period: time.Minute}, []step{
		{0, 1, true, 2, time.Minute, 0},
		{500 * ms, 2, true, 0, 500 * ms, 0},
		{999 * ms, 1, false, 0, ms, ms},
		{time.Minute, 1, true, 2, time.Minute, 0}, // a new window
		{1200 * ms, 3, false, 2, 800 * ms, 800 * ms},
		{1200 * ms, 2, true, 0, 800 * ms, 0},
		{1999 * ms, 1, false, 0, ms, ms},
	}},
	{"sliding_log 3/m", ratelimit.Limit{Strategy: ratelimit.SlidingLog, Count: 3, Period: time.Minute}, []step{
		{0, 1, true, 2, time.Minute, 0},
		{200 * ms, 1, true, 1, time.Minute, 0},
		{400 * ms, 1, true, 0, time.Minute, 0},
		{600 * ms, 1, false, 0, 800 * ms, 400 * ms}, // the unit of t=0 leaves at t=1s
		{time.Minute - time.Microsecond, 1, false, 0, 400*ms + time.Microsecond, time.Microsecond},
		{time.Minute, 1, true, 0, time.Minute, 0},
		{time.Minute, 2, false, 0, time.Minute, 400 * ms}, // two must leave: the second oldest is t=0.4s
		{1200 * ms, 1, true, 0, time.Minute, 0},
		{5 * time.Minute, 3, true, 0, time.Minute, 0},
	}},
	{"sliding_counter 10/m", ratelimit.Limit{Strategy: ratelimit.SlidingCounter, Count: 10, Period: time.Minute}, []step{
		{0, 4, true, 6, 2 * time.Minute, 0},
		{500 * ms, 6, true, 0, 1500 * ms, 0},
		// cur 10: wait for the next window (0.1s), then for 10 x (1 - x) + 1 <= 10: x = 0.1s more.
		{900 * ms, 1, false, 0, 1100 * ms, 200 * ms},
		// next window, 0.1s in: the previous 10 weigh 9, so one more fits.
		{1100 * ms, 1, true, 0, 1900 * ms, 0},
		// 9 + 1 = 10: one more needs the previous share to drop to 8, at 0.2s into the window.
		{1100 * ms, 1, false, 0, 1900 * ms, 100 * ms},
		{1200 * ms, 1, true, 0, 1800 * ms, 0},
		{3500 * ms, 1, true, 9, 1500 * ms, 0}, // two windows later nothing counts
	}},
}

func TestStrategyBoundaries(t *testing.T) {
	t.Parallel()
	for _, b := range boundaries {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			harness.Each(t, func(t *testing.T, tg harness.Target) {
				e := newEnv(t, tg, unbatched())
				p := policy("p", b.limit)
				for i, s := range b.steps {
					e.clock.Set(epoch.Add(s.at))
					r := e.allow(t, p, "user.alice", s.cost)
					got := step{s.at, s.cost, r.Allowed, r.Remaining, r.ResetAfter, r.RetryAfter}
					if got != s {
						t.Errorf("step %d at +%s cost %d: got %s, want %s", i, s.at, s.cost, show(got), show(s))
					}
					if len(r.Tiers) != 1 || r.Limit != b.limit.Capacity() {
						t.Errorf("step %d: limit %d, %d tiers; want %d, 1", i, r.Limit, len(r.Tiers), b.limit.Capacity())
					}
				}
			})
		})
	}
}

func show(s step) string {
	return fmt.Sprintf("allowed=%t remaining=%d reset=%s retry=%s", s.allowed, s.remaining, s.reset, s.retry)
}

// TestPeekTakesNothing checks that Peek reports the state as it is (remaining now; allowed and retry for
// one unit) and stores nothing, for every strategy.
func TestPeekTakesNothing(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		e := newEnv(t, tg, unbatched())
		for _, b := range boundaries {
			p := policy("p", b.limit)
			subject := "peek." + string(b.limit.Strategy)
			e.clock.Set(epoch)
			fresh := e.peek(t, p, subject)
			if !fresh.Allowed || fresh.Remaining != b.limit.Capacity() || fresh.ResetAfter != 0 || fresh.RetryAfter != 0 {
				t.Errorf("%s: Peek of a fresh subject = %+v, want the full capacity %d", b.name, fresh, b.limit.Capacity())
			}
			full := b.limit.Capacity()
			e.allow(t, p, subject, full)
			for range 3 {
				r := e.peek(t, p, subject)
				if r.Allowed || r.Remaining != 0 || r.RetryAfter <= 0 || r.ResetAfter <= 0 {
					t.Errorf("%s: Peek after using the capacity = %+v, want denied with retry and reset", b.name, r)
				}
			}
			if r := e.allow(t, p, subject, 1); r.Allowed {
				t.Errorf("%s: Allow after Peeks = %+v, want denied (Peek must not have freed anything)", b.name, r)
			}
			if err := e.store.Reset(e.ctx, p, subject); err != nil {
				t.Fatal(err)
			}
			if r := e.peek(t, p, subject); !r.Allowed || r.Remaining != full {
				t.Errorf("%s: Peek after Reset = %+v, want the full capacity", b.name, r)
			}
		}
	})
}

// TestKeyTTLs: on Redis TIME, each strategy's key expires when its state would be back to a full quota, so
// an expired key loses nothing and an idle caller costs no memory.
func TestKeyTTLs(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := context.Background()
		store, err := ratelimitredis.New(tg.Client, tg.Prefix, unbatched(), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		slack := 5 * time.Second // real time that may pass during the test
		for _, c := range []struct {
			limit    ratelimit.Limit
			cost     int64
			min, max time.Duration
		}{
			{ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 10, Period: time.Minute, Burst: 5}, 2, 12*time.Second - slack, 12 * time.Second},
			{ratelimit.Limit{Strategy: ratelimit.TokenBucket, Count: 10, Period: time.Minute, Burst: 5}, 2, 12*time.Second - slack, 12 * time.Second},
			{ratelimit.Limit{Strategy: ratelimit.SlidingLog, Count: 10, Period: time.Minute}, 2, time.Minute - slack, time.Minute},
			{ratelimit.Limit{Strategy: ratelimit.FixedWindow, Count: 10, Period: 24 * time.Hour}, 2, 0, 24 * time.Hour},
			{ratelimit.Limit{Strategy: ratelimit.SlidingCounter, Count: 10, Period: 24 * time.Hour}, 2, 24 * time.Hour, 48 * time.Hour},
		} {
			p := policy("ttl", c.limit)
			if r, err := store.Allow(ctx, p, "user.ttl", c.cost); err != nil || !r.Allowed {
				t.Fatalf("%s: %+v, %v", c.limit, r, err)
			}
			key := ratelimitredis.TierKey(tg.Prefix, "user.ttl", "ttl", 0, c.limit.Strategy)
			d, err := tg.Client.PTTL(ctx, key).Result()
			if err != nil || d <= c.min || d > c.max {
				t.Errorf("%s: PTTL %s, %v; want in (%s, %s]", c.limit, d, err, c.min, c.max)
			}
		}
	})
}
