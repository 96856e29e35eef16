package component

import (
	"net/http"
	"testing"

	"github.com/statekit/statekit/tests/testapp"
)

// TestAuth checks who may call what: service keys by scope, session holders by token.
func TestAuth(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	s := a.create("hana", nil)
	create := "/v1/users/hana/sessions"

	cases := []struct {
		name, method, path string
		c                  testapp.Creds
		status             int
		slug               string
	}{
		{"no credential on a service route", "GET", create, testapp.Creds{}, http.StatusUnauthorized, "unauthenticated"},
		{"no credential on a holder route", "GET", "/v1/session", testapp.Creds{}, http.StatusUnauthorized, "unauthenticated"},
		{"unknown API key", "GET", create, testapp.Creds{APIKey: "not-a-key-0123456789abcdefgh"}, http.StatusUnauthorized, "unauthenticated"},
		{"unknown API key wins over a good token", "GET", "/v1/session", testapp.Creds{APIKey: "nope", Bearer: s.Token}, http.StatusUnauthorized, "unauthenticated"},
		{"session token on a service route", "GET", create, bearer(s.Token), http.StatusForbidden, "forbidden"},
		{"session cookie on a service route", "DELETE", create, testapp.Creds{Cookie: s.Token}, http.StatusForbidden, "forbidden"},
		{"service key on a holder route", "GET", "/v1/session", serviceCreds(), http.StatusForbidden, "forbidden"},
		{"admin key on a holder route", "DELETE", "/v1/sessions", testapp.Creds{APIKey: testapp.AdminKey}, http.StatusForbidden, "forbidden"},
		{"malformed token", "GET", "/v1/session", bearer("garbage"), http.StatusUnauthorized, "invalid-session-token"},
		{"well-formed unknown token", "GET", "/v1/session", bearer("0000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), http.StatusUnauthorized, "unauthenticated"},
		{"malformed cookie", "GET", "/v1/session", testapp.Creds{Cookie: "x:{y}*"}, http.StatusUnauthorized, "invalid-session-token"},
	}
	for _, c := range cases {
		r := a.Do(c.method, c.path, c.c, nil)
		p := r.ExpectProblem(t, c.name, c.status, c.slug)
		if c.status == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", c.name)
		}
		if p.RequestID == "" || p.RequestID != r.Header.Get("X-Request-ID") {
			t.Errorf("%s: problem request_id %q, X-Request-ID %q", c.name, p.RequestID, r.Header.Get("X-Request-ID"))
		}
	}

	// Authorization must be "Bearer <token>".
	for _, h := range []string{"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", s.Token} {
		req, _ := http.NewRequest("GET", a.Base+"/v1/session", nil)
		req.Header.Set("Authorization", h)
		resp, err := a.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401", h, resp.StatusCode)
		}
	}

	// The admin scope implies sessions; the sessions key works too.
	var out issued
	a.Do("POST", create, testapp.Creds{APIKey: testapp.AdminKey}, map[string]any{}).Expect(t, "admin key creates", http.StatusCreated, &out)
	a.Do("GET", create, serviceCreds(), nil).Expect(t, "sessions key lists", http.StatusOK, nil)
	// The token is accepted as "bearer" in any case.
	req, _ := http.NewRequest("GET", a.Base+"/v1/session", nil)
	req.Header.Set("Authorization", "bearer "+out.Token)
	resp, err := a.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("lowercase bearer: status %d, want 200", resp.StatusCode)
	}
	// The failed attempts changed nothing.
	if n := a.count("hana"); n != 2 {
		t.Errorf("count = %d, want 2", n)
	}
}
