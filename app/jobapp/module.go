package jobapp

import (
	"context"
	"log/slog"

	"go.uber.org/fx"

	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// Module provides the jobs Service and registers the built-in echo handler. It needs a ports.JobQueue, a
// Config and the "job_handlers" value group from the graph.
var Module = fx.Module("jobapp",
	fx.Provide(
		fx.Annotate(NewService, fx.ParamTags(``, `group:"`+ports.JobHandlersGroup+`"`, ``)),
		fx.Annotate(EchoHandler, fx.ResultTags(`group:"`+ports.JobHandlersGroup+`"`)),
	),
)

// WorkerModule runs the worker Runtime for the life of the app (started after, and stopped before, the
// Redis client and the event bus it uses). It needs a ports.JobBroker, ports.JobQueue, ports.EventPublisher,
// ports.CronParser, an optional ports.JobMetrics, a *slog.Logger, the Config and the "job_handlers" and
// "job_periodic" value groups.
var WorkerModule = fx.Module("jobworker",
	fx.Provide(
		fx.Annotate(
			func(cfg Config, b ports.JobBroker, q ports.JobQueue, e ports.EventPublisher, m ports.JobMetrics,
				c ports.CronParser, log *slog.Logger, hs []ports.JobHandler, ps []job.Periodic) (*Runtime, error) {
				return NewRuntime(cfg, b, q, e, m, c, log, hs, ps)
			},
			fx.ParamTags(``, ``, ``, ``, `optional:"true"`, ``, ``,
				`group:"`+ports.JobHandlersGroup+`"`, `group:"`+ports.JobPeriodicGroup+`"`),
		),
	),
	fx.Invoke(func(lc fx.Lifecycle, r *Runtime) {
		lc.Append(fx.Hook{OnStart: r.Start, OnStop: func(ctx context.Context) error { return r.Stop(ctx) }})
	}),
)
