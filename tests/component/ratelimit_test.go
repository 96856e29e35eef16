package component

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/testapp"
)

// limitRules are the policies the rate-limit tests boot with: session creation is limited to 3 per hour per
// caller (an exact sliding log, so no window boundary can interfere), anonymous callers to 4 per hour by
// IP, and everyone else to bursts of 5 refilled at 1 per hour.
const limitRules = `login: route="POST /v1/users/{userID}/sessions" sliding_log 3/h
anonymous: kind=ip gcra 1/h burst 4
default: gcra 1/h burst 5`

func limitedApp(t *testing.T, tg harness.Target, extra map[string]string) *app {
	t.Helper()
	vars := env(tg)
	vars["STATEKIT_RATE_LIMITS"] = limitRules
	vars["STATEKIT_RATE_LIMIT_DENIED_SAMPLE"] = "1"
	for k, v := range extra {
		vars[k] = v
	}
	return start(t, vars, tg.Client)
}

// quota reads the RateLimit header: each item's name and r and t parameters.
func quota(t *testing.T, r testapp.Response) map[string][2]int {
	t.Helper()
	out := map[string][2]int{}
	h := r.Header.Get("RateLimit")
	for item := range strings.SplitSeq(h, ",") {
		parts := strings.Split(strings.TrimSpace(item), ";")
		if len(parts) != 3 || !strings.HasPrefix(parts[1], "r=") || !strings.HasPrefix(parts[2], "t=") {
			t.Fatalf("RateLimit %q: item %q is not \"name\";r=<n>;t=<n>", h, item)
		}
		name, _ := strconv.Unquote(parts[0])
		rem, err1 := strconv.Atoi(parts[1][2:])
		reset, err2 := strconv.Atoi(parts[2][2:])
		if err1 != nil || err2 != nil {
			t.Fatalf("RateLimit %q: bad numbers", h)
		}
		out[name] = [2]int{rem, reset}
	}
	return out
}

