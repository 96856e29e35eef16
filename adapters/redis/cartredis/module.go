package cartredis

import (
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/ports"
)

// Module provides the Redis cart store as ports.CartStore and the Redis inventory as ports.Inventory. It
// needs the shared client, the rdb.Config (for the key prefix) and a cart.Policy; an optional ports.Clock
// switches their scripts to simulated time.
var Module = fx.Module("cartredis",
	fx.Provide(
		fx.Annotate(
			func(c redis.UniversalClient, cfg rdb.Config, p cart.Policy, clock ports.Clock) *Store {
				return New(c, cfg.KeyPrefix, p, clock)
			},
			fx.ParamTags(``, ``, ``, `optional:"true"`),
			fx.As(new(ports.CartStore)),
		),
		fx.Annotate(
			func(c redis.UniversalClient, cfg rdb.Config, p cart.Policy, clock ports.Clock) *Inventory {
				return NewInventory(c, cfg.KeyPrefix, p, clock)
			},
			fx.ParamTags(``, ``, ``, `optional:"true"`),
			fx.As(new(ports.Inventory)),
		),
	),
)
