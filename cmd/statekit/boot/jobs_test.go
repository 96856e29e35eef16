package boot

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/app/jobapp"
)

func TestLoadJobsDefaults(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	j := cfg.Jobs
	want := jobapp.DefaultConfig()
	if !j.Workers || j.Concurrency != want.Concurrency || len(j.Queues) != 1 || j.Queues[0] != (jobapp.QueueWeight{Name: "default", Weight: 1}) {
		t.Errorf("jobs defaults = %+v", j)
	}
	if j.Lease != 30*time.Second || j.Defaults != want.Defaults || j.Backoff != want.Backoff || j.Retention != want.Retention ||
		!j.CompletedEvents || j.StrictPriority || len(j.Periodic) != 0 {
		t.Errorf("jobs defaults = %+v, want %+v", j, want)
	}
}

func TestLoadJobsValues(t *testing.T) {
	cfg, err := Load(env(map[string]string{
		"STATEKIT_WORKERS":                  "false",
		"STATEKIT_JOBS_CONCURRENCY":         "32",
		"STATEKIT_JOBS_QUEUES":              "critical=6, default=3,low",
		"STATEKIT_JOBS_STRICT_PRIORITY":     "true",
		"STATEKIT_JOBS_LEASE":               "10s",
		"STATEKIT_JOBS_SHUTDOWN_GRACE":      "0s",
		"STATEKIT_JOBS_DEFAULT_QUEUE":       "low",
		"STATEKIT_JOBS_MAX_RETRIES":         "0",
		"STATEKIT_JOBS_TIMEOUT":             "90s",
		"STATEKIT_JOBS_BACKOFF_BASE":        "2s",
		"STATEKIT_JOBS_BACKOFF_MAX":         "10m",
		"STATEKIT_JOBS_BACKOFF_JITTER":      "1",
		"STATEKIT_JOBS_COMPLETED_RETENTION": "0",
		"STATEKIT_JOBS_COMPLETED_MAX":       "0",
		"STATEKIT_JOBS_DEAD_RETENTION":      "24h",
		"STATEKIT_JOBS_DEAD_MAX":            "5",
		"STATEKIT_JOBS_COMPLETED_EVENTS":    "false",
		"STATEKIT_JOBS_PERIODIC":            `[{"name":"nightly","cron":"0 3 * * *","type":"statekit.echo","queue":"low","payload":{"a":1},"max_retries":2,"timeout":"5m"}]`,
	}))
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	j := cfg.Jobs
	wantQueues := []jobapp.QueueWeight{{Name: "critical", Weight: 6}, {Name: "default", Weight: 3}, {Name: "low", Weight: 1}}
	if j.Workers || j.Concurrency != 32 || !slices.Equal(j.Queues, wantQueues) || !j.StrictPriority || j.Lease != 10*time.Second ||
		j.ShutdownGrace != 0 || j.Defaults.Queue != "low" || j.Defaults.MaxRetries != 0 || j.Defaults.Timeout != 90*time.Second {
		t.Errorf("jobs = %+v", j)
	}
	if j.Backoff.Base != 2*time.Second || j.Backoff.Max != 10*time.Minute || j.Backoff.Jitter != 1 {
		t.Errorf("backoff = %+v", j.Backoff)
	}
	if j.Retention.KeepsCompleted() || j.Retention.Dead != 24*time.Hour || j.Retention.DeadMax != 5 || j.CompletedEvents {
		t.Errorf("retention = %+v, completed events %v", j.Retention, j.CompletedEvents)
	}
	if len(j.Periodic) != 1 {
		t.Fatalf("periodic = %+v", j.Periodic)
	}
	p := j.Periodic[0]
	if p.Name != "nightly" || p.Cron != "0 3 * * *" || p.Job.Type != "statekit.echo" || p.Job.Queue != "low" ||
		string(p.Job.Payload) != `{"a":1}` || *p.Job.MaxRetries != 2 || p.Job.Timeout != 5*time.Minute {
		t.Errorf("periodic = %+v", p)
	}
}

