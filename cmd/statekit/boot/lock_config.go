package boot

import (
	"fmt"
	"strconv"
	"strings"

	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/http/lockhttp"
	"github.com/statekit/statekit/adapters/http/semaphorehttp"
	"github.com/statekit/statekit/adapters/redis/lockredis"
	"github.com/statekit/statekit/adapters/redis/semaphoreredis"
	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/app/semaphoreapp"
	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/domain/semaphore"
)

// LocksConfig is the configuration of the locks and semaphore modules.
type LocksConfig struct {
	Store          lockredis.Config
	App            lockapp.Config
	SemaphoreStore semaphoreredis.Config
	Semaphore      semaphoreapp.Config
}

// lockVariables are the two modules' rows of Variables.
var lockVariables = []Variable{
	{"STATEKIT_LOCK_DEFAULT_TTL", "30s", "Lease of a lock taken without a ttl (Go callers' locks renew themselves every third of it)."},
	{"STATEKIT_LOCK_MAX_WAIT", "20s", "Longest wait_ms an HTTP lock or permit acquisition may ask for (keep it below the HTTP write timeout, 30s)."},
	{"STATEKIT_LOCK_WAITER_LEASE", "3s", "A queued lock or permit waiter that has not looked again for this long is skipped (waiters look again every third of it)."},
	{"STATEKIT_LOCK_FENCE_RETENTION", "24h", "How long a lock name's fencing count is remembered after it started or its holder last renewed; fences stay increasing past it (a new count starts at the Redis clock in microseconds)."},
	{"STATEKIT_LOCK_AUTOPIPELINE", "true", "Send lock and semaphore calls made while others are in flight to Redis together, in shared pipelines: more throughput with many callers; a lone call goes at once, so a contended lock's hand-over never waits for a batch."},
	{"STATEKIT_LOCK_REDLOCK_URLS", "(none)", "Comma-separated redis:// URLs of at least 3 independent Redis masters: locks then use Redlock over them (a majority must grant) instead of STATEKIT_REDIS_URL. Semaphores and fenced values stay on STATEKIT_REDIS_URL."},
	{"STATEKIT_SEMAPHORE_DEFAULT_TTL", "30s", "Lease of a semaphore permit taken without a ttl (Go callers' permits refresh themselves every third of it)."},
}

// loadLocks reads the STATEKIT_LOCK_* and STATEKIT_SEMAPHORE_* variables through get (which supplies defaults),
// reporting each bad value through bad; prefix is the key prefix.
func loadLocks(get func(string) string, bad func(string, error), prefix string) LocksConfig {
	cfg := LocksConfig{Store: lockredis.DefaultConfig(prefix), App: lockapp.DefaultConfig(),
		SemaphoreStore: semaphoreredis.DefaultConfig(prefix), Semaphore: semaphoreapp.DefaultConfig()}
	cfg.App.DefaultTTL = positiveDuration(get, bad, "STATEKIT_LOCK_DEFAULT_TTL")
	if err := lock.ValidateTTL(cfg.App.DefaultTTL); err != nil {
		bad("STATEKIT_LOCK_DEFAULT_TTL", err)
	}
	cfg.App.MaxWait = positiveDuration(get, bad, "STATEKIT_LOCK_MAX_WAIT")
	cfg.Semaphore.MaxWait = cfg.App.MaxWait
	cfg.Store.WaiterLease = positiveDuration(get, bad, "STATEKIT_LOCK_WAITER_LEASE")
	cfg.SemaphoreStore.WaiterLease = cfg.Store.WaiterLease
	cfg.Store.FenceRetention = positiveDuration(get, bad, "STATEKIT_LOCK_FENCE_RETENTION")
	pipe, err := strconv.ParseBool(get("STATEKIT_LOCK_AUTOPIPELINE"))
	if err != nil {
		bad("STATEKIT_LOCK_AUTOPIPELINE", fmt.Errorf("%q: want true or false", get("STATEKIT_LOCK_AUTOPIPELINE")))
	}
	cfg.Store.AutoPipeline, cfg.SemaphoreStore.AutoPipeline = pipe, pipe
	for _, u := range strings.Split(get("STATEKIT_LOCK_REDLOCK_URLS"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			cfg.Store.RedlockURLs = append(cfg.Store.RedlockURLs, u)
		}
	}
	if err := cfg.Store.Validate(); err != nil {
		bad("STATEKIT_LOCK_*", err)
	}
	if err := cfg.App.Validate(); err != nil {
		bad("STATEKIT_LOCK_*", err)
	}
	cfg.Semaphore.DefaultTTL = positiveDuration(get, bad, "STATEKIT_SEMAPHORE_DEFAULT_TTL")
	if err := semaphore.ValidateTTL(cfg.Semaphore.DefaultTTL); err != nil {
		bad("STATEKIT_SEMAPHORE_DEFAULT_TTL", err)
	}
	if err := cfg.SemaphoreStore.Validate(); err != nil {
		bad("STATEKIT_LOCK_WAITER_LEASE", err)
	}
	return cfg
}

// locksModules wires the locks and semaphore modules with their configuration.
func locksModules(cfg LocksConfig) fx.Option {
	return fx.Options(
		fx.Supply(cfg.Store, cfg.App, cfg.SemaphoreStore, cfg.Semaphore),
		lockredis.Module,
		lockapp.Module,
		lockhttp.Module,
		semaphoreredis.Module,
		semaphoreapp.Module,
		semaphorehttp.Module,
	)
}
