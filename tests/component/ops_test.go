package component

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/statekit/statekit/cmd/statekit/boot"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/testapp"
)

// TestValidateApp checks the whole graph for missing or duplicate providers without starting anything.
func TestValidateApp(t *testing.T) {
	t.Parallel()
	getenv := testapp.Getenv(env(harness.Target{Addrs: []string{"127.0.0.1:1"}, Prefix: harness.NewPrefix()}))
	log := slog.New(slog.DiscardHandler)
	if err := fx.ValidateApp(boot.Options(getenv, log)); err != nil {
		t.Fatalf("fx.ValidateApp(boot.Options): %v", err)
	}
	// The check can fail: a dependency nobody provides is reported.
	type missing struct{}
	if err := fx.ValidateApp(boot.Options(getenv, log), fx.Invoke(func(missing) {})); err == nil {
		t.Error("fx.ValidateApp accepted a graph with a missing provider")
	}
}

// TestOperationalEndpoints covers /healthz, /readyz, /metrics and /openapi.yaml.
func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	a := newApp(t)

	var health struct{ Status string }
	a.Do("GET", "/healthz", testapp.Creds{}, nil).Expect(t, "healthz", http.StatusOK, &health)
	if health.Status != "ok" {
		t.Errorf("healthz = %+v", health)
	}
	var ready struct {
		Status string
		Checks map[string]string
	}
	a.Do("GET", "/readyz", testapp.Creds{}, nil).Expect(t, "readyz", http.StatusOK, &ready)
	if ready.Status != "ready" || ready.Checks["redis"] != "ok" || ready.Checks["events"] != "ok" {
		t.Errorf("readyz = %+v, want ready with redis and events ok", ready)
	}

	a.create("kim", nil)
	// The relay forwards session.created to its topic a moment after the request.
	const published = `statekit_events_published_total{event="session.created",outcome="ok"} 1`
	var r testapp.Response
	eventually(t, 10*time.Second, "session.created relayed", func() bool {
		r = a.Do("GET", "/metrics", testapp.Creds{}, nil)
		return strings.Contains(string(r.Body), published)
	})
	r.Expect(t, "metrics", http.StatusOK, nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("metrics Content-Type = %q, want Prometheus text", ct)
	}
	for _, want := range []string{
		`statekit_http_requests_total{code="201",route="POST /v1/users/{userID}/sessions"} 1`,
		`statekit_http_requests_total{code="200",route="GET /healthz"} 1`,
		"# TYPE statekit_http_request_seconds histogram",
		published,
		"statekit_outbox_relayed_total",
		"statekit_outbox_lag_seconds",
		"go_goroutines",
	} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	r = a.Do("GET", "/openapi.yaml", testapp.Creds{}, nil)
	r.Expect(t, "openapi", http.StatusOK, nil)
	if ct := r.Header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("openapi Content-Type = %q", ct)
	}
	if !bytes.HasPrefix(r.Body, []byte("openapi: 3.1")) {
		t.Errorf("GET /openapi.yaml does not serve the OpenAPI 3.1 document (%d bytes)", len(r.Body))
	}
	for _, path := range []string{"/healthz:", "/v1/session:", "/v1/cart/checkout:", "/v1/semaphores/{pool}:", "/v1/cache/stats:"} {
		if !bytes.Contains(r.Body, []byte("\n  "+path+"\n")) {
			t.Errorf("GET /openapi.yaml lacks the path %s: a module's fragment is not merged", path)
		}
	}

	// Unknown paths and wrong methods answer problem documents too.
	a.Do("GET", "/v1/nothing", testapp.Creds{}, nil).ExpectProblem(t, "unknown path", http.StatusNotFound, "not-found")
	r = a.Do("PUT", "/v1/session", bearer("x"), nil)
	r.ExpectProblem(t, "wrong method", http.StatusMethodNotAllowed, "method-not-allowed")
	if allow := r.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "PATCH") {
		t.Errorf("405 Allow = %q, want GET, PATCH and DELETE", allow)
	}
}

