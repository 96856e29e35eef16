package activityhttp

import (
	_ "embed"

	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/activityredis"
	"github.com/statekit/statekit/app/activityapp"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/ports"
)

// Scope lets a service key record and read any user's activity, funnels included.
const Scope auth.Scope = "activity"

// openAPI is the module's part of the OpenAPI document.
//
//go:embed openapi.yaml
var openAPI []byte

// Module is the activity module: the Redis activity store, the Service (with its cart.merged handler) and
// the routes, with the module's settings, scope, problem rows and OpenAPI fragment.
var Module = fx.Module("activity",
	activityredis.Module,
	activityapp.Module,
	fx.Provide(New),
	contract.Provide(ports.GroupRoutes, (*Handlers).Routes),
	contract.Settings("activity", settings, parseSettings),
	contract.Supply(ports.GroupProblems, Problems),
	contract.Supply(ports.GroupScopes, []ports.ScopeInfo{{Scope: Scope, Meaning: "Record and read any user's activity, funnels included."}}),
	contract.Supply(ports.GroupOpenAPI, ports.OpenAPIFragment{Module: "activity", YAML: openAPI}),
)
