package flaghttp

import (
	"context"
	_ "embed"
	"errors"

	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/flagredis"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/app/flagapp"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/ports"
)

// Scope lets a service key evaluate feature flags for any user (changing flags needs admin).
const Scope auth.Scope = "flags"

// openAPI is the module's part of the OpenAPI document.
//
//go:embed openapi.yaml
var openAPI []byte

// Module is the feature-flags module: the Redis flag store, the Service with its Snapshot and Syncer (and
// their event handlers) and the routes, with the module's settings, scope, readiness check (the snapshot
// has loaded once), problem rows and OpenAPI fragment.
var Module = fx.Module("flags",
	flagredis.Module,
	flagapp.Module,
	fx.Provide(New),
	contract.Provide(ports.GroupRoutes, (*Handlers).Routes),
	contract.Provide(ports.GroupReadiness, func(s *flagapp.Snapshot) ports.ReadinessCheck {
		return ports.ReadinessCheck{Name: "flags", Check: func(context.Context) error {
			if !s.Loaded() {
				return errors.New("flag snapshot not loaded yet")
			}
			return nil
		}}
	}),
	contract.Settings("flags", settings, parseSettings),
	contract.Supply(ports.GroupProblems, Problems),
	contract.Supply(ports.GroupScopes, []ports.ScopeInfo{{Scope: Scope, Meaning: "Evaluate feature flags for any user (changing flags needs admin)."}}),
	contract.Supply(ports.GroupOpenAPI, ports.OpenAPIFragment{Module: "flags", YAML: openAPI}),
)
