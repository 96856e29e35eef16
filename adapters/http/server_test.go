package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/domain/auth"
)

const (
	testSessionsKey = "sessions-only-0123456789abcdef"
	testAdminKey    = "admin-only-0123456789abcdefghi"
)

// testServer is a server with one route per access rule, a route that panics, one that fails with an error
// the problem table does not know, and one that decodes its body.
func testServer(t *testing.T, resolve httpapi.TokenResolver) http.Handler {
	t.Helper()
	cfg := httpapi.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.MaxBodyBytes = 1024
	cfg.APIKeys = []httpapi.APIKey{
		{Name: "shop", Hash: sha256.Sum256([]byte(testSessionsKey)), Scopes: []auth.Scope{auth.Scope("sessions")}},
		{Name: "ops", Hash: sha256.Sum256([]byte(testAdminKey)), Scopes: []auth.Scope{auth.ScopeAdmin}},
	}
	who := func(w http.ResponseWriter, r *http.Request) error {
		p, _ := auth.FromContext(r.Context())
		return httpapi.JSON(w, http.StatusOK, map[string]string{"kind": string(p.Kind), "name": p.Name})
	}
	routes := []httpapi.Route{
		{Pattern: "GET /public", Access: httpapi.Access{Public: true}, Handle: who},
		{Pattern: "GET /user", Access: httpapi.Access{User: true}, Handle: who},
		{Pattern: "GET /sessions", Access: httpapi.Access{Scope: auth.Scope("sessions")}, Handle: who},
		{Pattern: "GET /admin", Access: httpapi.Access{Scope: auth.ScopeAdmin}, Handle: who},
		{Pattern: "GET /panic", Access: httpapi.Access{Public: true}, Handle: func(http.ResponseWriter, *http.Request) error {
			panic("boom")
		}},
		{Pattern: "GET /fail", Access: httpapi.Access{Public: true}, Handle: func(http.ResponseWriter, *http.Request) error {
			return errors.New("secret internal detail")
		}},
		{Pattern: "POST /decode", Access: httpapi.Access{Public: true}, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var v struct {
				Name string `json:"name"`
			}
			if err := httpapi.Decode(r, &v); err != nil {
				return err
			}
			return httpapi.JSON(w, http.StatusOK, v)
		}},
	}
	srv, err := httpapi.NewServer(cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), resolve, nil, routes)
	if err != nil {
		t.Fatal(err)
	}
	return srv.Handler()
}

// fakeResolver accepts the token "good" as user u1 and refuses everything else as unauthenticated.
func fakeResolver(_ context.Context, token string) (auth.Principal, error) {
	if token == "good" {
		return auth.Principal{Kind: auth.KindUser, Name: "u1", SessionID: "s1"}, nil
	}
	return auth.Principal{}, auth.ErrUnauthenticated
}

type result struct {
	status int
	header http.Header
	body   string
}

func serve(h http.Handler, method, path string, header map[string]string, body string) result {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return result{rec.Code, rec.Header(), rec.Body.String()}
}

// problemOf decodes a problem document, failing the test unless the response is one with the status.
func problemOf(t *testing.T, what string, r result, status int) httpapi.Problem {
	t.Helper()
	var p httpapi.Problem
	if r.status != status {
		t.Errorf("%s: status %d, want %d; body %s", what, r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q, want application/problem+json", what, ct)
	}
	if err := json.Unmarshal([]byte(r.body), &p); err != nil || p.Status != r.status || p.Type == "" || p.Title == "" {
		t.Errorf("%s: problem %s (%v)", what, r.body, err)
	}
	return p
}

func TestAccess(t *testing.T) {
	t.Parallel()
	h := testServer(t, fakeResolver)
	key := func(k string) map[string]string { return map[string]string{"X-API-Key": k} }
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	cases := []struct {
		name, path string
		header     map[string]string
		status     int
		who        string
	}{
		{"public without credential", "/public", nil, 200, ":"},
		{"public ignores credentials", "/public", key("nope"), 200, ":"},
		{"sessions key, sessions route", "/sessions", key(testSessionsKey), 200, "service:shop"},
		{"sessions key, admin route", "/admin", key(testSessionsKey), 403, ""},
		{"admin key, admin route", "/admin", key(testAdminKey), 200, "service:ops"},
		{"admin key implies sessions", "/sessions", key(testAdminKey), 200, "service:ops"},
		{"admin key, user route", "/user", key(testAdminKey), 403, ""},
		{"user token, user route", "/user", bearer("good"), 200, "user:u1"},
		{"user cookie, user route", "/user", map[string]string{"Cookie": httpapi.SessionCookie + "=good"}, 200, "user:u1"},
		{"user token, sessions route", "/sessions", bearer("good"), 403, ""},
		{"user token, admin route", "/admin", bearer("good"), 403, ""},
		{"no credential, user route", "/user", nil, 401, ""},
		{"no credential, scope route", "/sessions", nil, 401, ""},
		{"unknown key", "/sessions", key("not-a-key"), 401, ""},
		{"unknown key beside a good token", "/user", map[string]string{"X-API-Key": "x", "Authorization": "Bearer good"}, 401, ""},
		{"refused token", "/user", bearer("bad"), 401, ""},
		{"Basic auth", "/user", map[string]string{"Authorization": "Basic dTpw"}, 401, ""},
		{"Bearer without token", "/user", map[string]string{"Authorization": "Bearer"}, 401, ""},
		{"bad token beside a good cookie", "/user", map[string]string{"Authorization": "Bearer bad", "Cookie": httpapi.SessionCookie + "=good"}, 401, ""},
	}
	for _, c := range cases {
		r := serve(h, "GET", c.path, c.header, "")
		if c.status == http.StatusOK {
			var got struct{ Kind, Name string }
			_ = json.Unmarshal([]byte(r.body), &got)
			if r.status != 200 || got.Kind+":"+got.Name != c.who {
				t.Errorf("%s: %d %s, want 200 as %s", c.name, r.status, r.body, c.who)
			}
			continue
		}
		problemOf(t, c.name, r, c.status)
		if c.status == http.StatusUnauthorized && r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", c.name)
		}
	}

	// Without a token resolver, session tokens are refused rather than ignored.
	r := serve(testServer(t, nil), "GET", "/user", bearer("good"), "")
	problemOf(t, "no resolver", r, http.StatusUnauthorized)
}

