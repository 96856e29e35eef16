package ratelimithttp

import (
	_ "embed"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/app/ratelimitapp"
	"github.com/statekit/statekit/ports"
)

// openAPI is the module's part of the OpenAPI document.
//
//go:embed openapi.yaml
var openAPI []byte

// Module is the rate-limiting module: the Redis limiter and its metrics, the Service, the server's
// limiting hook (httpapi.Limiter) and the admin routes, with the module's settings, problem rows and
// OpenAPI fragment.
var Module = fx.Module("ratelimit",
	fx.Provide(
		func(c Config) ratelimitapp.Config { return c.App },
		func(c Config) ratelimitredis.Config { return c.Store },
	),
	ratelimitredis.Module,
	contract.Provide(ports.GroupCollectors, func(m *ratelimitredis.Metrics) prometheus.Collector { return m }),
	ratelimitapp.Module,
	fx.Provide(New, (*Handlers).Limiter),
	contract.Provide(ports.GroupRoutes, (*Handlers).Routes),
	contract.Settings("ratelimit", settings, parseSettings),
	contract.Supply(ports.GroupProblems, Problems),
	contract.Supply(ports.GroupOpenAPI, ports.OpenAPIFragment{Module: "ratelimit", YAML: openAPI}),
)
