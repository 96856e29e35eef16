package jobhttp

import (
	_ "embed"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/jobcron"
	"github.com/statekit/statekit/adapters/metrics/jobmetrics"
	"github.com/statekit/statekit/adapters/redis/jobredis"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/ports"
)

// Scope lets a service key enqueue jobs and read their outcome (queue administration needs admin).
const Scope auth.Scope = "jobs"

// openAPI is the module's part of the OpenAPI document.
//
//go:embed openapi.yaml
var openAPI []byte

// Module is the jobs module: the Redis job store, the cron parser, the metrics, the Service, the worker
// Runtime (run when STATEKIT_WORKERS is true) and the routes, with the module's settings, scope, problem
// rows and OpenAPI fragment. Other modules register job types with ports.GroupJobHandlers and periodic jobs
// with ports.GroupJobPeriodic.
var Module = fx.Module("jobs",
	jobredis.Module,
	jobcron.Module,
	fx.Provide(
		func(q ports.JobQueue) *jobmetrics.Metrics { return jobmetrics.New(q) },
		func(m *jobmetrics.Metrics) ports.JobMetrics { return m },
	),
	contract.Provide(ports.GroupCollectors, func(m *jobmetrics.Metrics) prometheus.Collector { return m }),
	jobapp.Module,
	jobapp.WorkerModule,
	fx.Provide(New),
	contract.Provide(ports.GroupRoutes, (*Handlers).Routes),
	contract.Settings("jobs", settings, parseSettings),
	contract.Supply(ports.GroupProblems, Problems),
	contract.Supply(ports.GroupScopes, []ports.ScopeInfo{{Scope: Scope, Meaning: "Enqueue jobs and read their outcome (queue administration needs admin)."}}),
	contract.Supply(ports.GroupOpenAPI, ports.OpenAPIFragment{Module: "jobs", YAML: openAPI}),
)
