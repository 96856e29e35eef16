package carthttp

import (
	_ "embed"

	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/cartredis"
	"github.com/statekit/statekit/app/cartapp"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/ports"
)

// openAPI is the module's part of the OpenAPI document.
//
//go:embed openapi.yaml
var openAPI []byte

// Module is the cart module: the Redis cart store and inventory, the Service (with its session.created
// handler) and the routes, with the module's settings, problem rows and OpenAPI fragment.
var Module = fx.Module("cart",
	cartredis.Module,
	cartapp.Module,
	fx.Provide(New),
	contract.Provide(ports.GroupRoutes, (*Handlers).Routes),
	contract.Settings("cart", settings, parseSettings),
	contract.Supply(ports.GroupProblems, Problems),
	contract.Supply(ports.GroupOpenAPI, ports.OpenAPIFragment{Module: "cart", YAML: openAPI}),
)
