package semaphorehttp

import (
	"go.uber.org/fx"

	httpapi "github.com/statekit/statekit/adapters/http"
)

// Module adds the semaphore routes to the server.
var Module = fx.Module("semaphorehttp",
	fx.Provide(
		New,
		fx.Annotate(func(h *Handlers) []httpapi.Route { return h.Routes() }, fx.ResultTags(`group:"`+httpapi.RoutesGroup+`"`)),
	),
)
