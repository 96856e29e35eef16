// Package boot is statekit's composition root: it reads the configuration from the environment and
// arranges every module with fx. cmd/statekit runs it; tests boot the same graph with their own settings.
package boot

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/adapters/redis/outbox"
	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/app/flagapp"
	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/eventbus"
)

// Config is everything statekit reads from its environment.
type Config struct {
	Redis    rdb.Config
	HTTP     httpapi.Config
	Bus      eventbus.Config
	Outbox   outbox.Config
	Sessions session.Policy
	Flags    flagapp.Config
	Activity activity.Policy
	Cache    cacheapp.Config
	Cart     cart.Policy
	Jobs     jobapp.Config
	LogLevel slog.Level
	// ShutdownTimeout bounds the whole graceful shutdown.
	ShutdownTimeout time.Duration
	// RateLimit is the rate-limiting module's policies and Redis tuning.
	RateLimit RateLimitConfig
	// Locks is the locks and semaphore modules' configuration.
	Locks LocksConfig
}

// Variable documents one environment variable: the README's configuration table is this list.
type Variable struct {
	Name, Default, Meaning string
}

// Variables lists every environment variable statekit reads.
var Variables = []Variable{
	{"STATEKIT_REDIS_URL", "(empty: embedded)", "redis://[user:pass@]host:port[/db], rediss://... for TLS, or redis+cluster://h1:p1,h2:p2 (rediss+cluster:// for TLS); query parameters dial_timeout, read_timeout, write_timeout, pool_size. Empty starts an embedded in-memory Redis (data is lost on exit)."},
	{"STATEKIT_KEY_PREFIX", "statekit", "Prefix of every Redis key and event stream."},
	{"STATEKIT_HTTP_ADDR", ":8080", "HTTP listen address."},
	{"STATEKIT_LOG_LEVEL", "info", "debug, info, warn or error."},
	{"STATEKIT_API_KEYS", "(none)", "Service API keys: comma-separated name:secret:scope+scope (secret >= 24 characters; scopes: admin, sessions, flags, activity, jobs, locks)."},
	{"STATEKIT_COOKIE_SECURE", "true", "Mark the session cookie Secure (HTTPS only); set false only for local HTTP."},
	{"STATEKIT_MAX_BODY_BYTES", "1048576", "Largest accepted request body."},
	{"STATEKIT_TRUSTED_PROXIES", "(empty: none)", "Comma-separated addresses or CIDR prefixes of the reverse proxies in front of statekit. A request from one is attributed to the client its X-Forwarded-For names (read from the right, past the trusted proxies) for rate limits, session IPs and logs; from any other peer the header is ignored. Empty: the connection's peer is the client."},
	{"STATEKIT_SESSION_IDLE_TIMEOUT", "30m", "A session ends after this long without activity."},
	{"STATEKIT_SESSION_ABSOLUTE_LIFETIME", "168h", "A session ends this long after creation, active or not."},
	{"STATEKIT_SESSION_MAX_PER_USER", "10", "Sessions one user may hold; creating one more evicts the oldest."},
	{"STATEKIT_CART_GUEST_TTL", "168h", "A guest cart ends this long after its last change."},
	{"STATEKIT_CART_USER_TTL", "720h", "A signed-in user's cart ends this long after its last change."},
	{"STATEKIT_CART_RESERVATION_TTL", "15m", "Units a cart line reserves return to stock this long after the line last changed or its reservations were extended."},
	{"STATEKIT_CART_MERGE_POLICY", "sum", "How a guest cart merges into the user's cart on sign-in when both hold a SKU: sum, max or keep-user."},
	{"STATEKIT_CACHE_L1_SIZE", "10000", "Entries each instance keeps in its in-process cache tier (W-TinyLFU eviction); 0 turns the tier off."},
	{"STATEKIT_CACHE_L1_TTL", "1m", "Longest an entry stays in the in-process tier, and how often a namespace generation is re-read: an instance that misses a cache.invalidated event serves the old value for at most about this long."},
	{"STATEKIT_CACHE_TTL", "1h", "Default time a cached value stays fresh (per-call TTLs override it)."},
	{"STATEKIT_CACHE_NEGATIVE_TTL", "30s", "How long a loader's not-found is remembered; 0 does not remember it."},
	{"STATEKIT_CACHE_STALE_WHILE_REVALIDATE", "1m", "After the TTL, how long a value is still served while one caller refreshes it in the background."},
	{"STATEKIT_CACHE_STALE_IF_ERROR", "10m", "After the TTL, how long a value may stand in when a reload fails or is shed."},
	{"STATEKIT_CACHE_JITTER", "0.1", "Largest random fraction (0 to 0.5) taken off each TTL so keys written together expire apart."},
	{"STATEKIT_CACHE_XFETCH_BETA", "1", "XFetch early-refresh factor (larger refreshes earlier; 0 turns early refresh off)."},
	{"STATEKIT_CACHE_LOAD_TIMEOUT", "10s", "Bound on one load; the cross-instance load lock is held as long."},
	{"STATEKIT_CACHE_MAX_LOADS", "64", "Loads one instance runs at once; beyond it a load is shed (stale value, else 503 cache-overloaded)."},
	{"STATEKIT_FLAGS_SYNC_INTERVAL", "10s", "How often each instance compares the stored flag version with its in-process snapshot, catching a missed flags.toggled (one GET)."},
	{"STATEKIT_FLAGS_FLUSH_INTERVAL", "5s", "How often each instance writes its flag evaluation counts (one pipelined round trip) and publishes sampled flags.evaluated events."},
	{"STATEKIT_FLAGS_SAMPLE_EVERY", "10000", "Publish flags.evaluated for one evaluation in this many per flag variant; 0 publishes none."},
	{"STATEKIT_ACTIVITY_FEED_MAXLEN", "1000", "Activities kept in each user's feed (oldest dropped)."},
	{"STATEKIT_ACTIVITY_SESSION_MAXLEN", "1000", "Activities kept in each session's replay."},
	{"STATEKIT_ACTIVITY_GLOBAL_MAXLEN", "1000000", "About how many activities the global feed keeps (approximate trimming); funnels see only these."},
	{"STATEKIT_ACTIVITY_RETENTION", "720h", "A user's feed and session replays expire this long after the user's last activity."},
	{"STATEKIT_ACTIVITY_DEDUPE_WINDOW", "24h", "How long an activity idempotency key (or the id of the event an activity came from) is remembered."},
	{"STATEKIT_ACTIVITY_FAILED_LOGIN_LIMIT", "5", "login.failed activities of one user within the window that publish activity.pattern_detected (detector failed_logins)."},
	{"STATEKIT_ACTIVITY_FAILED_LOGIN_WINDOW", "15m", "The failed-login detector's window; it fires at most once per window per user."},
	{"STATEKIT_WORKERS", "true", "statekit serve also runs the job workers; false serves only the API (statekit worker always runs them, without the API)."},
	{"STATEKIT_JOBS_CONCURRENCY", "10", "Job handlers one process runs at once."},
	{"STATEKIT_JOBS_QUEUES", "default=1", "Queues this process's workers serve, with weights: critical=6,default=3,low=1 (a free worker picks a ready queue with probability weight/sum)."},
	{"STATEKIT_JOBS_STRICT_PRIORITY", "false", "Serve the heaviest ready queue first, always, instead of by weighted chance."},
	{"STATEKIT_JOBS_LEASE", "30s", "How long a running job stays leased without an extension (workers extend every third of it); a dead worker's jobs return to pending within this."},
	{"STATEKIT_JOBS_SHUTDOWN_GRACE", "10s", "How long a graceful stop waits for running jobs before returning them to their queue (keep it below STATEKIT_SHUTDOWN_TIMEOUT)."},
	{"STATEKIT_JOBS_DEFAULT_QUEUE", "default", "Queue of a job enqueued without one."},
	{"STATEKIT_JOBS_MAX_RETRIES", "5", "Retries of a job enqueued without max_retries (0-100)."},
	{"STATEKIT_JOBS_TIMEOUT", "30m", "Run timeout (the handler's context deadline) of a job enqueued without one."},
	{"STATEKIT_JOBS_BACKOFF_BASE", "1s", "Wait before the first retry; it doubles with each retry."},
	{"STATEKIT_JOBS_BACKOFF_MAX", "1h", "Longest wait between retries."},
	{"STATEKIT_JOBS_BACKOFF_JITTER", "0.5", "Fraction (0-1) of each retry wait drawn at random, so jobs that failed together spread out."},
	{"STATEKIT_JOBS_COMPLETED_RETENTION", "1h", "How long completed jobs (with their result) are kept; 0 deletes a job the moment it completes."},
	{"STATEKIT_JOBS_COMPLETED_MAX", "10000", "Most completed jobs kept per queue (oldest removed first)."},
	{"STATEKIT_JOBS_DEAD_RETENTION", "168h", "How long dead jobs (with their last error) are kept for inspection and retry."},
	{"STATEKIT_JOBS_DEAD_MAX", "10000", "Most dead jobs kept per queue (oldest removed first)."},
	{"STATEKIT_JOBS_COMPLETED_EVENTS", "true", "Publish jobs.completed for every completed job (jobs.failed and jobs.dead_lettered are always published)."},
	{"STATEKIT_JOBS_PERIODIC", "(none)", "Periodic jobs as a JSON array: [{\"name\":\"nightly\",\"cron\":\"0 3 * * *\",\"type\":\"report.build\",\"queue\":\"low\",\"payload\":{}}]; cron takes 5 fields, 6 with seconds, @daily-style descriptors or @every <duration>."},
	{"STATEKIT_EVENT_MAXLEN", "100000", "Entries kept per event stream (approximate trimming)."},
	outboxVariables[0], outboxVariables[1], outboxVariables[2],
	rateLimitVariables[0], rateLimitVariables[1], rateLimitVariables[2],
	rateLimitVariables[3], rateLimitVariables[4], rateLimitVariables[5],
	lockVariables[0], lockVariables[1], lockVariables[2], lockVariables[3],
	lockVariables[4], lockVariables[5], lockVariables[6],
	{"STATEKIT_SHUTDOWN_TIMEOUT", "20s", "Bound on the graceful shutdown."},
}

