package httpapi

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"

	"github.com/statekit/statekit/ports"
)

// group is the fx tag of a whole value group, for the parameters that collect one.
func group(name string) string { return `group:"` + name + `"` }

// Module provides the Server and serves it for the life of the app. It needs a Config, a *slog.Logger, a
// *prometheus.Registry, an optional TokenResolver and an optional Limiter from the graph, and collects the
// modules' routes (ports.GroupRoutes, []Route), problem rows (ports.GroupProblems, []ports.Problem),
// OpenAPI fragments (ports.GroupOpenAPI) and readiness checks (ports.GroupReadiness).
var Module = fx.Module("httpapi",
	fx.Provide(
		fx.Annotate(newServer, fx.ParamTags(``, ``, ``, `optional:"true"`, group(ports.GroupReadiness),
			group(ports.GroupRoutes), `optional:"true"`, group(ports.GroupProblems), group(ports.GroupOpenAPI))),
	),
	fx.Invoke(func(lc fx.Lifecycle, s *Server) {
		lc.Append(fx.Hook{OnStart: s.Start, OnStop: s.Stop})
	}),
)

func newServer(cfg Config, log *slog.Logger, reg *prometheus.Registry, resolve TokenResolver, checks []ports.ReadinessCheck,
	routes [][]Route, limit Limiter, problems [][]ports.Problem, fragments []ports.OpenAPIFragment) (*Server, error) {
	var all []Route
	for _, r := range routes {
		all = append(all, r...)
	}
	var rows []ports.Problem
	for _, p := range problems {
		rows = append(rows, p...)
	}
	opts := []Option{WithProblems(rows), WithOpenAPI(fragments)}
	if limit != nil {
		opts = append(opts, WithLimiter(limit))
	}
	return NewServer(cfg, log, reg, resolve, checks, all, opts...)
}
