package lockhttp

import (
	"github.com/statekit/statekit/adapters/redis/lockredis"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/domain/lock"
)

// settings are the module's environment variables; the README's configuration table and `statekit config`
// list them.
var settings = []contract.Setting{
	{Name: "STATEKIT_LOCK_DEFAULT_TTL", Default: "30s",
		Meaning: "Lease of a lock taken without a ttl (Go callers' locks renew themselves every third of it)."},
	{Name: "STATEKIT_LOCK_MAX_WAIT", Default: "20s",
		Meaning: "Longest `wait_ms` an HTTP lock or permit acquisition may ask for (keep it below the HTTP write timeout, 30s)."},
	{Name: "STATEKIT_LOCK_WAITER_LEASE", Default: "3s",
		Meaning: "A queued lock or permit waiter that has not looked again for this long is skipped (waiters look again every third of it)."},
	{Name: "STATEKIT_LOCK_FENCE_RETENTION", Default: "24h",
		Meaning: "How long a lock name's fencing count is remembered after it started or its holder last renewed; fences stay increasing past it (a new count starts at the Redis clock in microseconds)."},
	{Name: "STATEKIT_LOCK_AUTOPIPELINE", Default: "true",
		Meaning: "Send lock and semaphore calls made while others are in flight to Redis together, in shared pipelines: more throughput with many callers; a lone call goes at once, so a contended lock's hand-over never waits for a batch."},
	{Name: "STATEKIT_LOCK_REDLOCK_URLS", Default: "(none)",
		Meaning: "Comma-separated `redis://` URLs of at least 3 independent Redis masters: locks then use Redlock over them (a majority must grant) instead of `STATEKIT_REDIS_URL`. Semaphores and fenced values stay on `STATEKIT_REDIS_URL`.", Secret: true},
}

// Config is the locks module's configuration: the service's and the Redis store's.
type Config struct {
	App   lockapp.Config
	Store lockredis.Config
}

// parseSettings reads the locks configuration (the key prefix is the server's STATEKIT_KEY_PREFIX).
func parseSettings(e *contract.Env) Config {
	cfg := Config{App: lockapp.DefaultConfig(), Store: lockredis.DefaultConfig(e.String("STATEKIT_KEY_PREFIX"))}
	cfg.App.DefaultTTL = e.Duration("STATEKIT_LOCK_DEFAULT_TTL")
	if cfg.App.DefaultTTL > 0 {
		e.Check("STATEKIT_LOCK_DEFAULT_TTL", lock.ValidateTTL(cfg.App.DefaultTTL))
	}
	cfg.App.MaxWait = e.Duration("STATEKIT_LOCK_MAX_WAIT")
	cfg.Store.WaiterLease = e.Duration("STATEKIT_LOCK_WAITER_LEASE")
	cfg.Store.FenceRetention = e.Duration("STATEKIT_LOCK_FENCE_RETENTION")
	cfg.Store.AutoPipeline = e.Bool("STATEKIT_LOCK_AUTOPIPELINE")
	cfg.Store.RedlockURLs = e.List("STATEKIT_LOCK_REDLOCK_URLS")
	e.Check("STATEKIT_LOCK_*", cfg.Store.Validate())
	e.Check("STATEKIT_LOCK_*", cfg.App.Validate())
	return cfg
}
