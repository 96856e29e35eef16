package cachehttp

import (
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/app/cacheapp"
)

// Module adds the cache admin routes to the server and registers the cache metrics on the graph's
// prometheus.Registerer.
var Module = fx.Module("cachehttp",
	fx.Provide(
		New,
		fx.Annotate(func(h *Handlers) []httpapi.Route { return h.Routes() }, fx.ResultTags(`group:"`+httpapi.RoutesGroup+`"`)),
	),
	fx.Invoke(func(reg prometheus.Registerer, svc *cacheapp.Service) error {
		return reg.Register(NewCollector(svc))
	}),
)
