package ratelimithttp

import (
	"go.uber.org/fx"

	httpapi "github.com/statekit/statekit/adapters/http"
)

// Module provides the server's rate-limiting hook (httpapi.Limiter) and adds the admin routes.
var Module = fx.Module("ratelimithttp",
	fx.Provide(
		New,
		func(h *Handlers) httpapi.Limiter { return h.Limiter() },
		fx.Annotate(func(h *Handlers) []httpapi.Route { return h.Routes() }, fx.ResultTags(`group:"`+httpapi.RoutesGroup+`"`)),
	),
)