// TestEmbeddedRedis: with no STATEKIT_REDIS_URL statekit runs on its in-process Redis.
func TestEmbeddedRedis(t *testing.T) {
	t.Parallel()
	vars := env(harness.Target{Prefix: harness.NewPrefix(), Addrs: []string{""}})
	vars["STATEKIT_REDIS_URL"] = ""
	created, createdCh := testapp.Subscribe("test.created", "session.created")
	a := start(t, vars, nil, created)

	a.Do("GET", "/healthz", testapp.Creds{}, nil).Expect(t, "healthz", http.StatusOK, nil)
	var ready struct{ Checks map[string]string }
	a.Do("GET", "/readyz", testapp.Creds{}, nil).Expect(t, "readyz", http.StatusOK, &ready)
	if ready.Checks["redis"] != "ok" {
		t.Errorf("readyz checks = %v", ready.Checks)
	}
	s := a.create("lena", nil)
	var cur sessionView
	a.Do("GET", "/v1/session", bearer(s.Token), nil).Expect(t, "GET /v1/session", http.StatusOK, &cur)
	if cur.ID != s.Session.ID || cur.ActivityCount != 1 {
		t.Errorf("GET /v1/session = %+v", cur)
	}
	a.Do("DELETE", "/v1/session", bearer(s.Token), nil).Expect(t, "logout", http.StatusNoContent, nil)
	a.Do("GET", "/v1/session", bearer(s.Token), nil).ExpectProblem(t, "after logout", http.StatusUnauthorized, "")
	if e := testapp.Next(t, createdCh, "session.created on the embedded bus"); e.Name != "session.created" {
		t.Errorf("event = %q", e.Name)
	}
}

// TestRedisDown: when Redis goes away readiness fails and requests answer 503 problems; when it returns
// everything works again without restarting the app.
func TestRedisDown(t *testing.T) {
	t.Parallel()
	srv := harness.NewServer(t)
	vars := env(harness.Target{Prefix: harness.NewPrefix(), Addrs: []string{srv.Addr()}})
	a := start(t, vars, srv.Client(t))

	a.Do("GET", "/readyz", testapp.Creds{}, nil).Expect(t, "readyz before", http.StatusOK, nil)
	s := a.create("mo", nil)

	srv.Stop(t)
	var down testapp.Response
	eventually(t, 5*time.Second, "readyz answers 503", func() bool {
		down = a.Do("GET", "/readyz", testapp.Creds{}, nil)
		return down.Status == http.StatusServiceUnavailable
	})
	down.ExpectProblem(t, "readyz while down", http.StatusServiceUnavailable, "unavailable")
	var body struct{ Checks map[string]string }
	_ = json.Unmarshal(down.Body, &body)
	if body.Checks["redis"] == "ok" || body.Checks["redis"] == "" || body.Checks["events"] != "ok" {
		t.Errorf("readyz checks while down = %v, want redis failing, events ok", body.Checks)
	}

	for _, c := range []struct {
		what, method, path string
		c                  testapp.Creds
		body               any
	}{
		{"create while down", "POST", "/v1/users/mo/sessions", serviceCreds(), map[string]any{}},
		{"authenticate while down", "GET", "/v1/session", bearer(s.Token), nil},
		{"count while down", "GET", "/v1/users/mo/sessions/count", serviceCreds(), nil},
	} {
		began := time.Now()
		a.Do(c.method, c.path, c.c, c.body).ExpectProblem(t, c.what, http.StatusServiceUnavailable, "unavailable")
		// go-redis retries the dial before giving up; the answer must still come in bounded time.
		if d := time.Since(began); d > 5*time.Second {
			t.Errorf("%s: answered after %s, want within 5s", c.what, d)
		}
	}
	a.Do("GET", "/healthz", testapp.Creds{}, nil).Expect(t, "healthz while down", http.StatusOK, nil)

	srv.Start(t)
	eventually(t, 10*time.Second, "readyz recovers", func() bool {
		return a.Do("GET", "/readyz", testapp.Creds{}, nil).Status == http.StatusOK
	})
	s2 := a.create("mo", nil)
	a.Do("GET", "/v1/session", bearer(s2.Token), nil).Expect(t, "session after recovery", http.StatusOK, nil)
}
