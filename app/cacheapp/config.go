package cacheapp

import (
	"errors"
	"fmt"
	"time"

	"github.com/statekit/statekit/domain/cache"
)

// Config tunes one instance's cache.
type Config struct {
	// L1Size bounds the in-process tier, in entries (W-TinyLFU eviction); 0 turns the tier off.
	L1Size int
	// L1TTL bounds how long an entry stays in the in-process tier and how long a namespace generation is
	// trusted before it is read again from Redis. It is the staleness bound for an instance that misses a
	// cache.invalidated event: such an instance serves the old value for at most about L1TTL.
	L1TTL time.Duration
	// Policy is the default TTLs, stale windows, jitter and XFetch beta; calls may override the TTLs.
	Policy cache.Policy
	// LoadTimeout bounds one load; the cross-instance load lock is held for as long, after which another
	// instance may load.
	LoadTimeout time.Duration
	// MaxLoads bounds the loads (foreground and background) running at once in this process; a load beyond
	// it is shed: a stale value is served when one is at hand, else cache.ErrOverloaded.
	MaxLoads int
	// RedisBackoff is how long the shared tier is skipped after Redis could not be reached: meanwhile the
	// in-process tier and the loader serve, and every skip is counted.
	RedisBackoff time.Duration
}

// DefaultConfig is 10,000 in-process entries for at most one minute, the default policy, a 10 s load
// timeout, 64 concurrent loads and a one-second Redis backoff.
func DefaultConfig() Config {
	return Config{L1Size: 10_000, L1TTL: time.Minute, Policy: cache.DefaultPolicy(), LoadTimeout: 10 * time.Second,
		MaxLoads: 64, RedisBackoff: time.Second}
}

// Validate reports every problem with the config.
func (c Config) Validate() error {
	var errs []error
	if c.L1Size < 0 {
		errs = append(errs, fmt.Errorf("cache: l1 size %d: must not be negative", c.L1Size))
	}
	if c.L1TTL < time.Millisecond {
		errs = append(errs, fmt.Errorf("cache: l1 ttl %s: must be at least 1ms", c.L1TTL))
	}
	if err := c.Policy.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("cache: %w", err))
	}
	if c.LoadTimeout < time.Millisecond {
		errs = append(errs, fmt.Errorf("cache: load timeout %s: must be at least 1ms", c.LoadTimeout))
	}
	if c.MaxLoads < 1 {
		errs = append(errs, fmt.Errorf("cache: max loads %d: must be at least 1", c.MaxLoads))
	}
	if c.RedisBackoff < 0 {
		errs = append(errs, fmt.Errorf("cache: redis backoff %s: must not be negative", c.RedisBackoff))
	}
	return errors.Join(errs...)
}

// Option overrides part of the default policy for one call.
type Option func(*cache.Policy)

// WithTTL sets how long the value stays fresh.
func WithTTL(d time.Duration) Option { return func(p *cache.Policy) { p.TTL = d } }

// WithNegativeTTL sets how long a "not found" is remembered; 0 does not remember it.
func WithNegativeTTL(d time.Duration) Option { return func(p *cache.Policy) { p.NegativeTTL = d } }

// WithStale sets the stale-while-revalidate and stale-if-error windows.
func WithStale(revalidate, ifError time.Duration) Option {
	return func(p *cache.Policy) { p.StaleWhileRevalidate, p.StaleIfError = revalidate, ifError }
}

// WithJitter sets the random fraction (0 to 0.5) by which the TTL may be shortened.
func WithJitter(f float64) Option { return func(p *cache.Policy) { p.Jitter = f } }

// policy is the default policy with opts applied, validated.
func (c *Config) policy(opts []Option) (cache.Policy, error) {
	if len(opts) == 0 {
		return c.Policy, nil
	}
	p := c.Policy // escapes to the options: allocate it only when there are some
	for _, o := range opts {
		o(&p)
	}
	return p, p.Validate()
}
