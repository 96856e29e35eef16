// Package ratelimitredis implements ports.RateLimiter on Redis: one Lua script per strategy (plus one for
// policies that mix strategies) decides a request over every tier of a policy in one atomic step, with
// Redis TIME as the clock. Concurrent decisions are coalesced into pipelines, and an optional local cache
// answers callers already known to be over their limit without a round trip.
package ratelimitredis

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker"

	"github.com/statekit/statekit/adapters/redis/adaptive"
	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/ports"
)

// Store is the Redis rate limiter.
type Store struct {
	rdb     redis.UniversalClient
	keys    keys
	clock   ports.Clock
	scripts *adaptive.Runner
	deny    *denyCache
	metrics *Metrics
	breaker *gobreaker.CircuitBreaker
	// compiled caches each policy's script, key suffixes and arguments (*compiled by policy name).
	compiled sync.Map
}

var _ ports.RateLimiter = (*Store)(nil)

// New returns a limiter on c whose keys start with prefix. With a nil clock the scripts read Redis TIME; a
// clock (tests) makes them use its time instead. metrics may be nil.
func New(c redis.UniversalClient, prefix string, cfg Config, clock ports.Clock, metrics *Metrics) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Store{rdb: c, keys: newKeys(prefix), clock: clock, metrics: metrics, breaker: newBreaker()}
	run, err := adaptive.New(c, adaptive.Config{MaxBatch: cfg.MaxBatch, MaxPipelines: cfg.MaxPipelines,
		Window: cfg.Window, Timeout: cfg.Timeout, Yield: true, Observe: metrics.observeBatch,
		Guard: func(roundTrip func() []*redis.Cmd) error {
			return guarded(s.breaker, func() error { return unreachable(roundTrip()) })
		}})
	if err != nil {
		return nil, err
	}
	s.scripts = run
	if cfg.DenyCache > 0 {
		s.deny = newDenyCache(cfg.DenyCache)
	}
	return s, nil
}

// Close waits for decisions still queued for a pipeline to be sent. It does not close the client.
func (s *Store) Close() { s.scripts.Close() }

func (s *Store) now() time.Time {
	if s.clock != nil {
		return s.clock.Now()
	}
	return time.Now()
}

// nowArg is the scripts' clock argument: 0 (Redis TIME) unless a test simulates time.
func (s *Store) nowArg() int64 {
	if s.clock == nil {
		return 0
	}
	return s.clock.Now().UnixMicro()
}

// Allow runs the policy's script with cost: one round trip, shared with concurrent decisions when
// batching is on, or none when the deny cache already knows the request cannot fit.
func (s *Store) Allow(ctx context.Context, p ratelimit.Policy, subject string, cost int64) (ratelimit.Result, error) {
	if cost < 1 {
		return ratelimit.Result{}, fmt.Errorf("%w: cost %d: must be at least 1", ratelimit.ErrInvalid, cost)
	}
	var sent time.Time
	if s.deny != nil {
		sent = s.now()
		if res, ok := s.deny.get(p, subject, cost, sent); ok {
			s.metrics.denyCacheHit()
			return res, nil
		}
	}
	res, err := s.run(ctx, p, subject, cost)
	if err != nil {
		return ratelimit.Result{}, err
	}
	if s.deny != nil && !res.Allowed {
		s.deny.put(p, subject, cost, sent, res)
	}
	return res, nil
}

// Peek runs the policy's script with cost 0, which stores nothing: one round trip.
func (s *Store) Peek(ctx context.Context, p ratelimit.Policy, subject string) (ratelimit.Result, error) {
	return s.run(ctx, p, subject, 0)
}

