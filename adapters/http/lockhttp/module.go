package lockhttp

import (
	"go.uber.org/fx"

	httpapi "github.com/statekit/statekit/adapters/http"
)

// Module adds the lock routes to the server.
var Module = fx.Module("lockhttp",
	fx.Provide(
		New,
		fx.Annotate(func(h *Handlers) []httpapi.Route { return h.Routes() }, fx.ResultTags(`group:"`+httpapi.RoutesGroup+`"`)),
	),
)
