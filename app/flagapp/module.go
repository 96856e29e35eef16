package flagapp

import (
	"go.uber.org/fx"
)

// Module provides the flags Service, its Snapshot and Syncer, runs the Syncer for the life of the app, and
// adds the fan-out snapshot handler and the audit handler to the bus. It needs a ports.FlagStore, a
// ports.EventPublisher, a Config and a *slog.Logger from the graph.
var Module = fx.Module("flagapp",
	fx.Provide(
		NewSnapshot,
		NewSyncer,
		NewService,
		fx.Annotate(SnapshotHandler, fx.ResultTags(`group:"event_handlers"`)),
		fx.Annotate(AuditHandler, fx.ResultTags(`group:"event_handlers"`)),
	),
	fx.Invoke(func(lc fx.Lifecycle, s *Syncer) {
		lc.Append(fx.Hook{OnStart: s.Start, OnStop: s.Stop})
	}),
)
