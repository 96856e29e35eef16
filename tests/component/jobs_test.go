package component

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/testapp"
)

const jobsKey = "producer-secret-0123456789ab"

func jobsCreds() testapp.Creds { return testapp.Creds{APIKey: jobsKey} }

// jobsApp starts the whole graph with workers and a "greet" handler registered the way a module does it
// (the "job_handlers" value group); extra options add event subscribers.
func jobsApp(t *testing.T, calls *atomic.Int32, extra ...fx.Option) *app {
	t.Helper()
	tg := harness.Standalone(t)
	vars := env(tg)
	vars["STATEKIT_API_KEYS"] += ",producer:" + jobsKey + ":jobs"
	vars["STATEKIT_JOBS_BACKOFF_BASE"] = "10ms"
	vars["STATEKIT_JOBS_BACKOFF_MAX"] = "50ms"
	greet := contract.Provide(ports.GroupJobHandlers, func() ports.JobHandler {
		return ports.JobHandler{Type: "greet", Handle: func(ctx context.Context, j job.Job) ([]byte, error) {
			calls.Add(1)
			if ports.CorrelationID(ctx) == "" {
				t.Error("handler context without a correlation id")
			}
			return []byte(`{"greeted":true}`), nil
		}}
	})
	return start(t, vars, tg.Client, append([]fx.Option{greet}, extra...)...)
}

type jobView struct {
	ID        string          `json:"id"`
	Queue     string          `json:"queue"`
	Type      string          `json:"type"`
	State     string          `json:"state"`
	Attempts  int             `json:"attempts"`
	Result    json.RawMessage `json:"result"`
	LastError string          `json:"last_error"`
}

func (a *app) job(queue, id string) jobView {
	a.T.Helper()
	var v jobView
	a.Do("GET", "/v1/jobs/queues/"+queue+"/jobs/"+id, jobsCreds(), nil).Expect(a.T, "get job", http.StatusOK, &v)
	return v
}

func (a *app) waitJob(queue, id, state string) jobView {
	a.T.Helper()
	var v jobView
	eventually(a.T, 15*time.Second, "job "+id+" to be "+state, func() bool {
		v = a.job(queue, id)
		return v.State == state
	})
	return v
}

