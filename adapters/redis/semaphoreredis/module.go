package semaphoreredis

import (
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/statekit/statekit/ports"
)

// Module provides the Redis semaphore store as ports.Semaphore. It needs the shared client and a
// semaphoreredis.Config; an optional ports.Clock switches its scripts to simulated time. Its wake-up
// subscription is closed when the app stops.
var Module = fx.Module("semaphoreredis",
	fx.Provide(
		fx.Annotate(
			func(lc fx.Lifecycle, c redis.UniversalClient, cfg Config, clock ports.Clock) (*Store, error) {
				s, err := New(c, cfg, clock)
				if err != nil {
					return nil, err
				}
				lc.Append(fx.StopHook(s.Close))
				return s, nil
			},
			fx.ParamTags(``, ``, ``, `optional:"true"`),
			fx.As(new(ports.Semaphore)),
		),
	),
)
