package flaghttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/adapters/http/flaghttp"
	"github.com/statekit/statekit/adapters/redis/flagredis"
	"github.com/statekit/statekit/app/flagapp"
	"github.com/statekit/statekit/domain/flag"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/httpkit"
)

const adminKey = "fuzz-admin-key-0123456789abcd"

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// FuzzPutFlag sends arbitrary bodies (and keys) to PUT /v1/flags/{key} on the real handlers, service and
// Redis store over a real redis-server: the answer is never a 5xx; a refusal is a problem document and
// writes nothing; an acceptance stores a flag that reads back, validates, and evaluates.
func FuzzPutFlag(f *testing.F) {
	for _, seed := range []struct{ key, body string }{
		{"dark-mode", `{"type":"boolean","enabled":true}`},
		{"new-checkout", `{"enabled":true,"default_variant":"off","deny":["u1"],"rules":[{"conditions":[{"op":"percentage","percent":12.5}],"variant":"on"}]}`},
		{"ab", `{"type":"multivariate","enabled":true,"variants":[{"name":"a","weight":1},{"name":"b","weight":2}],"off_variant":"a",
		  "rules":[{"conditions":[{"attribute":"app","op":"semver_gte","value":"v2.4.0-rc.1"},{"attribute":"age","op":"gte","value":"18"}],"variant":"b"}]}`},
		{"geo", `{"type":"boolean","rules":[{"conditions":[{"attribute":"country","op":"not_in","values":["KP"]}]}]}`},
		{"f", `{"type":"boolean","rules":[{"conditions":[{"op":"percentage","percent":250}]}]}`},
		{"f", `{"type":"boolean","rules":[{"conditions":[{"op":"percentage","percent":1e999}]}]}`},
		{"f", `{"type":"boolean","rules":[{"conditions":[{"op":"percentage","percent":"5"}]}]}`},
		{"f", `{"type":"boolean","rules":[{"conditions":[{"attribute":"a","op":"regex","value":".*"}]}]}`},
		{"f", `{"type":"boolean","allow":["a:b"],"deny":["*"]}`},
		{"f", `{"key":"g","type":"boolean"}`},
		{"f", `{"type":"boolean","version":99,"updated_by":"mallory"}`},
		{"f", `{`}, {"f", `null`}, {"f", `[]`}, {"f", ``},
		{"a:b", `{"type":"boolean"}`}, {"{f}", `{"type":"boolean"}`}, {"f*", `{"type":"boolean"}`},
		{strings.Repeat("k", 65), `{"type":"boolean"}`},
	} {
		f.Add(seed.key, []byte(seed.body))
	}
	rds := httpkit.NewRedis(f)
	store := flagredis.New(rds.Client, rds.Prefix, nil)
	snap := flagapp.NewSnapshot(store, flagapp.DefaultConfig())
	h := flaghttp.New(flagapp.NewService(store, httpkit.Discard{}, snap))
	handler := httpkit.Handler(f, httpkit.Config(f, "ops:"+adminKey+":admin"), nil, h.Routes(), flaghttp.Problems)

	f.Fuzz(func(t *testing.T, key string, body []byte) {
		rds.Flush(t)
		if err := snap.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("PUT", "/", strings.NewReader(string(body)))
		req.URL.Path = "/v1/flags/" + key
		req.URL.RawPath = "/v1/flags/" + url.PathEscape(key)
		req.Header.Set("X-API-Key", adminKey)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("key %q body %q: status %d: %s", key, body, rec.Code, rec.Body)
		}
		if rec.Code == http.StatusTemporaryRedirect { // a key with dot segments: net/http cleans the path
			return
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("key %q body %q: %d with a body that is not JSON: %q", key, body, rec.Code, rec.Body)
		}
		switch {
		case rec.Code == http.StatusCreated:
			var got flag.Flag
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Key != key || got.Version != 1 || got.UpdatedBy != "ops" {
				t.Fatalf("key %q body %q: created %s (%v)", key, body, rec.Body, err)
			}
			stored, err := store.Get(context.Background(), key)
			if err != nil || stored.Validate() != nil {
				t.Fatalf("key %q body %q: stored %+v, %v", key, body, stored, err)
			}
			if r := snap.Evaluate(key, &flag.Context{UserID: "u"}); r.Reason == flag.ReasonNotFound {
				t.Fatalf("key %q body %q: created but not in the snapshot", key, body)
			}
		case rec.Code >= 400:
			var p httpapi.Problem
			if !httpkit.IsProblem(rec) || json.Unmarshal(rec.Body.Bytes(), &p) != nil || !strings.HasPrefix(p.Type, httpapi.ProblemTypeBase) {
				t.Fatalf("key %q body %q: %d %s is not a problem document", key, body, rec.Code, rec.Body)
			}
			if keys := rds.Keys(t); len(keys) != 0 {
				t.Fatalf("key %q body %q: refused with %d, yet wrote %v", key, body, rec.Code, keys)
			}
		default:
			t.Fatalf("key %q body %q: unexpected status %d", key, body, rec.Code)
		}
	})
}
