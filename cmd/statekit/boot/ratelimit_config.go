package boot

import (
	"fmt"
	"strconv"
	"time"

	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/app/ratelimitapp"
	"github.com/statekit/statekit/domain/ratelimit"
)

// RateLimitConfig is the rate-limiting module's configuration: the policies the service enforces and how
// the Redis limiter batches and caches.
type RateLimitConfig struct {
	App   ratelimitapp.Config
	Store ratelimitredis.Config
}

// rateLimitVariables are the module's rows of Variables.
var rateLimitVariables = []Variable{
	{"STATEKIT_RATE_LIMITS", ratelimitapp.DefaultRules, "Rate-limit policies (see README, Rate limiting): rules separated by ; or new lines, each <name>: [route=<selector>] [kind=key|user|ip] <strategy> <count>/<period> [burst <n>] [+ <tier>]... [fail=open|closed]; the first matching rule applies, else the one named default. off turns limiting off."},
	{"STATEKIT_RATE_LIMIT_TIMEOUT", "100ms", "Bound on one rate-limit decision; when Redis has not answered by then the policy fails open (admit) or closed (503)."},
	{"STATEKIT_RATE_LIMIT_DENIED_SAMPLE", "0.01", "Fraction (0 to 1) of denied requests published as ratelimit.denied events."},
	{"STATEKIT_RATE_LIMIT_BATCH", "128", "Most concurrent decisions sent to Redis in one pipeline; 1 sends each on its own."},
	{"STATEKIT_RATE_LIMIT_BATCH_WINDOW", "0s", "How long a pipeline waits for more decisions while another is in flight (0: never waits; batches form from decisions that arrive during a round trip)."},
	{"STATEKIT_RATE_LIMIT_DENY_CACHE", "10000", "Callers over their limit each instance remembers until their retry time, answering them without a round trip; 0 turns the cache off."},
}

// loadRateLimit reads the STATEKIT_RATE_LIMIT* variables through get (which supplies defaults), reporting
// each bad value through bad.
func loadRateLimit(get func(string) string, bad func(string, error)) RateLimitConfig {
	cfg := RateLimitConfig{App: ratelimitapp.DefaultConfig(), Store: ratelimitredis.DefaultConfig()}
	rules, err := ratelimit.ParseRules(get("STATEKIT_RATE_LIMITS"))
	if err != nil {
		bad("STATEKIT_RATE_LIMITS", err)
	}
	cfg.App.Rules = rules
	span := func(name string, zeroOK bool) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d < 0 || d == 0 && !zeroOK {
			bad(name, fmt.Errorf("%q is not a duration such as 100ms", get(name)))
		}
		return d
	}
	count := func(name string) int {
		n, err := strconv.Atoi(get(name))
		if err != nil || n < 0 {
			bad(name, fmt.Errorf("%q is not a non-negative integer", get(name)))
		}
		return n
	}
	cfg.App.Timeout = span("STATEKIT_RATE_LIMIT_TIMEOUT", false)
	sample, err := strconv.ParseFloat(get("STATEKIT_RATE_LIMIT_DENIED_SAMPLE"), 64)
	if err != nil {
		bad("STATEKIT_RATE_LIMIT_DENIED_SAMPLE", fmt.Errorf("%q is not a number from 0 to 1", get("STATEKIT_RATE_LIMIT_DENIED_SAMPLE")))
	}
	cfg.App.DeniedSample = sample
	if err := cfg.App.Validate(); err != nil {
		bad("STATEKIT_RATE_LIMIT_TIMEOUT, STATEKIT_RATE_LIMIT_DENIED_SAMPLE", err)
	}
	cfg.Store.MaxBatch = count("STATEKIT_RATE_LIMIT_BATCH")
	cfg.Store.Window = span("STATEKIT_RATE_LIMIT_BATCH_WINDOW", true)
	cfg.Store.DenyCache = count("STATEKIT_RATE_LIMIT_DENY_CACHE")
	// A decision's pipeline is bounded by its caller's deadline; this only bounds callers without one.
	cfg.Store.Timeout = max(cfg.App.Timeout, time.Second)
	if err := cfg.Store.Validate(); err != nil {
		bad("STATEKIT_RATE_LIMIT_BATCH, STATEKIT_RATE_LIMIT_BATCH_WINDOW, STATEKIT_RATE_LIMIT_DENY_CACHE", err)
	}
	return cfg
}
