package httpapi_test

import (
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/domain/auth"
)

// seen is one call of the limiting hook.
type seen struct {
	route, who string
}

// TestLimiterHook: the hook runs for every non-public route, after authentication (the principal is in the
// context; a refused credential leaves none) and before authorization; it may set headers on the answer,
// and its error stops the request as a problem document. Public routes never reach it.
func TestLimiterHook(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		calls []seen
	)
	errStop := errors.New("stop")
	limit := func(w http.ResponseWriter, r *http.Request, route string) error {
		who := "anonymous"
		if p, ok := auth.FromContext(r.Context()); ok {
			who = string(p.Kind) + ":" + p.Name
		}
		mu.Lock()
		calls = append(calls, seen{route, who})
		mu.Unlock()
		w.Header().Set("RateLimit", `"t";r=1;t=1`)
		if r.Header.Get("X-Stop") != "" {
			return errStop
		}
		return nil
	}
	cfg := httpapi.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.APIKeys = []httpapi.APIKey{{Name: "shop", Hash: sha256.Sum256([]byte(testSessionsKey)), Scopes: []auth.Scope{auth.Scope("sessions")}}}
	ok := func(w http.ResponseWriter, r *http.Request) error {
		return httpapi.JSON(w, http.StatusOK, map[string]string{})
	}
	routes := []httpapi.Route{
		{Pattern: "GET /public", Access: httpapi.Access{Public: true}, Handle: ok},
		{Pattern: "GET /guest", Access: httpapi.Access{Public: true, Throttled: true}, Handle: ok},
		{Pattern: "GET /things/{id}", Access: httpapi.Access{Scope: auth.Scope("sessions")}, Handle: ok},
		{Pattern: "GET /admin", Access: httpapi.Access{Scope: auth.ScopeAdmin}, Handle: ok},
	}
	srv, err := httpapi.NewServer(cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), fakeResolver, nil, routes,
		httpapi.WithLimiter(limit))
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	key := map[string]string{"X-API-Key": testSessionsKey}
	for _, c := range []struct {
		name, path string
		header     map[string]string
		status     int
		call       *seen
	}{
		{"public", "/public", nil, 200, nil},
		{"throttled public", "/guest", nil, 200, &seen{"GET /guest", "anonymous"}},
		{"throttled public stopped by the hook", "/guest", map[string]string{"X-Stop": "1"}, 500, &seen{"GET /guest", "anonymous"}},
		{"healthz", "/healthz", nil, 200, nil},
		{"metrics", "/metrics", nil, 200, nil},
		{"keyed", "/things/7", key, 200, &seen{"GET /things/{id}", "service:shop"}},
		{"user token", "/things/7", map[string]string{"Authorization": "Bearer good"}, 403, &seen{"GET /things/{id}", "user:u1"}},
		{"no credential", "/things/7", nil, 401, &seen{"GET /things/{id}", "anonymous"}},
		{"refused credential", "/things/7", map[string]string{"X-API-Key": "wrong"}, 401, &seen{"GET /things/{id}", "anonymous"}},
		{"forbidden scope", "/admin", key, 403, &seen{"GET /admin", "service:shop"}},
		{"stopped by the hook", "/things/7", map[string]string{"X-API-Key": testSessionsKey, "X-Stop": "1"}, 500, &seen{"GET /things/{id}", "service:shop"}},
	} {
		mu.Lock()
		calls = nil
		mu.Unlock()
		r := serve(h, "GET", c.path, c.header, "")
		if r.status != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, r.status, c.status, r.body)
		}
		mu.Lock()
		got := calls
		mu.Unlock()
		switch {
		case c.call == nil && len(got) != 0:
			t.Errorf("%s: the hook ran (%v) for a public route", c.name, got)
		case c.call != nil && (len(got) != 1 || got[0] != *c.call):
			t.Errorf("%s: hook calls %v, want one %v", c.name, got, *c.call)
		case c.call != nil && r.header.Get("RateLimit") == "":
			t.Errorf("%s: the hook's header is missing from the answer", c.name)
		}
		if c.status >= 400 {
			problemOf(t, c.name, r, c.status)
		}
	}
}
