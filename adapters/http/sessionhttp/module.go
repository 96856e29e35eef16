package sessionhttp

import (
	"go.uber.org/fx"

	httpapi "github.com/statekit/statekit/adapters/http"
)

// Module adds the session routes to the server and provides the session token resolver.
var Module = fx.Module("sessionhttp",
	fx.Provide(
		New,
		func(h *Handlers) httpapi.TokenResolver { return h.Resolver() },
		fx.Annotate(func(h *Handlers) []httpapi.Route { return h.Routes() }, fx.ResultTags(`group:"`+httpapi.RoutesGroup+`"`)),
	),
)
