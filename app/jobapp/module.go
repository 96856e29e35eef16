package jobapp

import (
	"context"
	"log/slog"

	"go.uber.org/fx"

	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// Module provides the jobs Service, registers the built-in echo handler, and registers every job type of
// ports.GroupJobHandlers with the Service when the app is built (so a service that enqueues a type may also
// provide its handler). It needs a ports.JobQueue and a Config from the graph.
var Module = fx.Module("jobapp",
	fx.Provide(func(q ports.JobQueue, cfg Config) (*Service, error) { return NewService(q, nil, cfg) }),
	contract.Provide(ports.GroupJobHandlers, EchoHandler),
	fx.Invoke(fx.Annotate(func(s *Service, hs []ports.JobHandler) error { return s.Register(hs...) },
		fx.ParamTags(``, `group:"`+ports.GroupJobHandlers+`"`))),
)

// WorkerModule provides the worker Runtime and, when Config.Workers is true, runs it for the life of the
// app (started after, and stopped before, the Redis client and the event bus it uses). The Runtime is built
// either way, so a periodic job whose type has no handler stops every start-up. It needs a
// ports.JobBroker, ports.JobQueue, ports.EventPublisher, ports.CronParser, an optional ports.JobMetrics, a
// *slog.Logger, the Config and the ports.GroupJobHandlers and ports.GroupJobPeriodic value groups.
var WorkerModule = fx.Module("jobworker",
	fx.Provide(
		fx.Annotate(
			func(cfg Config, b ports.JobBroker, q ports.JobQueue, e ports.EventPublisher, m ports.JobMetrics,
				c ports.CronParser, log *slog.Logger, hs []ports.JobHandler, ps []job.Periodic) (*Runtime, error) {
				return NewRuntime(cfg, b, q, e, m, c, log, hs, ps)
			},
			fx.ParamTags(``, ``, ``, ``, `optional:"true"`, ``, ``,
				`group:"`+ports.GroupJobHandlers+`"`, `group:"`+ports.GroupJobPeriodic+`"`),
		),
	),
	fx.Invoke(func(lc fx.Lifecycle, cfg Config, r *Runtime) {
		if cfg.Workers {
			lc.Append(fx.Hook{OnStart: r.Start, OnStop: func(ctx context.Context) error { return r.Stop(ctx) }})
		}
	}),
)
