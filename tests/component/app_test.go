package component

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/cmd/statekit/boot"
	"github.com/statekit/statekit/tests/harness"
)

// The service keys every app is configured with: one holding the "sessions" scope, one holding only
// "admin" (which implies every scope).
const (
	sessionsKey = "shop-secret-0123456789abcdef"
	adminKey    = "ops-secret-0123456789abcdefgh"
)

// app is one running statekit: the whole fx graph, served on a loopback port.
type app struct {
	t      *testing.T
	base   string                // "http://127.0.0.1:port"
	prefix string                // its key prefix
	redis  redis.UniversalClient // a client on its Redis, for looking at keys; nil in embedded mode
	http   *http.Client
}

// env is the environment of an app on the shared standalone Redis with its own prefix; tests override
// entries before calling start.
func env(tg harness.Target) map[string]string {
	return map[string]string{
		"STATEKIT_REDIS_URL":     "redis://" + tg.Addrs[0],
		"STATEKIT_KEY_PREFIX":    tg.Prefix,
		"STATEKIT_HTTP_ADDR":     "127.0.0.1:0",
		"STATEKIT_API_KEYS":      "shop:" + sessionsKey + ":sessions,ops:" + adminKey + ":admin",
		"STATEKIT_COOKIE_SECURE": "false",
		"STATEKIT_LOG_LEVEL":     "warn",
		// Rate limiting is off here so no module's test is throttled (nor sees the limiter's keys in its
		// snapshots); ratelimit_test.go turns it on with its own policies.
		"STATEKIT_RATE_LIMITS": "off",
	}
}

// config loads the configuration from vars exactly as main does from the process environment.
func config(t *testing.T, vars map[string]string) boot.Config {
	t.Helper()
	cfg, err := boot.Load(func(name string) string { return vars[name] })
	if err != nil {
		t.Fatalf("boot.Load: %v", err)
	}
	return cfg
}

// newApp starts the shared standalone Redis target's app with the default environment.
func newApp(t *testing.T, extra ...fx.Option) *app {
	t.Helper()
	tg := harness.Standalone(t)
	return start(t, env(tg), tg.Client, extra...)
}

// start boots boot.Options with the configuration read from vars (plus extra options), starts it and stops
// it when the test ends. rc, when not nil, is a client on the same Redis for inspecting keys.
func start(t *testing.T, vars map[string]string, rc redis.UniversalClient, extra ...fx.Option) *app {
	t.Helper()
	cfg := config(t, vars)
	var srv *httpapi.Server
	opts := append([]fx.Option{boot.Options(cfg, testLogger(t)), fx.Populate(&srv)}, extra...)
	fxApp := fxtest.New(t, opts...)
	fxApp.RequireStart()
	t.Cleanup(fxApp.RequireStop)
	return &app{t: t, base: "http://" + srv.Addr().String(), prefix: cfg.Redis.KeyPrefix, redis: rc,
		http: &http.Client{Timeout: 10 * time.Second, CheckRedirect: noRedirects}}
}

// noRedirects hands a redirect back to the test instead of following it.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// testLogger logs warnings and errors through t.Log, and drops whatever arrives after the test ended
// (background goroutines may still log while the app stops).
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.close) // registered before the app's stop, so it runs after it
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	mu     sync.Mutex
	t      *testing.T
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

// creds is what a request presents.
type creds struct {
	apiKey, bearer, cookie string
	requestID              string
}

func serviceCreds() creds       { return creds{apiKey: sessionsKey} }
func bearer(token string) creds { return creds{bearer: token} }

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with a JSON (or raw []byte) body and returns the whole response.
func (a *app) do(method, path string, c creds, body any) response {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.t.Fatalf("encode request body: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, a.base+path, rd)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.apiKey != "" {
		req.Header.Set("X-API-Key", c.apiKey)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: c.cookie})
	}
	if c.requestID != "" {
		req.Header.Set("X-Request-ID", c.requestID)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// expect fails the test unless the response has the status, and decodes a JSON body into v (when not nil).
func (r response) expect(t *testing.T, what string, status int, v any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status = %d, want %d; body: %s", what, r.status, status, r.body)
	}
	if v != nil {
		reflect.ValueOf(v).Elem().SetZero() // never merge into what an earlier response left
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("%s: decode %s: %v", what, r.body, err)
		}
	}
}

// problem is an RFC 9457 document as the server writes it.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
}

