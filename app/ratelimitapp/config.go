package ratelimitapp

import (
	"errors"
	"fmt"
	"time"

	"github.com/statekit/statekit/domain/ratelimit"
)

// DefaultRules is the policy text used when STATEKIT_RATE_LIMITS is not set: unauthenticated callers get
// 20 requests per second per IP (bursts of 40), everyone else 200 per second (bursts of 400).
const DefaultRules = "ip: kind=ip gcra 20/s burst 40; default: gcra 200/s burst 400"

// Config is what the rate-limiting service enforces.
type Config struct {
	// Rules are the configured policies in match order; empty turns rate limiting off.
	Rules ratelimit.Rules
	// Timeout bounds one decision; when the store has not answered by then, the policy's failure mode
	// decides.
	Timeout time.Duration
	// DeniedSample is the fraction of denials, from 0 to 1, published as ratelimit.denied events.
	DeniedSample float64
}

// DefaultConfig enforces DefaultRules with a 100 ms decision timeout and publishes 1% of denials.
func DefaultConfig() Config {
	rules, err := ratelimit.ParseRules(DefaultRules)
	if err != nil {
		panic(err) // a constant: a defect caught by the tests
	}
	return Config{Rules: rules, Timeout: 100 * time.Millisecond, DeniedSample: 0.01}
}

// Validate reports every problem with the config.
func (c Config) Validate() error {
	var errs []error
	if c.Timeout <= 0 || c.Timeout > 10*time.Second {
		errs = append(errs, fmt.Errorf("rate limit timeout %s: must be above 0 and at most 10s", c.Timeout))
	}
	if !(c.DeniedSample >= 0 && c.DeniedSample <= 1) {
		errs = append(errs, fmt.Errorf("denied event sample %v: must be between 0 and 1", c.DeniedSample))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ratelimit.ErrInvalid, err)
	}
	return nil
}
