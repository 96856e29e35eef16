package sessionapp

import (
	"go.uber.org/fx"
)

// Module provides the sessions Service. It needs a ports.SessionStore, a ports.EventPublisher and a
// session.Policy from the graph.
var Module = fx.Module("sessionapp",
	fx.Provide(NewService),
)