// Reset deletes the state of every tier of p for subject (one DEL of keys in one slot: one round trip) and
// forgets any local denial.
func (s *Store) Reset(ctx context.Context, p ratelimit.Policy, subject string) error {
	if err := check(p, subject); err != nil {
		return err
	}
	keys := make([]string, len(p.Tiers))
	for i, t := range p.Tiers {
		keys[i] = s.keys.tier(subject, p.Name, i, t.Strategy)
	}
	if err := s.rdb.Del(ctx, keys...).Err(); err != nil {
		return rdb.Wrap("reset rate limit", err)
	}
	if s.deny != nil {
		s.deny.drop(p.Name, subject)
	}
	return nil
}

// check guards the key layout: the app validates policies and subjects, and this makes sure nothing that
// could leave the hash tag reaches a key even if a caller skipped that.
func check(p ratelimit.Policy, subject string) error {
	if len(p.Tiers) == 0 {
		return fmt.Errorf("%w: policy %q has no tiers", ratelimit.ErrInvalid, p.Name)
	}
	if err := ratelimit.ValidatePolicyName(p.Name); err != nil {
		return err
	}
	return ratelimit.ValidateSubject(subject)
}

// compiled is what a decision on a policy needs besides the subject and the clock, built once per policy:
// the script, each tier's key suffix, and the tiers' arguments already boxed for go-redis.
type compiled struct {
	tiers    []ratelimit.Limit
	script   *redis.Script
	suffixes []string // "}:<policy>:<tier>:<code>"
	args     []any    // per tier: code, count, period µs, capacity
}

// compile returns the policy's compiled form, cached by name (and rebuilt if a policy of that name comes
// with other tiers).
func (s *Store) compile(p ratelimit.Policy) *compiled {
	if v, ok := s.compiled.Load(p.Name); ok {
		if c := v.(*compiled); slices.Equal(c.tiers, p.Tiers) {
			return c
		}
	}
	c := &compiled{tiers: slices.Clone(p.Tiers), script: scriptFor(p)}
	for i, t := range p.Tiers {
		c.suffixes = append(c.suffixes, s.keys.suffix(p.Name, i, t.Strategy))
		c.args = append(c.args, codes[t.Strategy], t.Count, t.Period.Microseconds(), t.Capacity())
	}
	s.compiled.Store(p.Name, c)
	return c
}

func (s *Store) run(ctx context.Context, p ratelimit.Policy, subject string, cost int64) (ratelimit.Result, error) {
	if err := check(p, subject); err != nil {
		return ratelimit.Result{}, err
	}
	c := s.compile(p)
	keys := make([]string, len(c.suffixes))
	for i, suffix := range c.suffixes {
		keys[i] = s.keys.base + subject + suffix
	}
	args := make([]any, 0, 2+len(c.args))
	args = append(args, s.nowArg(), cost)
	args = append(args, c.args...)
	val, err := s.scripts.Run(ctx, c.script, keys, args...).Result()
	if err != nil {
		return ratelimit.Result{}, rdb.Wrap("rate limit "+p.Name, err)
	}
	return parse(p, val)
}

// parse reads run.lua's reply: {allowed, then per tier: allowed, remaining, reset_after, retry_after}.
func parse(p ratelimit.Policy, val any) (ratelimit.Result, error) {
	d := reply.New("rate limit")
	arr := d.Exactly(val, 1+4*len(p.Tiers))
	tiers := make([]ratelimit.TierResult, len(p.Tiers))
	for i := range tiers {
		var n [4]int64
		for j := range n {
			n[j] = d.Int64(arr[1+4*i+j])
		}
		tiers[i] = ratelimit.TierResult{Limit: p.Tiers[i], Allowed: n[0] == 1, Remaining: max(n[1], 0),
			ResetAfter: time.Duration(max(n[2], 0)) * time.Microsecond,
			RetryAfter: time.Duration(max(n[3], 0)) * time.Microsecond}
	}
	if err := d.Err(); err != nil {
		return ratelimit.Result{}, fmt.Errorf("policy %s: %w", p.Name, err)
	}
	return ratelimit.Summarize(tiers), nil
}
