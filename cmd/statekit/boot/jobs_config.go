package boot

import (
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"go.uber.org/fx"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/adapters/http/jobhttp"
	"github.com/statekit/statekit/adapters/jobcron"
	"github.com/statekit/statekit/adapters/metrics/jobmetrics"
	"github.com/statekit/statekit/adapters/redis/jobredis"
	"github.com/statekit/statekit/app/jobapp"
)

// loadJobs reads the STATEKIT_WORKERS and STATEKIT_JOBS_* variables.
func loadJobs(get func(string) string, bad func(string, error)) jobapp.Config {
	cfg := jobapp.DefaultConfig()
	flag := func(name string) bool {
		b, err := strconv.ParseBool(get(name))
		if err != nil {
			bad(name, fmt.Errorf("%q: want true or false", get(name)))
		}
		return b
	}
	span := func(name string, zero bool) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d < 0 || d == 0 && !zero {
			bad(name, fmt.Errorf("%q is not a positive duration such as 30s", get(name)))
		}
		return d
	}
	count := func(name string, zero bool) int {
		n, err := strconv.Atoi(get(name))
		if err != nil || n < 0 || n == 0 && !zero {
			bad(name, fmt.Errorf("%q is not a positive integer", get(name)))
		}
		return n
	}
	cfg.Workers = flag("STATEKIT_WORKERS")
	cfg.Concurrency = count("STATEKIT_JOBS_CONCURRENCY", false)
	queues, err := jobapp.ParseQueues(get("STATEKIT_JOBS_QUEUES"))
	if err != nil {
		bad("STATEKIT_JOBS_QUEUES", err)
	}
	cfg.Queues = queues
	cfg.StrictPriority = flag("STATEKIT_JOBS_STRICT_PRIORITY")
	cfg.Lease = span("STATEKIT_JOBS_LEASE", false)
	cfg.ShutdownGrace = span("STATEKIT_JOBS_SHUTDOWN_GRACE", true)
	cfg.Defaults.Queue = get("STATEKIT_JOBS_DEFAULT_QUEUE")
	cfg.Defaults.MaxRetries = count("STATEKIT_JOBS_MAX_RETRIES", true)
	cfg.Defaults.Timeout = span("STATEKIT_JOBS_TIMEOUT", false)
	cfg.Backoff.Base = span("STATEKIT_JOBS_BACKOFF_BASE", false)
	cfg.Backoff.Max = span("STATEKIT_JOBS_BACKOFF_MAX", false)
	jitter, err := strconv.ParseFloat(get("STATEKIT_JOBS_BACKOFF_JITTER"), 64)
	if err != nil {
		bad("STATEKIT_JOBS_BACKOFF_JITTER", fmt.Errorf("%q is not a number between 0 and 1", get("STATEKIT_JOBS_BACKOFF_JITTER")))
	}
	cfg.Backoff.Jitter = jitter
	cfg.Retention.Completed = span("STATEKIT_JOBS_COMPLETED_RETENTION", true)
	cfg.Retention.CompletedMax = count("STATEKIT_JOBS_COMPLETED_MAX", true)
	cfg.Retention.Dead = span("STATEKIT_JOBS_DEAD_RETENTION", true)
	cfg.Retention.DeadMax = count("STATEKIT_JOBS_DEAD_MAX", true)
	cfg.CompletedEvents = flag("STATEKIT_JOBS_COMPLETED_EVENTS")
	periodic, err := jobapp.ParsePeriodic(get("STATEKIT_JOBS_PERIODIC"))
	if err != nil {
		bad("STATEKIT_JOBS_PERIODIC", err)
	}
	cfg.Periodic = periodic
	if err := cfg.Validate(); err != nil {
		bad("STATEKIT_JOBS_*", err)
	}
	return cfg
}

// jobsModules is the jobs module: store, cron parser, metrics, service, routes, and (when cfg.Workers) the
// worker runtime.
func jobsModules(cfg jobapp.Config) fx.Option {
	opts := []fx.Option{
		fx.Supply(cfg),
		jobredis.Module,
		jobcron.Module,
		jobmetrics.Module,
		jobapp.Module,
		jobhttp.Module,
	}
	if cfg.Workers {
		opts = append(opts, jobapp.WorkerModule)
	}
	return fx.Options(opts...)
}

// WorkerOnly is the graph of `statekit worker`: the job workers (and the event router) without the API.
// The HTTP server still answers /healthz, /readyz, /metrics and /openapi.yaml on STATEKIT_HTTP_ADDR, so
// the process can be probed and scraped, but serves no module routes.
func WorkerOnly(cfg Config, log *slog.Logger) fx.Option {
	cfg.Jobs.Workers = true
	return fx.Options(
		Options(cfg, log),
		fx.Decorate(fx.Annotate(
			func([][]httpapi.Route) [][]httpapi.Route { return nil },
			fx.ParamTags(`group:"`+httpapi.RoutesGroup+`"`),
			fx.ResultTags(`group:"`+httpapi.RoutesGroup+`"`),
		)),
	)
}
