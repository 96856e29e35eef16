package jobhttp

import (
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/app/jobapp"
)

// settings are the module's environment variables; the README's configuration table and `statekit config`
// list them.
var settings = []contract.Setting{
	{Name: "STATEKIT_WORKERS", Default: "true",
		Meaning: "`statekit serve` also runs the job workers; `false` serves only the API (`statekit worker` always runs them, without the API)."},
	{Name: "STATEKIT_JOBS_CONCURRENCY", Default: "10",
		Meaning: "Job handlers one process runs at once."},
	{Name: "STATEKIT_JOBS_QUEUES", Default: "default=1",
		Meaning: "Queues this process's workers serve, with weights: `critical=6,default=3,low=1` (a free worker picks a ready queue with probability weight/sum)."},
	{Name: "STATEKIT_JOBS_STRICT_PRIORITY", Default: "false",
		Meaning: "Serve the heaviest ready queue first, always, instead of by weighted chance."},
	{Name: "STATEKIT_JOBS_LEASE", Default: "30s",
		Meaning: "How long a running job stays leased without an extension (workers extend every third of it); a dead worker's jobs return to pending within this."},
	{Name: "STATEKIT_JOBS_SHUTDOWN_GRACE", Default: "10s",
		Meaning: "How long a graceful stop waits for running jobs before returning them to their queue (keep it below STATEKIT_SHUTDOWN_TIMEOUT)."},
	{Name: "STATEKIT_JOBS_DEFAULT_QUEUE", Default: "default",
		Meaning: "Queue of a job enqueued without one."},
	{Name: "STATEKIT_JOBS_MAX_RETRIES", Default: "5",
		Meaning: "Retries of a job enqueued without max_retries (0-100)."},
	{Name: "STATEKIT_JOBS_TIMEOUT", Default: "30m",
		Meaning: "Run timeout (the handler's context deadline) of a job enqueued without one."},
	{Name: "STATEKIT_JOBS_BACKOFF_BASE", Default: "1s",
		Meaning: "Wait before the first retry; it doubles with each retry."},
	{Name: "STATEKIT_JOBS_BACKOFF_MAX", Default: "1h",
		Meaning: "Longest wait between retries."},
	{Name: "STATEKIT_JOBS_BACKOFF_JITTER", Default: "0.5",
		Meaning: "Fraction (0-1) of each retry wait drawn at random, so jobs that failed together spread out."},
	{Name: "STATEKIT_JOBS_COMPLETED_RETENTION", Default: "1h",
		Meaning: "How long completed jobs (with their result) are kept; 0 deletes a job the moment it completes."},
	{Name: "STATEKIT_JOBS_COMPLETED_MAX", Default: "10000",
		Meaning: "Most completed jobs kept per queue (oldest removed first)."},
	{Name: "STATEKIT_JOBS_DEAD_RETENTION", Default: "168h",
		Meaning: "How long dead jobs (with their last error) are kept for inspection and retry."},
	{Name: "STATEKIT_JOBS_DEAD_MAX", Default: "10000",
		Meaning: "Most dead jobs kept per queue (oldest removed first)."},
	{Name: "STATEKIT_JOBS_COMPLETED_EVENTS", Default: "true",
		Meaning: "Publish jobs.completed for every completed job (jobs.failed and jobs.dead_lettered are always published)."},
	{Name: "STATEKIT_JOBS_PERIODIC", Default: "(none)",
		Meaning: "Periodic jobs as a JSON array: `[{\"name\":\"nightly\",\"cron\":\"0 3 * * *\",\"type\":\"report.build\",\"queue\":\"low\",\"payload\":{}}]`; `cron` takes 5 fields, 6 with seconds, `@daily`-style descriptors or `@every <duration>`."},
}

// parseSettings reads the jobs configuration.
func parseSettings(e *contract.Env) jobapp.Config {
	cfg := jobapp.DefaultConfig()
	cfg.Workers = e.Bool("STATEKIT_WORKERS")
	cfg.Concurrency = int(e.Int("STATEKIT_JOBS_CONCURRENCY"))
	queues, err := jobapp.ParseQueues(e.String("STATEKIT_JOBS_QUEUES"))
	e.Check("STATEKIT_JOBS_QUEUES", err)
	cfg.Queues = queues
	cfg.StrictPriority = e.Bool("STATEKIT_JOBS_STRICT_PRIORITY")
	cfg.Lease = e.Duration("STATEKIT_JOBS_LEASE")
	cfg.ShutdownGrace = e.DurationOrZero("STATEKIT_JOBS_SHUTDOWN_GRACE")
	cfg.Defaults.Queue = e.String("STATEKIT_JOBS_DEFAULT_QUEUE")
	cfg.Defaults.MaxRetries = int(e.IntOrZero("STATEKIT_JOBS_MAX_RETRIES"))
	cfg.Defaults.Timeout = e.Duration("STATEKIT_JOBS_TIMEOUT")
	cfg.Backoff.Base = e.Duration("STATEKIT_JOBS_BACKOFF_BASE")
	cfg.Backoff.Max = e.Duration("STATEKIT_JOBS_BACKOFF_MAX")
	cfg.Backoff.Jitter = e.Float("STATEKIT_JOBS_BACKOFF_JITTER")
	cfg.Retention.Completed = e.DurationOrZero("STATEKIT_JOBS_COMPLETED_RETENTION")
	cfg.Retention.CompletedMax = int(e.IntOrZero("STATEKIT_JOBS_COMPLETED_MAX"))
	cfg.Retention.Dead = e.DurationOrZero("STATEKIT_JOBS_DEAD_RETENTION")
	cfg.Retention.DeadMax = int(e.IntOrZero("STATEKIT_JOBS_DEAD_MAX"))
	cfg.CompletedEvents = e.Bool("STATEKIT_JOBS_COMPLETED_EVENTS")
	periodic, err := jobapp.ParsePeriodic(e.String("STATEKIT_JOBS_PERIODIC"))
	e.Check("STATEKIT_JOBS_PERIODIC", err)
	cfg.Periodic = periodic
	e.Check("STATEKIT_JOBS_*", cfg.Validate())
	return cfg
}
