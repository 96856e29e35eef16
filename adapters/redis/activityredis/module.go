package activityredis

import (
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/ports"
)

// Module provides the Redis activity store as ports.ActivityStore. It needs the shared client, the
// rdb.Config (for the key prefix) and an activity.Policy; an optional ports.Clock switches its scripts to
// simulated time.
var Module = fx.Module("activityredis",
	fx.Provide(
		fx.Annotate(
			func(c redis.UniversalClient, cfg rdb.Config, policy activity.Policy, clock ports.Clock) *Store {
				return New(c, cfg.KeyPrefix, policy, clock)
			},
			fx.ParamTags(``, ``, ``, `optional:"true"`),
			fx.As(new(ports.ActivityStore)),
		),
	),
)
