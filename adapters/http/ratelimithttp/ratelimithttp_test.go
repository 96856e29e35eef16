package ratelimithttp_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/prometheus/client_golang/prometheus"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/adapters/http/ratelimithttp"
	"github.com/statekit/statekit/app/ratelimitapp"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/ports/mocks"
)

const (
	adminKey = "ops-secret-0123456789abcdefgh"
	shopKey  = "shop-secret-0123456789abcdef"
	rules    = `login: route="POST /v1/login" fixed_window 10/s + fixed_window 1000/h fail=closed
anonymous: kind=ip gcra 10/s burst 20
default: gcra 200/s burst 400`
)

type fixture struct {
	limiter *mocks.MockRateLimiter
	h       http.Handler
	rules   ratelimit.Rules
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	rs, err := ratelimit.ParseRules(rules)
	if err != nil {
		t.Fatal(err)
	}
	limiter := mocks.NewMockRateLimiter(ctrl)
	metrics := mocks.NewMockRateLimitMetrics(ctrl)
	metrics.EXPECT().Decided(gomock.Any(), gomock.Any()).AnyTimes()
	metrics.EXPECT().StoreFailed(gomock.Any()).AnyTimes()
	svc, err := ratelimitapp.NewService(limiter, mocks.NewMockEventPublisher(ctrl), metrics,
		ratelimitapp.Config{Rules: rs, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hs := ratelimithttp.New(svc)
	cfg := httpapi.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.APIKeys = []httpapi.APIKey{
		{Name: "ops", Hash: sha256.Sum256([]byte(adminKey)), Scopes: []auth.Scope{auth.ScopeAdmin}},
		{Name: "shop", Hash: sha256.Sum256([]byte(shopKey)), Scopes: []auth.Scope{auth.Scope("sessions")}},
	}
	ok := func(w http.ResponseWriter, r *http.Request) error {
		return httpapi.JSON(w, http.StatusOK, map[string]string{})
	}
	routes := append(hs.Routes(),
		httpapi.Route{Pattern: "POST /v1/login", Access: httpapi.Access{Scope: auth.Scope("sessions")}, Handle: ok},
		httpapi.Route{Pattern: "GET /v1/thing", Access: httpapi.Access{Scope: auth.Scope("sessions")}, Handle: ok})
	srv, err := httpapi.NewServer(cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil, nil, routes,
		httpapi.WithLimiter(hs.Limiter()), httpapi.WithProblems(ratelimithttp.Problems))
	if err != nil {
		t.Fatal(err)
	}
	return fixture{limiter: limiter, h: srv.Handler(), rules: rs}
}

func (f fixture) policy(name string) ratelimit.Policy {
	p, _ := f.rules.Lookup(name)
	return p
}

func (f fixture) do(method, path, key string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = "203.0.113.9:5555"
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func tier(l ratelimit.Limit, allowed bool, remaining int64, reset, retry time.Duration) ratelimit.TierResult {
	return ratelimit.TierResult{Limit: l, Allowed: allowed, Remaining: remaining, ResetAfter: reset, RetryAfter: retry}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	def := f.policy("default")
	f.limiter.EXPECT().Allow(gomock.Any(), def, "key.shop", int64(1)).
		Return(ratelimit.Summarize([]ratelimit.TierResult{tier(def.Tiers[0], true, 398, 10*time.Millisecond, 0)}), nil)
	rec := f.do("GET", "/v1/thing", shopKey)
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	// gcra 200/s burst 400: 400 units per 2 s; 398 left, whole again in 10ms (rounded up to 1 s).
	if p, s := rec.Header().Get("RateLimit-Policy"), rec.Header().Get("RateLimit"); p != `"default";q=400;w=2` || s != `"default";r=398;t=1` {
		t.Errorf("headers RateLimit-Policy %q, RateLimit %q", p, s)
	}
	if ra := rec.Header().Get("Retry-After"); ra != "" {
		t.Errorf("Retry-After %q on an admitted request", ra)
	}

	login := f.policy("login")
	f.limiter.EXPECT().Allow(gomock.Any(), login, "key.shop", int64(1)).
		Return(ratelimit.Summarize([]ratelimit.TierResult{
			tier(login.Tiers[0], true, 9, time.Second, 0), tier(login.Tiers[1], true, 990, 40*time.Minute, 0)}), nil)
	rec = f.do("POST", "/v1/login", shopKey)
	if p, s := rec.Header().Get("RateLimit-Policy"), rec.Header().Get("RateLimit"); p != `"login.1";q=10;w=1, "login.2";q=1000;w=3600` ||
		s != `"login.1";r=9;t=1, "login.2";r=990;t=2400` {
		t.Errorf("multi-tier headers RateLimit-Policy %q, RateLimit %q", p, s)
	}
}

func TestTooManyRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	anon := f.policy("anonymous")
	f.limiter.EXPECT().Allow(gomock.Any(), anon, "ip.203.0.113.9", int64(1)).
		Return(ratelimit.Summarize([]ratelimit.TierResult{tier(anon.Tiers[0], false, 0, 2*time.Second, 1500*time.Millisecond)}), nil)
	rec := f.do("GET", "/v1/thing", "")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d %s: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	var p httpapi.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Type != httpapi.ProblemTypeBase+"rate-limited" || p.Status != 429 {
		t.Errorf("problem %+v, %v", p, err)
	}
	if ra := rec.Header().Get("Retry-After"); ra != "2" { // 1.5 s rounded up
		t.Errorf("Retry-After %q, want 2", ra)
	}
	if s := rec.Header().Get("RateLimit"); s != `"anonymous";r=0;t=2` {
		t.Errorf("RateLimit %q", s)
	}
}

func TestStoreUnreachable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	down := func(ctx context.Context, _ ratelimit.Policy, _ string, _ int64) (ratelimit.Result, error) {
		return ratelimit.Result{}, ports.ErrUnavailable
	}
	// fail=open (default): admitted, without quota headers.
	f.limiter.EXPECT().Allow(gomock.Any(), f.policy("default"), "key.shop", int64(1)).DoAndReturn(down)
	rec := f.do("GET", "/v1/thing", shopKey)
	if rec.Code != 200 || rec.Header().Get("RateLimit") != "" {
		t.Errorf("fail open: status %d, RateLimit %q; want 200 without headers", rec.Code, rec.Header().Get("RateLimit"))
	}
	// fail=closed: 503 with Retry-After.
	f.limiter.EXPECT().Allow(gomock.Any(), f.policy("login"), "key.shop", int64(1)).DoAndReturn(down)
	rec = f.do("POST", "/v1/login", shopKey)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("fail closed: status %d, Retry-After %q; want 503 and 1", rec.Code, rec.Header().Get("Retry-After"))
	}
}

