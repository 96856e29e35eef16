package semaphorehttp

import (
	_ "embed"

	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/semaphoreredis"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/app/semaphoreapp"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/ports"
)

// Scope lets a service key take, refresh and release semaphore permits. It is the locks module's scope
// ("locks"): one key serves both.
const Scope auth.Scope = "locks"

// openAPI is the module's part of the OpenAPI document.
//
//go:embed openapi.yaml
var openAPI []byte

// Module is the semaphore module: the Redis semaphore store, the Service and the routes, with the module's
// settings, scope, problem rows and OpenAPI fragment. It shares the locks module's wait, waiter-lease and
// pipelining settings and its scope, so it needs the locks module beside it.
var Module = fx.Module("semaphore",
	fx.Provide(
		func(c Config) semaphoreapp.Config { return c.App },
		func(c Config) semaphoreredis.Config { return c.Store },
	),
	semaphoreredis.Module,
	semaphoreapp.Module,
	fx.Provide(New),
	contract.Provide(ports.GroupRoutes, (*Handlers).Routes),
	contract.Settings("semaphore", settings, parseSettings),
	contract.Supply(ports.GroupProblems, Problems),
	contract.Supply(ports.GroupScopes, []ports.ScopeInfo{{Scope: Scope, Meaning: "Take, refresh and release semaphore permits."}}),
	contract.Supply(ports.GroupOpenAPI, ports.OpenAPIFragment{Module: "semaphore", YAML: openAPI}),
)
