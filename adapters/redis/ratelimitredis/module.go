package ratelimitredis

import (
	"context"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/ports"
)

// Module provides the Redis rate limiter as ports.RateLimiter and the module's metrics as *Metrics and
// ports.RateLimitMetrics (the module's wiring contributes them as a collector). It needs the rdb.Connector,
// rdb.Config (for the key prefix), a Config and an optional ports.Clock (tests: simulated time in the
// scripts).
//
// The limiter runs on a client of its own (ClientOptions), so a decision never outlasts its caller's
// timeout (the shared client ignores context deadlines) and a script is never sent twice; its pool also
// keeps bursts of decisions from starving the rest of the API, and the other way round.
var Module = fx.Module("ratelimitredis",
	fx.Provide(
		NewMetrics,
		func(m *Metrics) ports.RateLimitMetrics { return m },
		fx.Annotate(
			func(lc fx.Lifecycle, conn *rdb.Connector, rcfg rdb.Config, cfg Config, clock ports.Clock, m *Metrics) (ports.RateLimiter, error) {
				c := conn.NewTuned(ClientOptions)
				s, err := New(c, rcfg.KeyPrefix, cfg, clock, m)
				if err != nil {
					_ = c.Close()
					return nil, err
				}
				lc.Append(fx.StopHook(func(context.Context) error {
					s.Close()
					return c.Close()
				}))
				return s, nil
			},
			fx.ParamTags(``, ``, ``, ``, `optional:"true"`, ``),
		),
	),
)

// ClientOptions tunes the limiter's client: context deadlines bound every round trip on the socket, and
// no command is retried (a script retried after a lost reply could count a request twice, and the
// caller's deadline is short anyway).
func ClientOptions(o *redis.UniversalOptions) {
	o.ContextTimeoutEnabled = true
	o.MaxRetries = -1
}
