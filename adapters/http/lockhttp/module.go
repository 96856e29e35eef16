package lockhttp

import (
	_ "embed"

	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/lockredis"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/ports"
)

// Scope lets a service key take, extend and release distributed locks and semaphore permits and write fenced values (changing a semaphore pool's capacity needs admin).
const Scope auth.Scope = "locks"

// openAPI is the module's part of the OpenAPI document.
//
//go:embed openapi.yaml
var openAPI []byte

// Module is the locks module: the Redis lock store (or Redlock over independent masters), the Service and
// the routes, with the module's settings, scope, problem rows and OpenAPI fragment.
var Module = fx.Module("locks",
	fx.Provide(
		func(c Config) lockapp.Config { return c.App },
		func(c Config) lockredis.Config { return c.Store },
	),
	lockredis.Module,
	lockapp.Module,
	fx.Provide(New),
	contract.Provide(ports.GroupRoutes, (*Handlers).Routes),
	contract.Settings("locks", settings, parseSettings),
	contract.Supply(ports.GroupProblems, Problems),
	contract.Supply(ports.GroupScopes, []ports.ScopeInfo{{Scope: Scope, Meaning: "Take, extend and release distributed locks and semaphore permits and write fenced values (changing a semaphore pool's capacity needs admin)."}}),
	contract.Supply(ports.GroupOpenAPI, ports.OpenAPIFragment{Module: "locks", YAML: openAPI}),
)