// TestLoadJobsNamesTheVariable: every invalid jobs value stops start-up with a message naming its variable.
func TestLoadJobsNamesTheVariable(t *testing.T) {
	for name, value := range map[string]string{
		"STATEKIT_WORKERS":                  "sometimes",
		"STATEKIT_JOBS_CONCURRENCY":         "0",
		"STATEKIT_JOBS_QUEUES":              "a=x",
		"STATEKIT_JOBS_STRICT_PRIORITY":     "yes please",
		"STATEKIT_JOBS_LEASE":               "0s",
		"STATEKIT_JOBS_SHUTDOWN_GRACE":      "-1s",
		"STATEKIT_JOBS_MAX_RETRIES":         "-1",
		"STATEKIT_JOBS_TIMEOUT":             "forever",
		"STATEKIT_JOBS_BACKOFF_BASE":        "0",
		"STATEKIT_JOBS_BACKOFF_JITTER":      "lots",
		"STATEKIT_JOBS_COMPLETED_RETENTION": "-1h",
		"STATEKIT_JOBS_COMPLETED_MAX":       "many",
		"STATEKIT_JOBS_DEAD_RETENTION":      "soon",
		"STATEKIT_JOBS_DEAD_MAX":            "-3",
		"STATEKIT_JOBS_COMPLETED_EVENTS":    "2",
		"STATEKIT_JOBS_PERIODIC":            `[{"name":"x","crn":"@hourly"}]`,
	} {
		_, err := Load(env(map[string]string{name: value}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err = %v, want one naming the variable", name, value, err)
		}
	}
	// Values each valid alone but wrong together are reported against the jobs variables as a group.
	for _, vars := range []map[string]string{
		{"STATEKIT_JOBS_QUEUES": "a{b}=1"},
		{"STATEKIT_JOBS_BACKOFF_BASE": "1h", "STATEKIT_JOBS_BACKOFF_MAX": "1s"},
		{"STATEKIT_JOBS_BACKOFF_JITTER": "1.5"},
		{"STATEKIT_JOBS_MAX_RETRIES": "101"},
		{"STATEKIT_JOBS_DEFAULT_QUEUE": "a:b"},
	} {
		if _, err := Load(env(vars)); err == nil || !strings.Contains(err.Error(), "STATEKIT_JOBS_") {
			t.Errorf("%v: err = %v, want one naming STATEKIT_JOBS_", vars, err)
		}
	}
}

// routesOf builds a graph (without starting it: nothing dials Redis) and returns the server's routes and
// the jobs configuration the graph runs with.
func routesOf(t *testing.T, opts func(func(string) string, *slog.Logger, ...fx.Option) fx.Option, vars map[string]string) ([]string, jobapp.Config) {
	t.Helper()
	vars["STATEKIT_REDIS_URL"] = "redis://127.0.0.1:1"
	vars["STATEKIT_HTTP_ADDR"] = "127.0.0.1:0"
	var (
		srv *httpapi.Server
		cfg jobapp.Config
	)
	app := fx.New(opts(env(vars), slog.New(slog.DiscardHandler)), fx.Populate(&srv, &cfg))
	if err := app.Err(); err != nil {
		t.Fatalf("build the graph: %v", err)
	}
	return srv.Routes(), cfg
}

// TestWorkerOnlyGraph: `statekit worker` serves only the operational endpoints and runs the workers even
// when STATEKIT_WORKERS=false; `statekit serve` serves the job routes and runs the workers as
// STATEKIT_WORKERS says.
func TestWorkerOnlyGraph(t *testing.T) {
	worker, cfg := routesOf(t, WorkerOnly, map[string]string{"STATEKIT_WORKERS": "false"})
	slices.Sort(worker)
	if want := []string{"GET /healthz", "GET /metrics", "GET /openapi.yaml", "GET /readyz"}; !slices.Equal(worker, want) {
		t.Errorf("worker routes = %v, want %v", worker, want)
	}
	if !cfg.Workers {
		t.Error("statekit worker with STATEKIT_WORKERS=false: workers off")
	}
	serve, cfg := routesOf(t, Options, map[string]string{"STATEKIT_WORKERS": "false"})
	if !slices.Contains(serve, "POST /v1/jobs") || !slices.Contains(serve, "GET /v1/jobs/queues") {
		t.Errorf("serve routes lack the job routes: %v", serve)
	}
	if cfg.Workers {
		t.Error("statekit serve with STATEKIT_WORKERS=false: workers on")
	}
	if _, cfg := routesOf(t, Options, map[string]string{}); !cfg.Workers {
		t.Error("statekit serve by default: workers off")
	}
}
