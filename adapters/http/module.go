package httpapi

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
)

// RoutesGroup is the fx value group of []Route that modules contribute to:
//
//	fx.Provide(fx.Annotate(routes, fx.ResultTags(`group:"routes"`)))
//
// where routes returns []httpapi.Route.
const RoutesGroup = "routes"

// ChecksGroup is the fx value group of readiness checks (each a Check).
const ChecksGroup = "readiness"

// Module provides the Server and serves it for the life of the app. It needs a Config, a *slog.Logger, a
// *prometheus.Registry, an optional TokenResolver and an optional Limiter from the graph.
var Module = fx.Module("httpapi",
	fx.Provide(
		fx.Annotate(newServer, fx.ParamTags(``, ``, ``, `optional:"true"`, `group:"`+ChecksGroup+`"`, `group:"`+RoutesGroup+`"`, `optional:"true"`)),
	),
	fx.Invoke(func(lc fx.Lifecycle, s *Server) {
		lc.Append(fx.Hook{OnStart: s.Start, OnStop: s.Stop})
	}),
)

func newServer(cfg Config, log *slog.Logger, reg *prometheus.Registry, resolve TokenResolver, checks []Check, routes [][]Route, limit Limiter) (*Server, error) {
	var all []Route
	for _, r := range routes {
		all = append(all, r...)
	}
	var opts []Option
	if limit != nil {
		opts = append(opts, WithLimiter(limit))
	}
	return NewServer(cfg, log, reg, resolve, checks, all, opts...)
}
