package sessionhttp

import (
	_ "embed"

	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/sessionredis"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/app/sessionapp"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/ports"
)

// Scope lets a service key sign users in and manage any user's sessions.
const Scope auth.Scope = "sessions"

// openAPI is the module's part of the OpenAPI document.
//
//go:embed openapi.yaml
var openAPI []byte

// Module is the sessions module: the Redis session store, the Service and the routes, with the module's
// settings, scope, problem rows and OpenAPI fragment. It also provides the httpapi.TokenResolver the server
// authenticates session holders with.
var Module = fx.Module("sessions",
	sessionredis.Module,
	sessionapp.Module,
	fx.Provide(New, (*Handlers).Resolver),
	contract.Provide(ports.GroupRoutes, (*Handlers).Routes),
	contract.Settings("sessions", settings, parseSettings),
	contract.Supply(ports.GroupProblems, Problems),
	contract.Supply(ports.GroupScopes, []ports.ScopeInfo{{Scope: Scope, Meaning: "Sign users in and manage any user's sessions."}}),
	contract.Supply(ports.GroupOpenAPI, ports.OpenAPIFragment{Module: "sessions", YAML: openAPI}),
)
