package outbox

import (
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/ports"
)

// Module provides the *Outbox (for stores), the Publisher as ports.EventPublisher, and runs the Relay for the
// life of the app. It needs the shared client, the rdb.Config (key prefix), a Config, a Forwarder (the event
// bus), a *slog.Logger and a prometheus.Registerer. Install it after the bus's module: the relay then starts
// after the bus and stops before it, and both start after and stop before Redis.
var Module = fx.Module("outbox",
	fx.Provide(
		NewMetrics,
		func(c redis.UniversalClient, rc rdb.Config, cfg Config) *Outbox { return New(c, rc.KeyPrefix, cfg) },
		fx.Annotate(NewPublisher, fx.As(new(ports.EventPublisher))),
		NewRelay,
	),
	fx.Invoke(func(lc fx.Lifecycle, r *Relay) {
		lc.Append(fx.Hook{OnStart: r.Start, OnStop: r.Stop})
	}),
)
