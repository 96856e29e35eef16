package jobhttp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/adapters/http/jobhttp"
	"github.com/statekit/statekit/adapters/redis/jobredis"
	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/httpkit"
)

const (
	jobsKey     = "jobs-key-0123456789abcdefgh"
	adminKey    = "admin-key-0123456789abcdefg"
	sessionsKey = "sessions-key-0123456789abcd"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// fixture is the real job handlers, service and Redis store, on a real redis-server, behind the real server
// chain. No worker runs: jobs stay where the API puts them.
type fixture struct {
	handler http.Handler
	redis   httpkit.Redis
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	rds := httpkit.NewRedis(tb)
	svc, err := jobapp.NewService(jobredis.New(rds.Client, rds.Prefix, nil), []ports.JobHandler{jobapp.EchoHandler()}, jobapp.DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	cfg := httpkit.Config(tb, "p:"+jobsKey+":jobs,o:"+adminKey+":admin,s:"+sessionsKey+":sessions")
	return &fixture{handler: httpkit.Handler(tb, cfg, nil, jobhttp.New(svc).Routes(), jobhttp.Problems), redis: rds}
}

type answer struct {
	code   int
	header http.Header
	body   []byte
}

func (f *fixture) call(method, path, key, body string) answer {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return answer{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

// problem checks a is a problem document with the status and slug.
func (a answer) problem(t *testing.T, what string, status int, slug string) httpapi.Problem {
	t.Helper()
	var p httpapi.Problem
	if a.code != status || a.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%s: %d %s %s, want a %d problem", what, a.code, a.header.Get("Content-Type"), a.body, status)
	}
	a.decode(t, &p)
	if p.Type != httpapi.ProblemTypeBase+slug || p.Status != status {
		t.Errorf("%s: problem %+v, want type %s", what, p, slug)
	}
	return p
}

func TestEnqueueInspectAndAdminister(t *testing.T) {
	f := newFixture(t)
	a := f.call("POST", "/v1/jobs", jobsKey, `{"type":"statekit.echo","payload":{"hi":1},"priority":3,"max_retries":2,"timeout":"90s","delay":"1h","unique_key":"greet-1"}`)
	if a.code != http.StatusCreated {
		t.Fatalf("enqueue: %d %s", a.code, a.body)
	}
	var e jobhttp.EnqueuedView
	a.decode(t, &e)
	if e.Queue != "default" || e.State != "scheduled" || a.header.Get("Location") != "/v1/jobs/queues/default/jobs/"+e.ID {
		t.Errorf("enqueue = %+v, Location %q", e, a.header.Get("Location"))
	}
	a = f.call("GET", "/v1/jobs/queues/default/jobs/"+e.ID, jobsKey, "")
	var v jobhttp.View
	a.decode(t, &v)
	if a.code != 200 || v.ID != e.ID || v.Type != "statekit.echo" || string(v.Payload) != `{"hi":1}` || v.Priority != 3 ||
		v.MaxRetries != 2 || v.Timeout != "1m30s" || v.State != "scheduled" || v.RunAt == nil || v.UniqueKey != "greet-1" {
		t.Errorf("get = %d %+v", a.code, v)
	}
	// A second job with the same unique key: 409, pointing at the first.
	a = f.call("POST", "/v1/jobs", jobsKey, `{"type":"statekit.echo","unique_key":"greet-1"}`)
	p := a.problem(t, "duplicate", http.StatusConflict, "duplicate-job")
	if a.header.Get("Location") != "/v1/jobs/queues/default/jobs/"+e.ID || !strings.Contains(p.Detail, e.ID) {
		t.Errorf("duplicate: Location %q detail %q, want the existing job %s", a.header.Get("Location"), p.Detail, e.ID)
	}

	var stats jobhttp.StatsView
	f.call("GET", "/v1/jobs/queues/default", adminKey, "").decode(t, &stats)
	if stats.Scheduled != 1 || stats.Pending != 0 {
		t.Errorf("stats = %+v", stats)
	}
	var all struct{ Queues []jobhttp.StatsView }
	f.call("GET", "/v1/jobs/queues", adminKey, "").decode(t, &all)
	if len(all.Queues) != 1 || all.Queues[0].Queue != "default" {
		t.Errorf("queues = %+v", all)
	}
	// Run the scheduled job now, then list it as pending.
	a = f.call("POST", "/v1/jobs/queues/default/jobs/"+e.ID+"/retry", adminKey, "")
	a.decode(t, &v)
	if a.code != 200 || v.State != "pending" {
		t.Errorf("retry = %d %+v", a.code, v)
	}
	f.call("POST", "/v1/jobs/queues/default/jobs/"+e.ID+"/retry", adminKey, "").problem(t, "retry pending", http.StatusConflict, "job-state-conflict")
	var page struct {
		Jobs       []jobhttp.View
		Total      int64
		NextOffset *int `json:"next_offset"`
	}
	for range 2 {
		f.call("POST", "/v1/jobs", jobsKey, `{"type":"statekit.echo","queue":"default"}`)
	}
	f.call("GET", "/v1/jobs/queues/default/jobs?state=pending&limit=2", adminKey, "").decode(t, &page)
	if page.Total != 3 || len(page.Jobs) != 2 || page.Jobs[0].ID != e.ID || page.NextOffset == nil || *page.NextOffset != 2 {
		t.Errorf("page 1 = %+v", page)
	}
	page.NextOffset = nil
	f.call("GET", "/v1/jobs/queues/default/jobs?state=pending&offset=2&limit=2", adminKey, "").decode(t, &page)
	if len(page.Jobs) != 1 || page.NextOffset != nil {
		t.Errorf("page 2 = %+v", page)
	}
	f.call("POST", "/v1/jobs/queues/default/pause", adminKey, "").decode(t, &stats)
	if !stats.Paused {
		t.Error("pause did not pause")
	}
	f.call("POST", "/v1/jobs/queues/default/resume", adminKey, "").decode(t, &stats)
	if stats.Paused {
		t.Error("resume did not resume")
	}
	if a := f.call("DELETE", "/v1/jobs/queues/default/jobs/"+e.ID, adminKey, ""); a.code != http.StatusNoContent {
		t.Errorf("delete: %d %s", a.code, a.body)
	}
	f.call("GET", "/v1/jobs/queues/default/jobs/"+e.ID, jobsKey, "").problem(t, "get deleted", http.StatusNotFound, "job-not-found")
	f.call("DELETE", "/v1/jobs/queues/default/jobs/"+e.ID, adminKey, "").problem(t, "delete twice", http.StatusNotFound, "job-not-found")
	var purged map[string]int64
	f.call("DELETE", "/v1/jobs/queues/default/dead", adminKey, "").decode(t, &purged)
	if purged["purged"] != 0 {
		t.Errorf("purge = %v", purged)
	}
}

func TestBatch(t *testing.T) {
	f := newFixture(t)
	f.call("POST", "/v1/jobs", jobsKey, `{"type":"statekit.echo","unique_key":"taken"}`)
	a := f.call("POST", "/v1/jobs/batch", jobsKey, `{"jobs":[{"type":"statekit.echo"},{"type":"statekit.echo","unique_key":"taken"},{"type":"statekit.echo","queue":"low"}]}`)
	var out struct {
		Results []struct {
			ID    string `json:"id"`
			Queue string `json:"queue"`
			Error *struct {
				Type          string `json:"type"`
				ExistingJobID string `json:"existing_job_id"`
			} `json:"error"`
		} `json:"results"`
	}
	a.decode(t, &out)
	r := out.Results
	if a.code != 200 || len(r) != 3 || r[0].ID == "" || r[1].Error == nil || r[1].Error.ExistingJobID == "" ||
		r[1].Error.Type != httpapi.ProblemTypeBase+"duplicate-job" || r[2].Queue != "low" {
		t.Errorf("batch = %d %s", a.code, a.body)
	}
	before := len(f.redis.Keys(t))
	p := f.call("POST", "/v1/jobs/batch", jobsKey, `{"jobs":[{"type":"statekit.echo"},{"type":"nope"}]}`).
		problem(t, "batch with an unknown type", http.StatusUnprocessableEntity, "unknown-job-type")
	if !strings.Contains(p.Detail, "job 1") || len(f.redis.Keys(t)) != before {
		t.Errorf("refused batch: detail %q, keys %d -> %d", p.Detail, before, len(f.redis.Keys(t)))
	}
	f.call("POST", "/v1/jobs/batch", jobsKey, `{"jobs":[]}`).problem(t, "empty batch", http.StatusUnprocessableEntity, "invalid-job-input")
}

// TestBadInput: every malformed or invalid request is a 4xx problem and writes nothing.
func TestBadInput(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		slug                     string
	}{
		{"unknown type", "POST", "/v1/jobs", `{"type":"launch.rockets"}`, 422, "unknown-job-type"},
		{"no type", "POST", "/v1/jobs", `{"payload":{}}`, 422, "invalid-job-input"},
		{"invalid payload", "POST", "/v1/jobs", `{"type":"statekit.echo","payload":[1,2]}`, 422, "invalid-job-payload"},
		{"payload refused by the type", "POST", "/v1/jobs", `{"type":"statekit.echo","payload":{"sleep":"ages"}}`, 422, "invalid-job-payload"},
		{"negative delay", "POST", "/v1/jobs", `{"type":"statekit.echo","delay":"-5s"}`, 422, "invalid-job-input"},
		{"delay not a duration", "POST", "/v1/jobs", `{"type":"statekit.echo","delay":"soon"}`, 422, "invalid-job-input"},
		{"absurd retries", "POST", "/v1/jobs", `{"type":"statekit.echo","max_retries":1000000}`, 422, "invalid-job-input"},
		{"negative retries", "POST", "/v1/jobs", `{"type":"statekit.echo","max_retries":-1}`, 422, "invalid-job-input"},
		{"priority 42", "POST", "/v1/jobs", `{"type":"statekit.echo","priority":42}`, 422, "invalid-job-input"},
		{"timeout of a week", "POST", "/v1/jobs", `{"type":"statekit.echo","timeout":"168h"}`, 422, "invalid-job-input"},
		{"queue with a brace", "POST", "/v1/jobs", `{"type":"statekit.echo","queue":"{q}"}`, 422, "invalid-job-input"},
		{"unique key with a colon", "POST", "/v1/jobs", `{"type":"statekit.echo","unique_key":"a:b"}`, 422, "invalid-job-input"},
		{"delay and run_at", "POST", "/v1/jobs", `{"type":"statekit.echo","delay":"1s","run_at":"2030-01-01T00:00:00Z"}`, 422, "invalid-job-input"},
		{"wrong field type", "POST", "/v1/jobs", `{"type":5}`, 400, "malformed-request"},
		{"unknown field", "POST", "/v1/jobs", `{"type":"statekit.echo","colour":"red"}`, 400, "malformed-request"},
		{"not JSON", "POST", "/v1/jobs", `{"type":`, 400, "malformed-request"},
		{"array body", "POST", "/v1/jobs", `[]`, 400, "malformed-request"},
		{"bad job id", "GET", "/v1/jobs/queues/default/jobs/a:b", "", 422, "invalid-job-input"},
		{"bad queue", "GET", "/v1/jobs/queues/a*b/jobs/AAAAAAAAAAAAAAAA", "", 422, "invalid-job-input"},
		{"unknown job", "GET", "/v1/jobs/queues/default/jobs/AAAAAAAAAAAAAAAA", "", 404, "job-not-found"},
	} {
		f.redis.Flush(t)
		key := jobsKey
		f.call(tc.method, tc.path, key, tc.body).problem(t, tc.name, tc.status, tc.slug)
		if keys := f.redis.Keys(t); len(keys) != 0 {
			t.Errorf("%s: refused, yet wrote %v", tc.name, keys)
		}
	}
	for _, tc := range []struct{ name, path string }{
		{"no state", "/v1/jobs/queues/default/jobs"},
		{"unknown state", "/v1/jobs/queues/default/jobs?state=archived"},
		{"limit 0", "/v1/jobs/queues/default/jobs?state=dead&limit=0"},
		{"limit too big", "/v1/jobs/queues/default/jobs?state=dead&limit=5000"},
		{"offset not a number", "/v1/jobs/queues/default/jobs?state=dead&offset=x"},
		{"negative offset", "/v1/jobs/queues/default/jobs?state=dead&offset=-1"},
	} {
		f.call("GET", tc.path, adminKey, "").problem(t, tc.name, 422, "invalid-job-input")
	}
}

// TestScopes: producers enqueue and read jobs, only admins administer, other scopes and anonymous callers
// are refused.
func TestScopes(t *testing.T) {
	f := newFixture(t)
	f.call("POST", "/v1/jobs", "", `{"type":"statekit.echo"}`).problem(t, "anonymous enqueue", 401, "unauthenticated")
	f.call("POST", "/v1/jobs", sessionsKey, `{"type":"statekit.echo"}`).problem(t, "sessions key enqueue", 403, "forbidden")
	for _, r := range []struct{ method, path string }{
		{"GET", "/v1/jobs/queues"}, {"GET", "/v1/jobs/queues/default"}, {"GET", "/v1/jobs/queues/default/jobs?state=dead"},
		{"DELETE", "/v1/jobs/queues/default/jobs/AAAAAAAAAAAAAAAA"}, {"POST", "/v1/jobs/queues/default/jobs/AAAAAAAAAAAAAAAA/retry"},
		{"POST", "/v1/jobs/queues/default/pause"}, {"POST", "/v1/jobs/queues/default/resume"}, {"DELETE", "/v1/jobs/queues/default/dead"},
	} {
		f.call(r.method, r.path, jobsKey, "").problem(t, r.method+" "+r.path+" with the jobs scope", 403, "forbidden")
	}
	if a := f.call("POST", "/v1/jobs", adminKey, `{"type":"statekit.echo"}`); a.code != 201 {
		t.Errorf("admin enqueue: %d", a.code)
	}
}
