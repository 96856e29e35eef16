package ports

//go:generate go tool mockgen -source=module.go -destination=mocks/module.go -package=mocks

import (
	"context"

	"github.com/statekit/statekit/domain/auth"
)

// The fx value groups of the module contract. A module contributes to them from its own fx module (with
// app/contract's Provide or Supply, never a literal group tag); the server, the bus, the job runtime and
// the composition root collect them. A module is its folders plus one line in the module list: everything
// else it adds goes through these groups.
const (
	// GroupRoutes collects []httpapi.Route: a module's HTTP endpoints.
	GroupRoutes = "routes"
	// GroupProblems collects []Problem: how a module's errors are answered over HTTP.
	GroupProblems = "problems"
	// GroupOpenAPI collects OpenAPIFragment values, merged into the served /openapi.yaml.
	GroupOpenAPI = "openapi"
	// GroupSettings collects *contract.Section values: a module's environment variables and their parser.
	GroupSettings = "settings"
	// GroupScopes collects []ScopeInfo: the scopes a service API key may be given besides admin.
	GroupScopes = "scopes"
	// GroupReadiness collects ReadinessCheck values, run by /readyz.
	GroupReadiness = "readiness"
	// GroupCollectors collects prometheus.Collector values, registered on the process's registry at start.
	GroupCollectors = "collectors"
	// GroupEventHandlers collects EventHandler values; the bus subscribes each one.
	GroupEventHandlers = "event_handlers"
	// GroupJobHandlers collects JobHandler values: the job types the jobs module accepts and runs.
	GroupJobHandlers = "job_handlers"
	// GroupJobPeriodic collects job.Periodic values: periodic jobs registered in code.
	GroupJobPeriodic = "job_periodic"
)

// Problem is one row of the error-to-problem table: an error (matched with errors.Is), the HTTP status it
// is answered with, its problem type slug (appended to https://statekit.dev/problems/) and a short title.
// A module declares its rows next to its HTTP adapter; rows are matched in order, so a module lists its
// more specific errors first.
type Problem struct {
	Err    error
	Status int
	Type   string
	Title  string
}

// ProblemError is an error that says itself how HTTP answers it, for errors a table row cannot match
// (errors carrying data). The problem writer checks the table first, then this interface, so an error of
// a company module is never a 500 by accident. Status is a 4xx or 5xx; Type is a slug as in Problem.
type ProblemError interface {
	error
	ProblemStatus() int
	ProblemType() string
	ProblemTitle() string
}

// OpenAPIFragment is a module's part of the OpenAPI document: YAML with top-level tags, paths and
// components only, merged into the server's document. A path or component name declared twice is a
// start-up error naming both modules.
type OpenAPIFragment struct {
	Module string
	YAML   []byte
}

// ScopeInfo is a scope a module contributes: service API keys (STATEKIT_API_KEYS) may name it, and its
// meaning is shown wherever scopes are listed. Admin is always known and implies every scope.
type ScopeInfo struct {
	Scope   auth.Scope
	Meaning string
}

// ReadinessCheck is one check /readyz runs: Redis reachable, event router running, a snapshot loaded. A
// nil error means ready.
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}