// Load reads the configuration through getenv (os.Getenv in main). Every invalid value is reported, each
// naming its variable.
func Load(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, v := range Variables {
			if v.Name == name && !strings.HasPrefix(v.Default, "(") {
				return v.Default
			}
		}
		return ""
	}
	var errs []error
	bad := func(name string, err error) { errs = append(errs, fmt.Errorf("%s: %w", name, err)) }
	duration := func(name string) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d <= 0 {
			bad(name, fmt.Errorf("%q is not a positive duration such as 30m", get(name)))
		}
		return d
	}
	integer := func(name string) int64 {
		n, err := strconv.ParseInt(get(name), 10, 64)
		if err != nil || n <= 0 {
			bad(name, fmt.Errorf("%q is not a positive integer", get(name)))
		}
		return n
	}

	cfg := Config{HTTP: httpapi.DefaultConfig()}
	cfg.Redis = rdb.Config{URL: get("STATEKIT_REDIS_URL"), KeyPrefix: get("STATEKIT_KEY_PREFIX")}
	if err := cfg.Redis.Validate(); err != nil {
		name := "STATEKIT_REDIS_URL"
		if !strings.Contains(err.Error(), "redis url") {
			name = "STATEKIT_KEY_PREFIX"
		}
		bad(name, err)
	}
	cfg.HTTP.Addr = get("STATEKIT_HTTP_ADDR")
	if err := cfg.LogLevel.UnmarshalText([]byte(get("STATEKIT_LOG_LEVEL"))); err != nil {
		bad("STATEKIT_LOG_LEVEL", fmt.Errorf("%q: want debug, info, warn or error", get("STATEKIT_LOG_LEVEL")))
	}
	keys, err := httpapi.ParseAPIKeys(get("STATEKIT_API_KEYS"))
	if err != nil {
		bad("STATEKIT_API_KEYS", err)
	}
	cfg.HTTP.APIKeys = keys
	secure, err := strconv.ParseBool(get("STATEKIT_COOKIE_SECURE"))
	if err != nil {
		bad("STATEKIT_COOKIE_SECURE", fmt.Errorf("%q: want true or false", get("STATEKIT_COOKIE_SECURE")))
	}
	cfg.HTTP.CookieSecure = secure
	cfg.HTTP.MaxBodyBytes = integer("STATEKIT_MAX_BODY_BYTES")
	if cfg.HTTP.TrustedProxies, err = httpapi.ParseTrustedProxies(get("STATEKIT_TRUSTED_PROXIES")); err != nil {
		bad("STATEKIT_TRUSTED_PROXIES", err)
	}
	if err := cfg.HTTP.Validate(); err != nil {
		bad("STATEKIT_HTTP_ADDR / STATEKIT_MAX_BODY_BYTES", err)
	}
	cfg.Sessions = session.Policy{
		IdleTimeout:      duration("STATEKIT_SESSION_IDLE_TIMEOUT"),
		AbsoluteLifetime: duration("STATEKIT_SESSION_ABSOLUTE_LIFETIME"),
		MaxPerUser:       int(integer("STATEKIT_SESSION_MAX_PER_USER")),
	}
	if err := cfg.Sessions.Validate(); err != nil {
		bad("STATEKIT_SESSION_*", err)
	}
	cfg.Cart = cart.DefaultPolicy()
	cfg.Cart.GuestTTL = duration("STATEKIT_CART_GUEST_TTL")
	cfg.Cart.UserTTL = duration("STATEKIT_CART_USER_TTL")
	cfg.Cart.ReservationTTL = duration("STATEKIT_CART_RESERVATION_TTL")
	cfg.Cart.Merge = cart.MergePolicy(get("STATEKIT_CART_MERGE_POLICY"))
	if err := cfg.Cart.Validate(); err != nil {
		bad("STATEKIT_CART_*", err)
	}
	cfg.Cache = loadCache(get, bad)
	cfg.Flags = loadFlags(get, bad)
	cfg.Activity = loadActivity(get, bad)
	cfg.Jobs = loadJobs(get, bad)
	cfg.RateLimit = loadRateLimit(get, bad)
	cfg.Locks = loadLocks(get, bad, cfg.Redis.KeyPrefix)
	cfg.Bus = eventbus.DefaultConfig(cfg.Redis.KeyPrefix)
	cfg.Bus.MaxLen = integer("STATEKIT_EVENT_MAXLEN")
	cfg.Outbox = loadOutbox(get, bad)
	cfg.ShutdownTimeout = duration("STATEKIT_SHUTDOWN_TIMEOUT")
	return cfg, errors.Join(errs...)
}
