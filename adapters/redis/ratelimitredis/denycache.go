package ratelimitredis

import (
	"hash/maphash"
	"slices"
	"sync"
	"time"

	"github.com/statekit/statekit/domain/ratelimit"
)

// denyCache remembers, per (policy, subject), a denial from Redis until its retry time, so an instance
// answers a caller that keeps knocking while over its limit without a round trip.
//
// It can only deny, so it never admits more than the limit. It never denies what Redis would admit
// either: an entry expires at the time the denial was asked for plus the retry-after Redis computed from
// its own clock at some later moment, so no later than Redis would admit the same cost again; a request
// that costs less than the denied one goes to Redis. The one exception is a Reset on another instance:
// this instance keeps denying that subject until the entry expires (at most the retry-after). Entries
// carry their own deadline, checked on read, so no sweeper runs; a full shard evicts an expired or an
// arbitrary entry.
type denyCache struct {
	seed   maphash.Seed
	shards [16]denyShard
	max    int // entries per shard
}

type denyShard struct {
	mu sync.Mutex
	m  map[denyKey]denyEntry
}

type denyKey struct{ policy, subject string }

type denyEntry struct {
	at    time.Time // when the denied request was sent
	until time.Time
	cost  int64
	tiers []ratelimit.Limit // the policy's tiers: a policy redefined under the same name misses
	res   ratelimit.Result
}

func newDenyCache(size int) *denyCache {
	d := &denyCache{seed: maphash.MakeSeed(), max: max(1, size/16)}
	for i := range d.shards {
		d.shards[i].m = map[denyKey]denyEntry{}
	}
	return d
}

func (d *denyCache) shard(subject string) *denyShard {
	return &d.shards[maphash.String(d.seed, subject)%uint64(len(d.shards))]
}

// get returns the remembered denial of (policy, subject) for a request of cost at now, with its times
// brought up to now.
func (d *denyCache) get(p ratelimit.Policy, subject string, cost int64, now time.Time) (ratelimit.Result, bool) {
	sh := d.shard(subject)
	k := denyKey{p.Name, subject}
	sh.mu.Lock()
	e, ok := sh.m[k]
	if ok && (!now.Before(e.until) || !slices.Equal(e.tiers, p.Tiers)) {
		delete(sh.m, k)
		ok = false
	}
	sh.mu.Unlock()
	if !ok || cost < e.cost {
		return ratelimit.Result{}, false
	}
	elapsed := now.Sub(e.at)
	res := e.res
	res.Tiers = slices.Clone(res.Tiers)
	res.RetryAfter = max(e.until.Sub(now), time.Microsecond)
	res.ResetAfter = max(res.ResetAfter-elapsed, 0)
	for i := range res.Tiers {
		t := &res.Tiers[i]
		t.ResetAfter = max(t.ResetAfter-elapsed, 0)
		if !t.Allowed {
			t.RetryAfter = max(t.RetryAfter-elapsed, time.Microsecond)
		}
	}
	return res, true
}

// put remembers a denial of a request of cost sent at at.
func (d *denyCache) put(p ratelimit.Policy, subject string, cost int64, at time.Time, res ratelimit.Result) {
	if res.Allowed || res.RetryAfter <= 0 {
		return
	}
	sh := d.shard(subject)
	k := denyKey{p.Name, subject}
	e := denyEntry{at: at, until: at.Add(res.RetryAfter), cost: cost, tiers: p.Tiers, res: res}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if old, ok := sh.m[k]; ok && old.cost < cost && at.Before(old.until) && slices.Equal(old.tiers, p.Tiers) {
		// Keep the cheaper denial: it also covers this request, and it is the one that binds.
		return
	}
	if _, ok := sh.m[k]; !ok && len(sh.m) >= d.max {
		d.evict(sh, at)
	}
	sh.m[k] = e
}

// evict makes room in a full shard: it drops the expired entries among a few it looks at, or else the
// first of them (map order is unspecified, so this is close to a random choice).
func (d *denyCache) evict(sh *denyShard, now time.Time) {
	var first *denyKey
	seen, dropped := 0, false
	for k, e := range sh.m {
		if !now.Before(e.until) {
			delete(sh.m, k)
			dropped = true
		} else if first == nil {
			k := k
			first = &k
		}
		if seen++; seen == 32 {
			break
		}
	}
	if !dropped && first != nil {
		delete(sh.m, *first)
	}
}

// drop forgets the denial of (policy, subject), after a reset.
func (d *denyCache) drop(policy, subject string) {
	sh := d.shard(subject)
	sh.mu.Lock()
	delete(sh.m, denyKey{policy, subject})
	sh.mu.Unlock()
}