// TestJobsEndToEnd: a job enqueued over HTTP is run by the in-process workers, its result is readable, and
// jobs.completed reaches a subscriber with the request id as correlation id; a failing job is
// dead-lettered (jobs.dead_lettered), retried by an operator and dead again; metrics show the queue.
func TestJobsEndToEnd(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	completedSub, completed := testapp.Subscribe("test-jobs-completed", "jobs.completed")
	deadSub, dead := testapp.Subscribe("test-jobs-dead", "jobs.dead_lettered")
	a := jobsApp(t, &calls, completedSub, deadSub)

	var e struct{ ID, Queue, State string }
	c := jobsCreds()
	c.RequestID = "req-jobs-e2e-1"
	a.Do("POST", "/v1/jobs", c, map[string]any{"type": "greet", "payload": map[string]string{"name": "ada"}}).
		Expect(t, "enqueue greet", http.StatusCreated, &e)
	if v := a.waitJob(e.Queue, e.ID, "completed"); string(v.Result) != `{"greeted":true}` || v.Attempts != 1 {
		t.Errorf("completed job = %+v", v)
	}
	env := testapp.Next(t, completed, "jobs.completed")
	var ev job.Completed
	if err := env.Decode(&ev); err != nil || ev.JobID != e.ID || ev.Type != "greet" || env.CorrelationID != "req-jobs-e2e-1" {
		t.Errorf("jobs.completed = %+v (correlation %q), %v", ev, env.CorrelationID, err)
	}

	a.Do("POST", "/v1/jobs", jobsCreds(), map[string]any{"type": "statekit.echo", "max_retries": 1,
		"payload": map[string]any{"fail": "no such mailbox"}}).Expect(t, "enqueue failing echo", http.StatusCreated, &e)
	v := a.waitJob(e.Queue, e.ID, "dead")
	if v.Attempts != 2 || v.LastError != "no such mailbox" {
		t.Errorf("dead job = %+v, want 2 attempts and the error", v)
	}
	var dl job.DeadLettered
	if err := testapp.Next(t, dead, "jobs.dead_lettered").Decode(&dl); err != nil || dl.JobID != e.ID || dl.Error != "no such mailbox" {
		t.Errorf("jobs.dead_lettered = %+v, %v", dl, err)
	}
	var list struct {
		Jobs  []jobView
		Total int
	}
	a.Do("GET", "/v1/jobs/queues/default/jobs?state=dead", adminCreds(), nil).Expect(t, "list dead", http.StatusOK, &list)
	if list.Total != 1 || list.Jobs[0].ID != e.ID {
		t.Errorf("dead list = %+v", list)
	}
	a.Do("POST", "/v1/jobs/queues/default/jobs/"+e.ID+"/retry", adminCreds(), nil).Expect(t, "retry dead job", http.StatusOK, nil)
	eventually(t, 15*time.Second, "the retried job to die again", func() bool {
		v := a.job("default", e.ID)
		return v.State == "dead" && v.Attempts == 2
	})

	var stats struct{ Processed, Failed, Dead, Completed int }
	a.Do("GET", "/v1/jobs/queues/default", adminCreds(), nil).Expect(t, "stats", http.StatusOK, &stats)
	if stats.Processed != 1 || stats.Failed != 4 || stats.Dead != 1 || stats.Completed != 1 {
		t.Errorf("stats = %+v", stats)
	}
	resp, err := http.Get(a.Base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`statekit_jobs{queue="default",state="dead"} 1`, `statekit_jobs_pickup_seconds_count{queue="default"}`,
		`statekit_jobs_outcomes_total{outcome="completed",queue="default",type="greet"} 1`, `statekit_jobs_stats_up 1`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("greet ran %d times", calls.Load())
	}
}

// TestJobsBadInputChangesNothing: unknown type, invalid payload, negative delay and absurd retries are
// refused with a 422 problem, and nothing is enqueued.
func TestJobsBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	a := jobsApp(t, &calls)
	before := a.jobKeys()
	for _, tc := range []struct {
		name string
		body string
		slug string
	}{
		{"unknown type", `{"type":"launch.rockets"}`, "unknown-job-type"},
		{"invalid payload", `{"type":"statekit.echo","payload":"not an object"}`, "invalid-job-payload"},
		{"negative delay", `{"type":"greet","delay":"-1m"}`, "invalid-job-input"},
		{"absurd retries", `{"type":"greet","max_retries":99999}`, "invalid-job-input"},
		{"queue with a colon", `{"type":"greet","queue":"a:b"}`, "invalid-job-input"},
	} {
		a.Do("POST", "/v1/jobs", jobsCreds(), tc.body).ExpectProblem(t, tc.name, http.StatusUnprocessableEntity, tc.slug)
	}
	a.Do("POST", "/v1/jobs/batch", jobsCreds(), `{"jobs":[{"type":"greet"},{"type":"greet","delay":"-1s"}]}`).
		ExpectProblem(t, "batch with one bad job", http.StatusUnprocessableEntity, "invalid-job-input")
	a.Do("POST", "/v1/jobs", serviceCreds(), `{"type":"greet"}`).ExpectProblem(t, "sessions key", http.StatusForbidden, "forbidden")
	a.Do("GET", "/v1/jobs/queues", jobsCreds(), nil).ExpectProblem(t, "admin route with the jobs key", http.StatusForbidden, "forbidden")
	if after := a.jobKeys(); after != before {
		t.Errorf("refused requests changed the job keys: %d -> %d", before, after)
	}
	if calls.Load() != 0 {
		t.Errorf("a refused job ran %d times", calls.Load())
	}
}

// jobKeys counts the app's job hashes.
func (a *app) jobKeys() int {
	a.T.Helper()
	keys, err := a.Redis.Keys(context.Background(), a.Prefix+":job:*:j:*").Result()
	if err != nil {
		a.T.Fatal(err)
	}
	return len(keys)
}
