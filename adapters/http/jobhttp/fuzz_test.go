package jobhttp_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	httpapi "github.com/statekit/statekit/adapters/http"
)

// FuzzEnqueueRequest sends arbitrary bodies to POST /v1/jobs: the answer is never a 5xx, always JSON, a
// problem document that wrote nothing whenever it is an error, and a stored job whenever it is a success.
func FuzzEnqueueRequest(f *testing.F) {
	for _, seed := range []string{
		`{"type":"statekit.echo","payload":{"x":1},"queue":"low","priority":9,"delay":"10s","max_retries":3,"timeout":"1m","unique_key":"k","unique_ttl":"1h"}`,
		`{"type":"statekit.echo"}`, `{}`, ``, `null`, `[]`, `{"type":`, `{"type":"a"}{"type":"b"}`,
		`{"type":"statekit.echo","payload":"\u0000"}`, `{"type":"statekit.echo","delay":"-1s"}`,
		`{"type":"statekit.echo","run_at":"0001-01-01T00:00:00Z"}`, `{"type":"statekit.echo","max_retries":1e99}`,
		`{"type":"a:b{c}*"}`, `{"type":"statekit.echo","queue":"` + strings.Repeat("q", 65) + `"}`,
		`{"type":"statekit.echo","payload":` + strings.Repeat(`[`, 5000) + strings.Repeat(`]`, 5000) + `}`,
		`{"type":"statekit.echo","payload":{"sleep":"1h","fail":"x","permanent":true}}`,
		`{"type":"statekit.echo","unique_ttl":"1h"}`, `{"type":"statekit.echo","timeout":"9999999h"}`,
	} {
		f.Add([]byte(seed))
	}
	fix := newFixture(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fix.redis.Flush(t)
		a := fix.call("POST", "/v1/jobs", jobsKey, string(body))
		if a.code >= 500 {
			t.Fatalf("body %q: status %d: %s", body, a.code, a.body)
		}
		if !json.Valid(a.body) {
			t.Fatalf("body %q: %d with a body that is not JSON: %q", body, a.code, a.body)
		}
		switch {
		case a.code == http.StatusCreated:
			var e struct{ ID, Queue string }
			if err := json.Unmarshal(a.body, &e); err != nil {
				t.Fatal(err)
			}
			if g := fix.call("GET", "/v1/jobs/queues/"+e.Queue+"/jobs/"+e.ID, jobsKey, ""); g.code != 200 {
				t.Fatalf("body %q: enqueued %+v but GET answers %d", body, e, g.code)
			}
		case a.code >= 400:
			var p httpapi.Problem
			if err := json.Unmarshal(a.body, &p); err != nil || p.Status != a.code || !strings.HasPrefix(p.Type, httpapi.ProblemTypeBase) {
				t.Fatalf("body %q: %d %s is not a problem document", body, a.code, a.body)
			}
			if keys := fix.redis.Keys(t); len(keys) != 0 {
				t.Fatalf("body %q: refused with %d, yet wrote %v", body, a.code, keys)
			}
		default:
			t.Fatalf("body %q: unexpected status %d", body, a.code)
		}
	})
}
