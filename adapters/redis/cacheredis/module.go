package cacheredis

import (
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/ports"
)

// Module provides the Redis shared cache tier as ports.Cache. It needs the shared client and the rdb.Config
// (for the key prefix).
var Module = fx.Module("cacheredis",
	fx.Provide(
		fx.Annotate(
			func(c redis.UniversalClient, cfg rdb.Config) *Store { return New(c, cfg.KeyPrefix) },
			fx.As(new(ports.Cache)),
		),
	),
)
