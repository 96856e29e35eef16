package cacheapp

import (
	"go.uber.org/fx"

	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/ports"
)

// Module provides the cache Service and its Local state, and subscribes the L1 invalidation handler (fan-out)
// to the bus through ports.GroupEventHandlers. It needs a Config, a ports.Cache and a ports.EventPublisher
// from the graph; a ports.Clock and a Codec are optional.
var Module = fx.Module("cacheapp",
	fx.Provide(
		fx.Annotate(NewLocal, fx.ParamTags(``, ``, `optional:"true"`)),
		fx.Annotate(NewService, fx.ParamTags(``, ``, `optional:"true"`)),
	),
	fx.Invoke(func(lc fx.Lifecycle, l *Local) { lc.Append(fx.StopHook(l.Close)) }),
	contract.Provide(ports.GroupEventHandlers, func(l *Local) ports.EventHandler { return l.InvalidationHandler() }),
)
