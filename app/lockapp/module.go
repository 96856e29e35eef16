package lockapp

import "go.uber.org/fx"

// Module provides the locks Service. It needs a ports.Locker, a ports.FencedStore and a lockapp.Config from
// the graph.
var Module = fx.Module("lockapp",
	fx.Provide(NewService),
)
