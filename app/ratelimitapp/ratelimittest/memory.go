package ratelimittest

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/ports"
)

// memory is an in-memory ports.RateLimiter: every tier is a token bucket of the tier's capacity refilled at
// its rate (one unit per Limit.Interval), which is exactly GCRA and token_bucket and close to the windowed
// strategies away from their window edges. Time is the fake's clock.
type memory struct {
	clock ports.Clock

	mu      sync.Mutex
	buckets map[bucketKey]*bucket
	denied  map[denyKey]time.Time // forced denials and when they end
}

var _ ports.RateLimiter = (*memory)(nil)

type bucketKey struct {
	policy, subject string
	tier            int
}

type denyKey struct{ policy, subject string }

// bucket holds the units a tier could admit at last.
type bucket struct {
	units float64
	last  time.Time
}

func newMemory(clock ports.Clock) *memory {
	return &memory{clock: clock, buckets: map[bucketKey]*bucket{}, denied: map[denyKey]time.Time{}}
}

func (m *memory) now() time.Time {
	if m.clock == nil {
		return time.Now()
	}
	return m.clock.Now()
}

// level refills the tier's bucket up to now and returns it. m.mu is held.
func (m *memory) level(p ratelimit.Policy, subject string, i int, now time.Time) *bucket {
	l := p.Tiers[i]
	k := bucketKey{p.Name, subject, i}
	b, ok := m.buckets[k]
	if !ok {
		b = &bucket{units: float64(l.Capacity()), last: now}
		m.buckets[k] = b
	}
	if now.After(b.last) {
		b.units = min(float64(l.Capacity()), b.units+float64(now.Sub(b.last))/float64(l.Interval()))
		b.last = now
	}
	return b
}

// forced returns when a forced denial of subject under p ends, if one is in force. m.mu is held.
func (m *memory) forced(p ratelimit.Policy, subject string, now time.Time) (time.Time, bool) {
	for _, k := range []denyKey{{p.Name, subject}, {p.Name, ""}, {"", subject}, {"", ""}} {
		if until, ok := m.denied[k]; ok && now.Before(until) {
			return until, true
		}
	}
	return time.Time{}, false
}

func (m *memory) decide(p ratelimit.Policy, subject string, cost int64, take bool) ratelimit.Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	until, forced := m.forced(p, subject, now)
	tiers := make([]ratelimit.TierResult, len(p.Tiers))
	fits := !forced
	for i, l := range p.Tiers {
		b := m.level(p, subject, i, now)
		tiers[i] = ratelimit.TierResult{Limit: l, Allowed: !forced && b.units >= float64(cost)}
		fits = fits && tiers[i].Allowed
	}
	for i, l := range p.Tiers {
		b := m.level(p, subject, i, now)
		if fits && take {
			b.units -= float64(cost)
		}
		t := &tiers[i]
		t.Remaining = int64(math.Floor(b.units))
		t.ResetAfter = time.Duration((float64(l.Capacity()) - b.units) * float64(l.Interval()))
		switch {
		case forced:
			t.RetryAfter = until.Sub(now)
		case !t.Allowed:
			t.RetryAfter = time.Duration((float64(cost) - b.units) * float64(l.Interval()))
		}
	}
	return ratelimit.Summarize(tiers)
}

func (m *memory) Allow(_ context.Context, p ratelimit.Policy, subject string, cost int64) (ratelimit.Result, error) {
	return m.decide(p, subject, cost, true), nil
}

func (m *memory) Peek(_ context.Context, p ratelimit.Policy, subject string) (ratelimit.Result, error) {
	return m.decide(p, subject, 1, false), nil
}

func (m *memory) Reset(_ context.Context, p ratelimit.Policy, subject string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range p.Tiers {
		delete(m.buckets, bucketKey{p.Name, subject, i})
	}
	delete(m.denied, denyKey{p.Name, subject})
	return nil
}

func (m *memory) deny(policy, subject string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.denied[denyKey{policy, subject}] = m.now().Add(d)
}
