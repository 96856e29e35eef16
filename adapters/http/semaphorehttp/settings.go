package semaphorehttp

import (
	"github.com/statekit/statekit/adapters/redis/semaphoreredis"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/app/semaphoreapp"
	"github.com/statekit/statekit/domain/semaphore"
)

// settings are the module's environment variables; the README's configuration table and `statekit config`
// list them.
var settings = []contract.Setting{
	{Name: "STATEKIT_SEMAPHORE_DEFAULT_TTL", Default: "30s",
		Meaning: "Lease of a semaphore permit taken without a ttl (Go callers' permits refresh themselves every third of it)."},
}

// Config is the semaphore module's configuration: the service's and the Redis store's.
type Config struct {
	App   semaphoreapp.Config
	Store semaphoreredis.Config
}

// parseSettings reads the semaphore configuration; the wait bound, the waiter lease and pipelining are the
// locks module's settings (STATEKIT_LOCK_*), the key prefix the server's.
func parseSettings(e *contract.Env) Config {
	cfg := Config{App: semaphoreapp.DefaultConfig(), Store: semaphoreredis.DefaultConfig(e.String("STATEKIT_KEY_PREFIX"))}
	cfg.App.DefaultTTL = e.Duration("STATEKIT_SEMAPHORE_DEFAULT_TTL")
	if cfg.App.DefaultTTL > 0 {
		e.Check("STATEKIT_SEMAPHORE_DEFAULT_TTL", semaphore.ValidateTTL(cfg.App.DefaultTTL))
	}
	cfg.App.MaxWait = e.Duration("STATEKIT_LOCK_MAX_WAIT")
	cfg.Store.WaiterLease = e.Duration("STATEKIT_LOCK_WAITER_LEASE")
	cfg.Store.AutoPipeline = e.Bool("STATEKIT_LOCK_AUTOPIPELINE")
	e.Check("STATEKIT_LOCK_WAITER_LEASE", cfg.Store.Validate())
	return cfg
}
