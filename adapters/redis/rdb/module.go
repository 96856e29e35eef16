package rdb

import (
	"context"
	"log/slog"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
)

// Module provides the Connector and the shared redis.UniversalClient from a Config in the graph, and closes
// them when the app stops (after every component that uses them, since it starts first).
var Module = fx.Module("rdb",
	fx.Provide(
		func(lc fx.Lifecycle, cfg Config, log *slog.Logger) (*Connector, error) {
			c, err := Connect(cfg, log)
			if err != nil {
				return nil, err
			}
			lc.Append(fx.StopHook(func(context.Context) error { return c.Close() }))
			return c, nil
		},
		func(c *Connector) redis.UniversalClient { return c.Shared() },
	),
)
