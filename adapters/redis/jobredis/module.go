package jobredis

import (
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/ports"
)

// Module provides the Redis job store as ports.JobQueue and ports.JobBroker. It needs the shared client and
// the rdb.Config (for the key prefix); an optional ports.Clock switches its scripts to simulated time.
var Module = fx.Module("jobredis",
	fx.Provide(
		fx.Annotate(
			func(c redis.UniversalClient, cfg rdb.Config, clock ports.Clock) *Store {
				return New(c, cfg.KeyPrefix, clock)
			},
			fx.ParamTags(``, ``, `optional:"true"`),
		),
		func(s *Store) ports.JobQueue { return s },
		func(s *Store) ports.JobBroker { return s },
	),
)
