package boot

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/adapters/redis/outbox"
	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/eventbus"
)

// Core is the configuration of what every statekit process runs whatever its modules: Redis, the HTTP
// server, the event bus and its outbox, logging and shutdown.
type Core struct {
	Redis    rdb.Config
	HTTP     httpapi.Config
	Bus      eventbus.Config
	Outbox   outbox.Config
	LogLevel slog.Level
	// ShutdownTimeout bounds the whole graceful shutdown.
	ShutdownTimeout time.Duration
}

// coreSettings are the core's environment variables.
var coreSettings = []contract.Setting{
	{Name: "STATEKIT_REDIS_URL", Default: "(empty: embedded)",
		Meaning: "`redis://[user:pass@]host:port[/db]`, `rediss://...` for TLS, or `redis+cluster://h1:p1,h2:p2` (`rediss+cluster://` for TLS); query parameters `dial_timeout`, `read_timeout`, `write_timeout`, `pool_size`. Empty starts an embedded in-memory Redis (data is lost on exit).", Secret: true},
	{Name: "STATEKIT_KEY_PREFIX", Default: "statekit",
		Meaning: "Prefix of every Redis key and event stream."},
	{Name: "STATEKIT_HTTP_ADDR", Default: ":8080",
		Meaning: "HTTP listen address."},
	{Name: "STATEKIT_LOG_LEVEL", Default: "info",
		Meaning: "`debug`, `info`, `warn` or `error`."},
	{Name: "STATEKIT_API_KEYS", Default: "(none)",
		Meaning: "Service API keys: comma-separated `name:secret:scope+scope` (secret >= 24 characters; scopes: `admin`, which implies every other, or the scopes the modules contribute, which `statekit config` lists).", Secret: true},
	{Name: "STATEKIT_COOKIE_SECURE", Default: "true",
		Meaning: "Mark the session cookie Secure (HTTPS only); set `false` only for local HTTP."},
	{Name: "STATEKIT_MAX_BODY_BYTES", Default: "1048576",
		Meaning: "Largest accepted request body."},
	{Name: "STATEKIT_TRUSTED_PROXIES", Default: "(empty: none)",
		Meaning: "Comma-separated addresses or CIDR prefixes of the reverse proxies in front of statekit. A request from one is attributed to the client its `X-Forwarded-For` names (read from the right, past the trusted proxies) for rate limits, session IPs and logs; from any other peer the header is ignored. Empty: the connection's peer is the client."},
	{Name: "STATEKIT_EVENT_MAXLEN", Default: "100000",
		Meaning: "Entries kept per event stream (approximate trimming)."},
	{Name: "STATEKIT_OUTBOX_MAXLEN", Default: "1000000",
		Meaning: "Entries kept per outbox stream (approximate trimming). The outbox holds only events not yet relayed to their topics, so it nears this only while relays are down for long; past it the oldest unrelayed events are lost."},
	{Name: "STATEKIT_OUTBOX_SWEEP_INTERVAL", Default: "5s",
		Meaning: "How often one instance (under a lease) sweeps every outbox stream for events an instance left unrelayed (it stopped between a write and its relay)."},
	{Name: "STATEKIT_OUTBOX_SWEEP_GRACE", Default: "5s",
		Meaning: "Age an outbox entry must reach before the sweep relays it, so the sweep leaves fresh entries to the instance that wrote them."},
	{Name: "STATEKIT_SHUTDOWN_TIMEOUT", Default: "20s",
		Meaning: "Bound on the graceful shutdown."},
}

// parseCore reads the core configuration. The API keys' scopes are checked once the modules' scopes are
// known (see load).
func parseCore(e *contract.Env) Core {
	c := Core{HTTP: httpapi.DefaultConfig()}
	c.Redis = rdb.Config{URL: e.String("STATEKIT_REDIS_URL"), KeyPrefix: e.String("STATEKIT_KEY_PREFIX")}
	if err := c.Redis.Validate(); err != nil {
		name := "STATEKIT_REDIS_URL"
		if !strings.Contains(err.Error(), "redis url") {
			name = "STATEKIT_KEY_PREFIX"
		}
		e.Check(name, err)
	}
	c.HTTP.Addr = e.String("STATEKIT_HTTP_ADDR")
	if err := c.LogLevel.UnmarshalText([]byte(e.String("STATEKIT_LOG_LEVEL"))); err != nil {
		e.Check("STATEKIT_LOG_LEVEL", fmt.Errorf("%q: want debug, info, warn or error", e.String("STATEKIT_LOG_LEVEL")))
	}
	keys, err := httpapi.ParseAPIKeys(e.String("STATEKIT_API_KEYS"))
	e.Check("STATEKIT_API_KEYS", err)
	c.HTTP.APIKeys = keys
	c.HTTP.CookieSecure = e.Bool("STATEKIT_COOKIE_SECURE")
	c.HTTP.MaxBodyBytes = e.Int("STATEKIT_MAX_BODY_BYTES")
	c.HTTP.TrustedProxies, err = httpapi.ParseTrustedProxies(e.String("STATEKIT_TRUSTED_PROXIES"))
	e.Check("STATEKIT_TRUSTED_PROXIES", err)
	e.Check("STATEKIT_HTTP_ADDR / STATEKIT_MAX_BODY_BYTES", c.HTTP.Validate())
	c.Bus = eventbus.DefaultConfig(c.Redis.KeyPrefix)
	c.Bus.MaxLen = e.Int("STATEKIT_EVENT_MAXLEN")
	c.Outbox = outbox.DefaultConfig()
	c.Outbox.MaxLen = e.Int("STATEKIT_OUTBOX_MAXLEN")
	c.Outbox.SweepInterval = e.Duration("STATEKIT_OUTBOX_SWEEP_INTERVAL")
	c.Outbox.SweepGrace = e.Duration("STATEKIT_OUTBOX_SWEEP_GRACE")
	e.Check("STATEKIT_OUTBOX_*", c.Outbox.Validate())
	c.ShutdownTimeout = e.Duration("STATEKIT_SHUTDOWN_TIMEOUT")
	return c
}

// LoadCore reads the core settings alone, for what an entry point needs before it builds the graph (the
// log level, the shutdown timeout). A bad value reads as its zero value here; the graph reports it, with
// every other bad value, when it is built.
func LoadCore(env func(string) string) Core {
	l, _ := contract.Load(env, []*contract.Section{contract.NewSection("statekit", coreSettings, parseCore)})
	c, _ := contract.Find[Core](l)
	return c
}
