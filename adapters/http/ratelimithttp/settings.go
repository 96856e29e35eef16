package ratelimithttp

import (
	"time"

	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/app/ratelimitapp"
	"github.com/statekit/statekit/domain/ratelimit"
)

// settings are the module's environment variables; the README's configuration table and `statekit config`
// list them.
var settings = []contract.Setting{
	{Name: "STATEKIT_RATE_LIMITS", Default: "ip: kind=ip gcra 20/s burst 40; default: gcra 200/s burst 400",
		Meaning: "Rate-limit policies in the language of [Rate limiting](#rate-limiting); `off` turns limiting off. Invalid text stops start-up."},
	{Name: "STATEKIT_RATE_LIMIT_TIMEOUT", Default: "100ms",
		Meaning: "Bound on one rate-limit decision; when Redis has not answered by then the policy fails open (admit) or closed (503)."},
	{Name: "STATEKIT_RATE_LIMIT_DENIED_SAMPLE", Default: "0.01",
		Meaning: "Fraction (0 to 1) of denied requests published as `ratelimit.denied` events."},
	{Name: "STATEKIT_RATE_LIMIT_BATCH", Default: "128",
		Meaning: "Most concurrent decisions sent to Redis in one pipeline; `1` sends each on its own."},
	{Name: "STATEKIT_RATE_LIMIT_BATCH_WINDOW", Default: "0s",
		Meaning: "How long a pipeline waits for more decisions while another is in flight (`0`: never waits; batches form from decisions that arrive during a round trip)."},
	{Name: "STATEKIT_RATE_LIMIT_DENY_CACHE", Default: "10000",
		Meaning: "Callers over their limit each instance remembers until their retry time, answering them without a round trip; `0` turns the cache off."},
}

// Config is the rate-limiting module's configuration: the policies the service enforces and how the Redis
// limiter batches and caches.
type Config struct {
	App   ratelimitapp.Config
	Store ratelimitredis.Config
}

// parseSettings reads the rate-limiting configuration.
func parseSettings(e *contract.Env) Config {
	cfg := Config{App: ratelimitapp.DefaultConfig(), Store: ratelimitredis.DefaultConfig()}
	rules, err := ratelimit.ParseRules(e.String("STATEKIT_RATE_LIMITS"))
	e.Check("STATEKIT_RATE_LIMITS", err)
	cfg.App.Rules = rules
	cfg.App.Timeout = e.Duration("STATEKIT_RATE_LIMIT_TIMEOUT")
	cfg.App.DeniedSample = e.Float("STATEKIT_RATE_LIMIT_DENIED_SAMPLE")
	e.Check("STATEKIT_RATE_LIMIT_TIMEOUT, STATEKIT_RATE_LIMIT_DENIED_SAMPLE", cfg.App.Validate())
	cfg.Store.MaxBatch = int(e.IntOrZero("STATEKIT_RATE_LIMIT_BATCH"))
	cfg.Store.Window = e.DurationOrZero("STATEKIT_RATE_LIMIT_BATCH_WINDOW")
	cfg.Store.DenyCache = int(e.IntOrZero("STATEKIT_RATE_LIMIT_DENY_CACHE"))
	// A decision's pipeline is bounded by its caller's deadline; this only bounds callers without one.
	cfg.Store.Timeout = max(cfg.App.Timeout, time.Second)
	e.Check("STATEKIT_RATE_LIMIT_BATCH, STATEKIT_RATE_LIMIT_BATCH_WINDOW, STATEKIT_RATE_LIMIT_DENY_CACHE", cfg.Store.Validate())
	return cfg
}
