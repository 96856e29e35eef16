package component

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/testapp"
)

type cacheStats struct {
	Instance              string  `json:"instance"`
	L1Hits                uint64  `json:"l1_hits"`
	Misses                uint64  `json:"misses"`
	Loads                 uint64  `json:"loads"`
	HitRate               float64 `json:"hit_rate"`
	InvalidationsReceived uint64  `json:"invalidations_received"`
}

func (a *app) cacheStats() cacheStats {
	a.T.Helper()
	var s cacheStats
	a.Do("GET", "/v1/cache/stats", testapp.Creds{APIKey: testapp.AdminKey}, nil).Expect(a.T, "cache stats", http.StatusOK, &s)
	return s
}

// TestCacheAdmin: the admin endpoints need the admin scope, answer bad names with 422 and no change, and
// the statistics and metrics follow what the app's cache does.
func TestCacheAdmin(t *testing.T) {
	t.Parallel()
	var svc *cacheapp.Service
	a := newApp(t, fx.Populate(&svc))
	admin := testapp.Creds{APIKey: testapp.AdminKey}

	for _, c := range []struct {
		method, path string
	}{
		{"GET", "/v1/cache/stats"},
		{"POST", "/v1/cache/namespaces/users/invalidate"},
		{"DELETE", "/v1/cache/namespaces/users/keys/42"},
	} {
		a.Do(c.method, c.path, testapp.Creds{}, nil).ExpectProblem(t, c.method+" "+c.path+" anonymous", http.StatusUnauthorized, "unauthenticated")
		a.Do(c.method, c.path, serviceCreds(), nil).ExpectProblem(t, c.method+" "+c.path+" with a sessions key", http.StatusForbidden, "forbidden")
	}

	ctx := context.Background()
	loads := 0
	load := func(context.Context) (string, error) { loads++; return fmt.Sprintf("v%d", loads), nil }
	for range 3 {
		if _, err := cacheapp.GetOrLoad(ctx, svc, "users", "42", load); err != nil {
			t.Fatal(err)
		}
	}
	s := a.cacheStats()
	if s.Instance != svc.Instance() || s.L1Hits != 2 || s.Loads != 1 || s.HitRate < 0.66 || s.HitRate > 0.67 {
		t.Errorf("stats = %+v, want this instance, 2 L1 hits, 1 load, hit rate 2/3", s)
	}

	a.Do("DELETE", "/v1/cache/namespaces/users/keys/42", admin, nil).Expect(t, "delete key", http.StatusNoContent, nil)
	if v, _ := cacheapp.GetOrLoad(ctx, svc, "users", "42", load); v != "v2" {
		t.Errorf("after DELETE over HTTP: %q, want a reload (v2)", v)
	}
	var first, second struct {
		Namespace  string `json:"namespace"`
		Generation int64  `json:"generation"`
	}
	a.Do("POST", "/v1/cache/namespaces/users/invalidate", admin, nil).Expect(t, "invalidate", http.StatusOK, &first)
	a.Do("POST", "/v1/cache/namespaces/users/invalidate", admin, nil).Expect(t, "invalidate again", http.StatusOK, &second)
	if first.Namespace != "users" || first.Generation == 0 || second.Generation <= first.Generation {
		t.Errorf("generations %+v then %+v, want a namespace moving forward", first, second)
	}
	if v, _ := cacheapp.GetOrLoad(ctx, svc, "users", "42", load); v != "v3" {
		t.Errorf("after invalidating the namespace: %q, want a reload (v3)", v)
	}

	before := a.snapshot()
	for _, path := range []string{
		"/v1/cache/namespaces/bad:ns/invalidate",
		"/v1/cache/namespaces/%7Bns%7D/invalidate",
		"/v1/cache/namespaces/" + strings.Repeat("n", 65) + "/invalidate",
	} {
		a.Do("POST", path, admin, nil).ExpectProblem(t, "POST "+path, http.StatusUnprocessableEntity, "invalid-cache-input")
	}
	for _, path := range []string{
		"/v1/cache/namespaces/users/keys/a:b",
		"/v1/cache/namespaces/users/keys/a%2Ab",
		"/v1/cache/namespaces/users/keys/a%20b",
		"/v1/cache/namespaces/users/keys/" + strings.Repeat("k", 513),
	} {
		a.Do("DELETE", path, admin, nil).ExpectProblem(t, "DELETE "+path, http.StatusUnprocessableEntity, "invalid-cache-input")
	}
	if after := a.snapshot(); len(after) != len(before) {
		t.Errorf("bad requests changed the keyspace: %d keys before, %d after", len(before), len(after))
	}

	r := a.Do("GET", "/metrics", testapp.Creds{}, nil)
	for _, want := range []string{`statekit_cache_requests_total{result="l1_hit"} 2`, "statekit_cache_loads_total 3",
		"statekit_cache_load_seconds_count 3", `statekit_cache_invalidations_total{direction="published"} 3`} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestCacheInvalidationAcrossApps boots two whole apps on one Redis: a key deleted over HTTP on one leaves
// the other's in-process tier as soon as cache.invalidated reaches it.
func TestCacheInvalidationAcrossApps(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	var svcA, svcB *cacheapp.Service
	a := start(t, env(tg), tg.Client, fx.Populate(&svcA))
	b := start(t, env(tg), tg.Client, fx.Populate(&svcB))
	admin := testapp.Creds{APIKey: testapp.AdminKey}
	// The fan-out reader of each app starts at the stream's end: send deletes until b has seen one.
	eventually(t, 10*time.Second, "b to receive cache.invalidated", func() bool {
		a.Do("DELETE", "/v1/cache/namespaces/warm/keys/up", admin, nil).Expect(t, "warm-up delete", http.StatusNoContent, nil)
		return b.cacheStats().InvalidationsReceived > 0
	})

	ctx := context.Background()
	loads := 0
	load := func(context.Context) (string, error) { loads++; return fmt.Sprintf("v%d", loads), nil }
	if v, _ := cacheapp.GetOrLoad(ctx, svcB, "users", "7", load); v != "v1" {
		t.Fatal(v)
	}
	if v, _ := cacheapp.GetOrLoad(ctx, svcB, "users", "7", load); v != "v1" || b.cacheStats().L1Hits == 0 {
		t.Fatalf("b's second read %q was not an L1 hit", v)
	}
	received := b.cacheStats().InvalidationsReceived
	a.Do("DELETE", "/v1/cache/namespaces/users/keys/7", admin, nil).Expect(t, "delete on a", http.StatusNoContent, nil)
	eventually(t, 10*time.Second, "the delete to reach b", func() bool { return b.cacheStats().InvalidationsReceived > received })
	if v, _ := cacheapp.GetOrLoad(ctx, svcB, "users", "7", load); v != "v2" {
		t.Errorf("b after a's delete arrived: %q, want a reload (v2)", v)
	}
}
