package lockhttp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/http/lockhttp"
	"github.com/statekit/statekit/adapters/redis/lockredis"
	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/httpkit"
)

const locksKey = "fuzz-locks-key-0123456789abc"

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// newHandler is the real lock handlers, service and Redis store on rc (keys under prefix), behind the real
// server chain.
func newHandler(tb testing.TB, rc redis.UniversalClient, prefix string) http.Handler {
	tb.Helper()
	store, err := lockredis.New(rc, lockredis.DefaultConfig(prefix), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = store.Close() })
	cfg := lockapp.DefaultConfig()
	cfg.MaxWait = 0 // a fuzzed wait must never block the fuzzer: every wait is out of range
	svc := lockapp.NewService(store, store, cfg)
	return httpkit.Handler(tb, httpkit.Config(tb, "fuzz:"+locksKey+":locks"), nil, lockhttp.New(svc).Routes(), lockhttp.Problems)
}

func call(h http.Handler, method, path, escaped string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/", strings.NewReader(string(body)))
	req.URL.Path, req.URL.RawPath = path, escaped
	req.Header.Set("X-API-Key", locksKey)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestEmbeddedRedisRunsTheScripts: the lock scripts run on miniredis too (the embedded mode): acquire, refuse
// a second owner, release, fenced writes.
func TestEmbeddedRedisRunsTheScripts(t *testing.T) {
	mr := miniredis.RunT(t)
	rc := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rc.Close() })
	h := newHandler(t, rc, "embedded")
	rec := call(h, "POST", "/v1/locks/a", "", []byte(`{"ttl_ms":5000}`))
	var lease struct {
		Token string `json:"token"`
		Fence int64  `json:"fence"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &lease) != nil || lease.Fence <= 0 {
		t.Fatalf("acquire: %d %s", rec.Code, rec.Body)
	}
	if rec := call(h, "POST", "/v1/locks/a", "", []byte(`{}`)); rec.Code != http.StatusConflict {
		t.Errorf("second owner: %d %s", rec.Code, rec.Body)
	}
	if rec := call(h, "PUT", "/v1/fenced/k", "", []byte(`{"value":"v","fence":`+itoa(lease.Fence)+`}`)); rec.Code != http.StatusNoContent {
		t.Errorf("fenced write: %d %s", rec.Code, rec.Body)
	}
	if rec := call(h, "PUT", "/v1/fenced/k", "", []byte(`{"value":"v","fence":1}`)); rec.Code != http.StatusConflict {
		t.Errorf("stale fenced write: %d %s", rec.Code, rec.Body)
	}
	if rec := call(h, "POST", "/v1/locks/a/release", "", []byte(`{"token":"`+lease.Token+`"}`)); rec.Code != http.StatusNoContent {
		t.Errorf("release: %d %s", rec.Code, rec.Body)
	}
	if rec := call(h, "POST", "/v1/lock-sets", "", []byte(`{"names":["a","b"],"mode":"shared"}`)); rec.Code != http.StatusOK {
		t.Errorf("shared set: %d %s", rec.Code, rec.Body)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// FuzzAcquireRequest sends arbitrary names and bodies to POST /v1/locks/{name}: the answer is never a 5xx,
// always JSON, a problem document whenever it is an error, and a lease with a token and a fence whenever it
// succeeds.
func FuzzAcquireRequest(f *testing.F) {
	for _, seed := range []struct{ name, body string }{
		{"a", `{}`},
		{"a", `{"mode":"shared","ttl_ms":1000}`},
		{"a", `{"ttl_ms":1,"wait_ms":5}`},
		{"a", `{"mode":"exclusive","ttl_ms":86400000}`},
		{"a", ``},
		{"a", `null`},
		{"a", `{"ttl_ms":1e999}`},
		{"a", `{"names":["a","b"]}`},
		{"a", `{"mode":5}`},
		{"a:b", `{}`},
		{"{a}", `{}`},
		{"a*", `{}`},
		{strings.Repeat("n", 129), `{}`},
	} {
		f.Add(seed.name, []byte(seed.body))
	}
	rds := httpkit.NewRedis(f)
	h := newHandler(f, rds.Client, rds.Prefix)
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		rds.Flush(t)
		rec := call(h, "POST", "/v1/locks/"+name, "/v1/locks/"+url.PathEscape(name), body)
		if rec.Code >= 500 {
			t.Fatalf("name %q body %q: status %d: %s", name, body, rec.Code, rec.Body)
		}
		if rec.Code == http.StatusTemporaryRedirect || rec.Code == http.StatusNotFound && rec.Body.Len() == 0 {
			return
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("name %q body %q: status %d, not JSON: %q", name, body, rec.Code, rec.Body)
		}
		if rec.Code == http.StatusOK {
			var lease struct {
				Token string `json:"token"`
				Fence int64  `json:"fence"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &lease); err != nil || len(lease.Token) != 22 || lease.Fence <= 0 {
				t.Fatalf("name %q body %q: 200 %s", name, body, rec.Body)
			}
			return
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("name %q body %q: %d with Content-Type %q", name, body, rec.Code, ct)
		}
	})
}