func TestFailuresAreProblems(t *testing.T) {
	t.Parallel()
	h := testServer(t, fakeResolver)

	r := serve(h, "GET", "/panic", map[string]string{"X-Request-ID": "req-panic-0001"}, "")
	p := problemOf(t, "panic", r, http.StatusInternalServerError)
	if p.RequestID != "req-panic-0001" || p.Type != httpapi.ProblemTypeBase+"internal" {
		t.Errorf("panic problem = %+v", p)
	}
	r = serve(h, "GET", "/fail", nil, "")
	p = problemOf(t, "unknown error", r, http.StatusInternalServerError)
	if strings.Contains(r.body, "secret") || p.Detail != "" {
		t.Errorf("an unknown error's detail reached the caller: %s", r.body)
	}
	problemOf(t, "unknown path", serve(h, "GET", "/nothing", nil, ""), http.StatusNotFound)
	r = serve(h, "DELETE", "/public", nil, "")
	problemOf(t, "wrong method", r, http.StatusMethodNotAllowed)
	if !strings.Contains(r.header.Get("Allow"), "GET") {
		t.Errorf("405 Allow = %q", r.header.Get("Allow"))
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	h := testServer(t, fakeResolver)
	for _, c := range []struct {
		sent string
		kept bool
	}{
		{"abcdefgh", true}, {"req_1.2-3", true}, {"short", false}, {"has space in it", false},
		{"x:{y}*zzzzzz", false}, {strings.Repeat("a", 65), false}, {"", false},
	} {
		r := serve(h, "GET", "/public", map[string]string{"X-Request-ID": c.sent}, "")
		got := r.header.Get("X-Request-ID")
		if c.kept && got != c.sent || !c.kept && (got == c.sent || len(got) < 8) {
			t.Errorf("X-Request-ID %q answered %q (kept %v)", c.sent, got, c.kept)
		}
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	h := testServer(t, fakeResolver)
	for _, c := range []struct {
		name, body string
		status     int
	}{
		{"object", `{"name":"x"}`, 200},
		{"object with spaces", " \n{\"name\":\"x\"}\n ", 200},
		{"empty object", `{}`, 200},
		{"empty body", ``, 400},
		{"only spaces", `   `, 400},
		{"null", `null`, 400},
		{" null with spaces", "  null  ", 400},
		{"array", `[{"name":"x"}]`, 400},
		{"number", `5`, 400},
		{"string", `"x"`, 400},
		{"malformed", `{"name":`, 400},
		{"wrong type", `{"name":5}`, 400},
		{"unknown field", `{"name":"x","other":1}`, 400},
		{"trailing object", `{"name":"x"}{}`, 400},
		{"trailing garbage", `{"name":"x"} x`, 400},
		{"over the limit", `{"name":"` + strings.Repeat("x", 2000) + `"}`, 413},
		{"over the limit after the object", `{"name":"x"}` + strings.Repeat(" ", 2000), 413},
	} {
		r := serve(h, "POST", "/decode", nil, c.body)
		if c.status == 200 {
			if r.status != 200 {
				t.Errorf("%s: %d %s, want 200", c.name, r.status, r.body)
			}
			continue
		}
		problemOf(t, c.name, r, c.status)
	}
}

func TestNewServerRefusesRoutesWithoutAccess(t *testing.T) {
	t.Parallel()
	cfg := httpapi.DefaultConfig()
	ok := func(http.ResponseWriter, *http.Request) error { return nil }
	for _, rt := range []httpapi.Route{
		{Pattern: "GET /x", Handle: ok},
		{Pattern: "GET /x", Access: httpapi.Access{Public: true}},
	} {
		if _, err := httpapi.NewServer(cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil, nil, []httpapi.Route{rt}); err == nil {
			t.Errorf("NewServer accepted %+v", rt)
		}
	}
}
