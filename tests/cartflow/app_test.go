package cartflow

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/cmd/statekit/boot"
	"github.com/statekit/statekit/eventbus"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

// The service keys every app is configured with (copied from tests/component).
const (
	sessionsKey = "shop-secret-0123456789abcdef"
	adminKey    = "ops-secret-0123456789abcdefgh"
)

// app is one running statekit: the whole fx graph, served on a loopback port.
type app struct {
	t      *testing.T
	base   string
	prefix string
	redis  redis.UniversalClient
	http   *http.Client
}

// newApp boots boot.Options on the shared standalone Redis under a fresh prefix, plus extra options.
func newApp(t *testing.T, extra ...fx.Option) *app {
	t.Helper()
	tg := harness.Standalone(t)
	vars := map[string]string{
		"STATEKIT_REDIS_URL":     "redis://" + tg.Addrs[0],
		"STATEKIT_KEY_PREFIX":    tg.Prefix,
		"STATEKIT_HTTP_ADDR":     "127.0.0.1:0",
		"STATEKIT_API_KEYS":      "shop:" + sessionsKey + ":sessions,ops:" + adminKey + ":admin",
		"STATEKIT_COOKIE_SECURE": "false",
		"STATEKIT_LOG_LEVEL":     "warn",
		"STATEKIT_WORKERS":       "false", // the cart needs no job workers
	}
	cfg, err := boot.Load(func(name string) string { return vars[name] })
	if err != nil {
		t.Fatalf("boot.Load: %v", err)
	}
	var srv *httpapi.Server
	opts := append([]fx.Option{boot.Options(cfg, testLogger(t)), fx.Populate(&srv)}, extra...)
	fxApp := fxtest.New(t, opts...)
	fxApp.RequireStart()
	t.Cleanup(fxApp.RequireStop)
	return &app{t: t, base: "http://" + srv.Addr().String(), prefix: cfg.Redis.KeyPrefix, redis: tg.Client,
		http: &http.Client{Timeout: 10 * time.Second}}
}

// testLogger logs warnings and errors through t.Log until the test ends.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.close)
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
	apiKey, bearer, cartToken, requestID string
}

func admin() creds                   { return creds{apiKey: adminKey} }
func service() creds                 { return creds{apiKey: sessionsKey} }
func user(token string) creds        { return creds{bearer: token} }
func guestOf(token string) creds     { return creds{cartToken: token} }
func (c creds) with(id string) creds { c.requestID = id; return c }

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with a JSON (or raw string / []byte) body and returns the whole response.
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
	if c.cartToken != "" {
		req.Header.Set("X-Cart-Token", c.cartToken)
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
		reflect.ValueOf(v).Elem().SetZero()
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("%s: decode %s: %v", what, r.body, err)
		}
	}
}

// problem is an RFC 9457 document as the server writes it.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// expectProblem fails the test unless the response is a problem+json document with the status (and, when
// slug is not empty, the type ending in it).
func (r response) expectProblem(t *testing.T, what string, status int, slug string) problem {
	t.Helper()
	var p problem
	r.expect(t, what, status, &p)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type = %q, want application/problem+json", what, ct)
	}
	if p.Status != status || p.Title == "" {
		t.Errorf("%s: problem %+v", what, p)
	}
	if slug != "" && p.Type != httpapi.ProblemTypeBase+slug {
		t.Errorf("%s: problem type = %q, want %q (detail %q)", what, p.Type, httpapi.ProblemTypeBase+slug, p.Detail)
	}
	return p
}

// subscribe adds a handler for event to the app's bus, the way an app module does, and returns the channel
// its envelopes arrive on.
func subscribe(name, event string) (fx.Option, <-chan ports.Envelope) {
	ch := make(chan ports.Envelope, 64)
	h := ports.EventHandler{Name: name, Event: event, Handle: func(ctx context.Context, e ports.Envelope) error {
		select {
		case ch <- e:
		default:
		}
		return nil
	}}
	return fx.Provide(fx.Annotate(func() ports.EventHandler { return h },
		fx.ResultTags(`group:"`+eventbus.HandlersGroup+`"`))), ch
}

func next(t *testing.T, ch <-chan ports.Envelope, what string) ports.Envelope {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no event within 10s", what)
		return ports.Envelope{}
	}
}

// snapshot describes every cart and inventory key under the app's prefix with its type and full content
// (other modules' keys, such as rate-limit counters, move on every request and are not the cart's state).
func (a *app) snapshot() map[string]string {
	a.t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	var keys []string
	for _, pattern := range []string{a.prefix + ":cart:*", a.prefix + ":inv:*"} {
		iter := a.redis.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			a.t.Fatal(err)
		}
	}
	if len(keys) == 0 {
		a.t.Fatal("snapshot: no cart or inventory keys; the pattern no longer matches the key layout")
	}
	sort.Strings(keys)
	for _, k := range keys {
		typ := a.redis.Type(ctx, k).Val()
		var v any
		switch typ {
		case "hash":
			v = a.redis.HGetAll(ctx, k).Val()
		case "zset":
			v = a.redis.ZRangeWithScores(ctx, k, 0, -1).Val()
		case "string":
			v = a.redis.Get(ctx, k).Val()
		}
		raw, _ := json.Marshal(v)
		out[k] = typ + " " + string(raw)
	}
	return out
}