// TestRateLimitOverHTTP drives the middleware through the whole graph on real Redis: headers on every
// limited answer, 429 with Retry-After past the limit, per-policy and per-caller state, public routes never
// limited, the admin endpoints, metrics and the sampled ratelimit.denied event.
func TestRateLimitOverHTTP(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	denied, deniedCh := testapp.Subscribe("test.ratelimit.denied", "ratelimit.denied")
	vars := env(tg)
	vars["STATEKIT_RATE_LIMITS"] = limitRules
	vars["STATEKIT_RATE_LIMIT_DENIED_SAMPLE"] = "1"
	a := start(t, vars, tg.Client, denied)
	svc := serviceCreds()
	body := map[string]any{}

	// Session creation: 3 per hour for the "shop" key, then 429.
	for i := range 3 {
		r := a.Do("POST", "/v1/users/lena/sessions", svc, body)
		r.Expect(t, "create", http.StatusCreated, nil)
		if p := r.Header.Get("RateLimit-Policy"); p != `"login";q=3;w=3600` {
			t.Errorf("create %d: RateLimit-Policy %q", i, p)
		}
		if q := quota(t, r)["login"]; q[0] != 2-i || q[1] != 3600 {
			t.Errorf("create %d: RateLimit %v, want r=%d t=3600", i, q, 2-i)
		}
	}
	r := a.Do("POST", "/v1/users/lena/sessions", svc, body)
	r.ExpectProblem(t, "fourth create", http.StatusTooManyRequests, "rate-limited")
	retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || retry < 3500 || retry > 3600 {
		t.Errorf("Retry-After %q, want about an hour", r.Header.Get("Retry-After"))
	}
	if q := quota(t, r)["login"]; q[0] != 0 {
		t.Errorf("429 RateLimit %v, want r=0", q)
	}
	if n := a.count("lena"); n != 3 {
		t.Errorf("lena has %d sessions, want 3: the refused create must do nothing", n)
	}

	// The same key under another policy is unaffected (count above took one unit of it).
	r = a.Do("GET", "/v1/users/lena/sessions/count", svc, nil)
	r.Expect(t, "count", http.StatusOK, nil)
	if q := quota(t, r)["default"]; q[0] != 3 {
		t.Errorf("count: RateLimit %v, want 3 left of the default burst of 5", q)
	}

	// A session holder counts as its user, separately from the key that created the session.
	a.Do("DELETE", "/v1/ratelimit/policies/login/callers/key/shop", testapp.Creds{APIKey: testapp.AdminKey}, nil).
		Expect(t, "reset shop", http.StatusNoContent, nil)
	s := a.create("omar", nil)
	r = a.Do("GET", "/v1/session", bearer(s.Token), nil)
	r.Expect(t, "holder", http.StatusOK, nil)
	if q := quota(t, r)["default"]; q[0] != 4 {
		t.Errorf("holder: RateLimit %v, want 4 left of the user's own burst", q)
	}

	// Anonymous callers (and refused credentials) count against their IP: 4, then 429 instead of 401.
	for i := range 4 {
		c := testapp.Creds{}
		if i%2 == 1 {
			c = testapp.Creds{APIKey: "not-a-key-0123456789abcdef"}
		}
		r := a.Do("GET", "/v1/users/lena/sessions/count", c, nil)
		r.ExpectProblem(t, "anonymous", http.StatusUnauthorized, "unauthenticated")
		if q := quota(t, r)["anonymous"]; q[0] != 3-i {
			t.Errorf("anonymous %d: RateLimit %v, want r=%d", i, q, 3-i)
		}
	}
	a.Do("GET", "/v1/users/lena/sessions/count", testapp.Creds{}, nil).
		ExpectProblem(t, "fifth anonymous", http.StatusTooManyRequests, "rate-limited")

	// Public routes are never limited and carry no headers.
	for range 10 {
		r := a.Do("GET", "/healthz", testapp.Creds{}, nil)
		r.Expect(t, "healthz", http.StatusOK, nil)
		if h := r.Header.Get("RateLimit"); h != "" {
			t.Fatalf("healthz carries RateLimit %q", h)
		}
	}

	// Admin: read the anonymous caller's state, reset it, and it is admitted again.
	admin := testapp.Creds{APIKey: testapp.AdminKey}
	var st struct {
		Subject      string `json:"subject"`
		Allowed      bool   `json:"allowed"`
		Remaining    int64  `json:"remaining"`
		RetryAfterMs int64  `json:"retry_after_ms"`
	}
	a.Do("GET", "/v1/ratelimit/policies/anonymous/callers/ip/127.0.0.1", admin, nil).Expect(t, "state", http.StatusOK, &st)
	if st.Subject != "ip.127.0.0.1" || st.Allowed || st.Remaining != 0 || st.RetryAfterMs <= 0 {
		t.Errorf("anonymous state = %+v, want used up with a retry time", st)
	}
	a.Do("DELETE", "/v1/ratelimit/policies/anonymous/callers/ip/127.0.0.1", admin, nil).Expect(t, "reset", http.StatusNoContent, nil)
	a.Do("GET", "/v1/users/lena/sessions/count", testapp.Creds{}, nil).ExpectProblem(t, "anonymous after reset", http.StatusUnauthorized, "unauthenticated")
	var list struct {
		Policies []struct{ Name string } `json:"policies"`
	}
	a.Do("GET", "/v1/ratelimit/policies", admin, nil).Expect(t, "policies", http.StatusOK, &list)
	if len(list.Policies) != 3 || list.Policies[0].Name != "login" || list.Policies[2].Name != "default" {
		t.Errorf("policies = %+v", list.Policies)
	}

	// The denials were counted and published (sample 1).
	e := testapp.Next(t, deniedCh, "ratelimit.denied")
	var ev ratelimit.Denied
	if err := json.Unmarshal(e.Payload, &ev); err != nil || e.Name != "ratelimit.denied" || ev.Policy == "" || ev.SampleRate != 1 {
		t.Errorf("event %s %+v, %v", e.Name, ev, err)
	}
	metrics := string(a.Do("GET", "/metrics", testapp.Creds{}, nil).Body)
	for _, want := range []string{
		`statekit_ratelimit_decisions_total{outcome="denied",policy="login"} 1`,
		`statekit_ratelimit_decisions_total{outcome="allowed",policy="login"} 4`,
		"statekit_ratelimit_batch_size_count",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestRateLimitWhenRedisIsDown: with Redis stopped, a fail-open policy admits (without quota headers) and
// a fail-closed one answers 503 with Retry-After, each within the decision timeout; when Redis returns,
// limiting resumes without a restart. The route used, listing the policies, needs no Redis itself.
func TestRateLimitWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	srv := harness.NewServer(t)
	tg := harness.Target{Client: srv.Client(t), Prefix: harness.NewPrefix(), Addrs: []string{srv.Addr()}}
	open := limitedApp(t, tg, map[string]string{"STATEKIT_RATE_LIMITS": "default: gcra 100/s"})
	closed := limitedApp(t, tg, map[string]string{"STATEKIT_RATE_LIMITS": "default: gcra 100/s fail=closed"})
	admin := testapp.Creds{APIKey: testapp.AdminKey}
	for _, a := range []*app{open, closed} {
		r := a.Do("GET", "/v1/ratelimit/policies", admin, nil)
		r.Expect(t, "policies while up", http.StatusOK, nil)
		if r.Header.Get("RateLimit") == "" {
			t.Error("no RateLimit header while Redis is up")
		}
	}

	srv.Stop(t)
	for i := range 5 {
		began := time.Now()
		r := open.Do("GET", "/v1/ratelimit/policies", admin, nil)
		r.Expect(t, "fail open", http.StatusOK, nil)
		if h := r.Header.Get("RateLimit"); h != "" {
			t.Errorf("fail open %d: RateLimit %q, want none (the quota is unknown)", i, h)
		}
		r = closed.Do("GET", "/v1/ratelimit/policies", admin, nil)
		r.ExpectProblem(t, "fail closed", http.StatusServiceUnavailable, "unavailable")
		if ra := r.Header.Get("Retry-After"); ra != "1" {
			t.Errorf("fail closed %d: Retry-After %q, want 1", i, ra)
		}
		// A bound, not a speed claim: the 100ms decision timeout, far from go-redis's seconds of retries.
		if d := time.Since(began); d > 3*time.Second {
			t.Errorf("two requests with Redis down took %s", d)
		}
	}
	metrics := string(open.Do("GET", "/metrics", testapp.Creds{}, nil).Body)
	if !strings.Contains(metrics, `statekit_ratelimit_decisions_total{outcome="failed_open",policy="default"} 5`) ||
		!strings.Contains(metrics, `statekit_ratelimit_store_errors_total{policy="default"} 5`) {
		t.Errorf("metrics lack 5 failed_open decisions and store errors")
	}

	srv.Start(t)
	for _, a := range []*app{open, closed} {
		eventually(t, 10*time.Second, "limiting resumes", func() bool {
			r := a.Do("GET", "/v1/ratelimit/policies", admin, nil)
			return r.Status == http.StatusOK && r.Header.Get("RateLimit") != ""
		})
	}
}

// TestGuestCartsAreThrottledByAddress: guest-cart routes need no credential, yet each one creates or
// reserves state, so they count against the caller's address like any anonymous request; probes do not.
func TestGuestCartsAreThrottledByAddress(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	a := limitedApp(t, tg, nil)
	var guest struct {
		Token string `json:"token"`
	}
	for i := range 4 {
		r := a.Do("POST", "/v1/guest-carts", testapp.Creds{}, nil)
		r.Expect(t, "guest cart", http.StatusCreated, &guest)
		if q := quota(t, r)["anonymous"]; q[0] != 3-i {
			t.Errorf("guest cart %d: RateLimit %v, want r=%d", i, q, 3-i)
		}
	}
	a.Do("POST", "/v1/guest-carts", testapp.Creds{}, nil).
		ExpectProblem(t, "fifth guest cart", http.StatusTooManyRequests, "rate-limited")
	// The same address's quota covers the other guest routes, token or not.
	r := a.doWithHeaders("GET", "/v1/guest-cart", map[string]string{"X-Cart-Token": guest.Token}, nil)
	r.ExpectProblem(t, "guest cart read", http.StatusTooManyRequests, "rate-limited")
	a.Do("GET", "/healthz", testapp.Creds{}, nil).Expect(t, "healthz", http.StatusOK, nil)
}