// expectProblem fails the test unless the response is a problem+json document with the status (and, when
// slug is not empty, the type ending in it), and returns it.
func (r response) expectProblem(t *testing.T, what string, status int, slug string) problem {
	t.Helper()
	var p problem
	r.expect(t, what, status, &p)
	checkProblem(t, what, r, &p)
	if slug != "" && p.Type != httpapi.ProblemTypeBase+slug {
		t.Errorf("%s: problem type = %q, want %q", what, p.Type, httpapi.ProblemTypeBase+slug)
	}
	return p
}

// checkProblem checks the parts every problem document has.
func checkProblem(t *testing.T, what string, r response, p *problem) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type = %q, want application/problem+json", what, ct)
	}
	if err := json.Unmarshal(r.body, p); err != nil {
		t.Errorf("%s: body is not JSON: %v: %s", what, err, r.body)
		return
	}
	if p.Type == "" || p.Title == "" || p.Status != r.status {
		t.Errorf("%s: problem %+v: want type, title and status %d", what, *p, r.status)
	}
}

// sessionView is the JSON form of a session.
type sessionView struct {
	ID                string            `json:"id"`
	UserID            string            `json:"user_id"`
	IP                string            `json:"ip"`
	Device            map[string]string `json:"device"`
	Data              map[string]string `json:"data"`
	CreatedAt         time.Time         `json:"created_at"`
	LastActivityAt    time.Time         `json:"last_activity_at"`
	ExpiresAt         time.Time         `json:"expires_at"`
	AbsoluteExpiresAt time.Time         `json:"absolute_expires_at"`
	ActivityCount     int64             `json:"activity_count"`
	Current           bool              `json:"current"`
}

// issued is the answer to a create or rotate.
type issued struct {
	Token   string      `json:"token"`
	Session sessionView `json:"session"`
}

type sessionList struct {
	Sessions []sessionView `json:"sessions"`
	Count    int           `json:"count"`
}

// create starts a session for user with a service key and returns it with its token.
func (a *app) create(user string, body any) issued {
	a.t.Helper()
	if body == nil {
		body = map[string]any{"device": map[string]string{"ua": "component-test"}}
	}
	var out issued
	a.do("POST", "/v1/users/"+user+"/sessions", serviceCreds(), body).expect(a.t, "create session", http.StatusCreated, &out)
	if out.Token == "" || out.Session.ID == "" || out.Session.UserID != user {
		a.t.Fatalf("create session for %s: got %+v", user, out)
	}
	return out
}

// count asks the service API how many live sessions user has.
func (a *app) count(user string) int {
	a.t.Helper()
	var out struct{ Count int }
	a.do("GET", "/v1/users/"+user+"/sessions/count", serviceCreds(), nil).expect(a.t, "count sessions", http.StatusOK, &out)
	return out.Count
}

// eventually polls cond every 50 ms until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// snapshot describes every key under the app's prefix: its type and the parts of its value that a request
// must not change (activity counters and idle deadlines move on every authenticated request, so session
// hashes are described without them).
func (a *app) snapshot() map[string]string {
	a.t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	var keys []string
	iter := a.redis.Scan(ctx, 0, a.prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		a.t.Fatalf("scan %s*: %v", a.prefix, err)
	}
	for _, k := range keys {
		typ, err := a.redis.Type(ctx, k).Result()
		if err != nil {
			a.t.Fatalf("TYPE %s: %v", k, err)
		}
		var desc string
		switch typ {
		case "hash":
			h, err := a.redis.HGetAll(ctx, k).Result()
			if err != nil {
				a.t.Fatalf("HGETALL %s: %v", k, err)
			}
			fields := maps.Clone(h)
			delete(fields, "la")
			delete(fields, "ie")
			delete(fields, "n")
			raw, _ := json.Marshal(fields)
			desc = string(raw)
		case "zset":
			m, err := a.redis.ZRangeWithScores(ctx, k, 0, -1).Result()
			if err != nil {
				a.t.Fatalf("ZRANGE %s: %v", k, err)
			}
			raw, _ := json.Marshal(m)
			desc = string(raw)
		case "stream":
			n, err := a.redis.XLen(ctx, k).Result()
			if err != nil {
				a.t.Fatalf("XLEN %s: %v", k, err)
			}
			raw, _ := json.Marshal(n)
			desc = string(raw)
		}
		out[k] = typ + " " + desc
	}
	return out
}
