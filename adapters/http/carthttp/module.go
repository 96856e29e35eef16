package carthttp

import (
	"go.uber.org/fx"

	httpapi "github.com/statekit/statekit/adapters/http"
)

// Module adds the cart routes to the server.
var Module = fx.Module("carthttp",
	fx.Provide(
		New,
		fx.Annotate(func(h *Handlers) []httpapi.Route { return h.Routes() }, fx.ResultTags(`group:"`+httpapi.RoutesGroup+`"`)),
	),
)
