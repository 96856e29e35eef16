package flagapp

import (
	"go.uber.org/fx"

	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/ports"
)

// Module provides the flags Service, its Snapshot and Syncer, runs the Syncer for the life of the app, and
// adds the fan-out snapshot handler and the audit handler to the bus. It needs a ports.FlagStore, a
// ports.EventPublisher, a Config and a *slog.Logger from the graph.
var Module = fx.Module("flagapp",
	fx.Provide(
		NewSnapshot,
		NewSyncer,
		NewService,
	),
	fx.Invoke(func(lc fx.Lifecycle, s *Syncer) {
		lc.Append(fx.Hook{OnStart: s.Start, OnStop: s.Stop})
	}),
	contract.Provide(ports.GroupEventHandlers, SnapshotHandler),
	contract.Provide(ports.GroupEventHandlers, AuditHandler),
)
