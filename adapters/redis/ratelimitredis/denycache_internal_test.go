package ratelimitredis

import (
	"fmt"
	"testing"
	"time"

	"github.com/statekit/statekit/domain/ratelimit"
)

var (
	lim10 = ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 10, Period: time.Second}
	pol   = ratelimit.Policy{Name: "p", Tiers: []ratelimit.Limit{lim10}, Failure: ratelimit.FailOpen}
)

func denial(retry time.Duration) ratelimit.Result {
	return ratelimit.Summarize([]ratelimit.TierResult{{Limit: lim10, Allowed: false, ResetAfter: time.Second, RetryAfter: retry}})
}

func TestDenyCacheExpiresAtTheRetryTime(t *testing.T) {
	d := newDenyCache(100)
	t0 := time.Unix(1000, 0)
	d.put(pol, "user.a", 2, t0, denial(100*time.Millisecond))
	for _, c := range []struct {
		at   time.Duration
		cost int64
		hit  bool
	}{
		{0, 2, true},
		{50 * time.Millisecond, 2, true},
		{50 * time.Millisecond, 5, true},  // more units take at least as long
		{50 * time.Millisecond, 1, false}, // fewer units may fit sooner: ask Redis
		{100*time.Millisecond - time.Microsecond, 2, true},
		{100 * time.Millisecond, 2, false}, // Redis would admit now
		{50 * time.Millisecond, 2, false},  // and the entry is gone
	} {
		r, ok := d.get(pol, "user.a", c.cost, t0.Add(c.at))
		if ok != c.hit {
			t.Errorf("get at +%s cost %d: hit %t, want %t", c.at, c.cost, ok, c.hit)
		}
		if ok && (r.Allowed || r.RetryAfter != 100*time.Millisecond-c.at || r.Tiers[0].RetryAfter != 100*time.Millisecond-c.at) {
			t.Errorf("get at +%s: %+v, want a denial with the retry brought forward", c.at, r)
		}
	}
	d.put(pol, "user.b", 1, t0, denial(time.Second))
	other := pol
	other.Name = "other"
	if _, ok := d.get(other, "user.b", 1, t0); ok {
		t.Error("a denial under one policy answered for another")
	}
	redefined := pol
	redefined.Tiers = []ratelimit.Limit{{Strategy: ratelimit.GCRA, Count: 20, Period: time.Second}}
	if _, ok := d.get(redefined, "user.b", 1, t0); ok {
		t.Error("a denial answered for a policy of the same name with other tiers")
	}
}

func TestDenyCacheKeepsTheCheaperDenial(t *testing.T) {
	d := newDenyCache(100)
	t0 := time.Unix(1000, 0)
	d.put(pol, "user.a", 1, t0, denial(100*time.Millisecond))
	d.put(pol, "user.a", 3, t0, denial(300*time.Millisecond))
	if _, ok := d.get(pol, "user.a", 1, t0.Add(150*time.Millisecond)); ok {
		t.Error("the costlier denial replaced the cheaper one: a 1-unit request is denied past its retry time")
	}
	d.put(pol, "user.a", 3, t0, denial(300*time.Millisecond))
	d.put(pol, "user.a", 1, t0, denial(100*time.Millisecond))
	if r, ok := d.get(pol, "user.a", 1, t0.Add(50*time.Millisecond)); !ok || r.RetryAfter != 50*time.Millisecond {
		t.Errorf("after a cheaper denial: %+v, %t; want it remembered", r, ok)
	}
	d.drop("p", "user.a")
	if _, ok := d.get(pol, "user.a", 3, t0); ok {
		t.Error("drop did not forget the denial")
	}
}

func TestDenyCacheIsBounded(t *testing.T) {
	d := newDenyCache(160) // 10 per shard
	t0 := time.Unix(1000, 0)
	for i := range 5000 {
		d.put(pol, fmt.Sprintf("user.%d", i), 1, t0, denial(time.Hour))
	}
	total := 0
	for i := range d.shards {
		if n := len(d.shards[i].m); n > d.max {
			t.Errorf("shard %d holds %d entries, max %d", i, n, d.max)
		}
		total += len(d.shards[i].m)
	}
	if total == 0 || total > 160 {
		t.Errorf("cache holds %d entries, want 1..160", total)
	}
	// An allowed result or one without a retry time is never remembered.
	d.put(pol, "user.allowed", 1, t0, ratelimit.Result{Allowed: true})
	if _, ok := d.get(pol, "user.allowed", 1, t0); ok {
		t.Error("an allowed result was cached")
	}
}