func TestCallerOf(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		remote  string
		p       *auth.Principal
		subject string
	}{
		{"203.0.113.9:443", nil, "ip.203.0.113.9"},
		{"[2001:db8:1:2:3:4:5:6]:443", nil, "ip.2001-db8-1-2--/64"},
		{"[::ffff:198.51.100.1]:80", nil, "ip.198.51.100.1"},
		{"not an address", nil, "ip.unknown"},
		{"203.0.113.9:443", &auth.Principal{Kind: auth.KindService, Name: "shop"}, "key.shop"},
		{"203.0.113.9:443", &auth.Principal{Kind: auth.KindUser, Name: "alice"}, "user.alice"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.p != nil {
			r = r.WithContext(auth.WithPrincipal(r.Context(), *c.p))
		}
		if got := ratelimithttp.CallerOf(r).Subject(); got != c.subject {
			t.Errorf("CallerOf(%s, %v) = %q, want %q", c.remote, c.p, got, c.subject)
		}
	}
}

func TestAdmin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.policy("default")
	// Admin requests are limited like any other (as key.ops under the default policy).
	f.limiter.EXPECT().Allow(gomock.Any(), admin, "key.ops", int64(1)).Return(ratelimit.Result{Allowed: true}, nil).AnyTimes()

	rec := f.do("GET", "/v1/ratelimit/policies", adminKey)
	var list struct{ Policies []ratelimithttp.PolicyView }
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || rec.Code != 200 || len(list.Policies) != 3 {
		t.Fatalf("policies: %d %s", rec.Code, rec.Body)
	}
	login := list.Policies[0]
	if login.Name != "login" || login.Fail != "closed" || len(login.Tiers) != 2 || login.Routes[0] != "POST /v1/login" ||
		login.Tiers[1].Quota != 1000 || login.Tiers[1].WindowMs != 3600000 || !list.Policies[2].Default {
		t.Errorf("policies = %+v", list.Policies)
	}

	anon := f.policy("anonymous")
	f.limiter.EXPECT().Peek(gomock.Any(), anon, "ip.2001-db8--/64").Return(ratelimit.Summarize([]ratelimit.TierResult{
		tier(anon.Tiers[0], false, 0, 2*time.Second, 100*time.Millisecond)}), nil)
	rec = f.do("GET", "/v1/ratelimit/policies/anonymous/callers/ip/2001:db8::1", adminKey)
	var st ratelimithttp.StateView
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || rec.Code != 200 {
		t.Fatalf("state: %d %s", rec.Code, rec.Body)
	}
	if st.Subject != "ip.2001-db8--/64" || st.Allowed || st.RetryAfterMs != 100 || st.ResetAfterMs != 2000 || st.Limit != 20 || len(st.Tiers) != 1 {
		t.Errorf("state = %+v", st)
	}

	f.limiter.EXPECT().Reset(gomock.Any(), f.policy("login"), "user.alice").Return(nil)
	if rec = f.do("DELETE", "/v1/ratelimit/policies/login/callers/user/alice", adminKey); rec.Code != http.StatusNoContent {
		t.Errorf("reset: %d %s", rec.Code, rec.Body)
	}

	for _, c := range []struct {
		method, path, key string
		status            int
		slug              string
	}{
		{"GET", "/v1/ratelimit/policies/nope/callers/user/alice", adminKey, 404, "rate-limit-policy-not-found"},
		{"DELETE", "/v1/ratelimit/policies/nope/callers/user/alice", adminKey, 404, "rate-limit-policy-not-found"},
		{"GET", "/v1/ratelimit/policies/login/callers/robot/r2", adminKey, 422, "invalid-rate-limit-input"},
		{"GET", "/v1/ratelimit/policies/login/callers/user/a:b", adminKey, 422, "invalid-rate-limit-input"},
		{"DELETE", "/v1/ratelimit/policies/login/callers/user/%7Bx%7D", adminKey, 422, "invalid-rate-limit-input"},
		{"GET", "/v1/ratelimit/policies/login/callers/ip/999.1.1.1", adminKey, 422, "invalid-rate-limit-input"},
		{"GET", "/v1/ratelimit/policies/Login*/callers/user/alice", adminKey, 422, "invalid-rate-limit-input"},
		{"GET", "/v1/ratelimit/policies", shopKey, 403, "forbidden"},
		{"DELETE", "/v1/ratelimit/policies/login/callers/user/alice", shopKey, 403, "forbidden"},
	} {
		if c.key == shopKey {
			f.limiter.EXPECT().Allow(gomock.Any(), admin, "key.shop", int64(1)).Return(ratelimit.Result{Allowed: true}, nil)
		}
		rec := f.do(c.method, c.path, c.key)
		var p httpapi.Problem
		_ = json.Unmarshal(rec.Body.Bytes(), &p)
		if rec.Code != c.status || !strings.HasSuffix(p.Type, "/"+c.slug) {
			t.Errorf("%s %s: %d %s, want %d %s", c.method, c.path, rec.Code, rec.Body, c.status, c.slug)
		}
	}
}
