package cachehttp

import (
	_ "embed"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/cacheredis"
	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/ports"
)

// openAPI is the module's part of the OpenAPI document.
//
//go:embed openapi.yaml
var openAPI []byte

// Module is the cache module: the Redis shared tier, the Service with its in-process tier (and the
// fan-out invalidation handler) and the admin routes, with the module's settings, metrics collector,
// problem rows and OpenAPI fragment.
var Module = fx.Module("cache",
	cacheredis.Module,
	cacheapp.Module,
	fx.Provide(New),
	contract.Provide(ports.GroupRoutes, (*Handlers).Routes),
	contract.Provide(ports.GroupCollectors, func(svc *cacheapp.Service) prometheus.Collector { return NewCollector(svc) }),
	contract.Settings("cache", settings, parseSettings),
	contract.Supply(ports.GroupProblems, Problems),
	contract.Supply(ports.GroupOpenAPI, ports.OpenAPIFragment{Module: "cache", YAML: openAPI}),
)
