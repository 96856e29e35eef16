// Package httpkit is what the HTTP adapters' tests share: a module's real handlers behind the project's
// server chain (request ids, auth, body limits, problem documents), its real Redis store on a redis-server
// started by tests/harness, and the checks every answer must pass. A test binary using it must run
// harness.Run from its TestMain.
package httpkit

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

// Redis is one test's share of a real redis-server: a client, and the key prefix its stores must use so
// that Keys and Flush see only this test's keys.
type Redis struct {
	Client redis.UniversalClient
	Prefix string
}

// NewRedis is a share of the test binary's standalone redis-server.
func NewRedis(tb testing.TB) Redis {
	tb.Helper()
	tg := harness.Standalone(tb)
	return Redis{Client: tg.Client, Prefix: tg.Prefix}
}

// Keys lists the keys under the prefix.
func (r Redis) Keys(tb testing.TB) []string {
	tb.Helper()
	var keys []string
	iter := r.Client.Scan(context.Background(), 0, r.Prefix+"*", 1000).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		tb.Fatalf("scan %s*: %v", r.Prefix, err)
	}
	return keys
}

// Flush deletes the keys under the prefix.
func (r Redis) Flush(tb testing.TB) {
	tb.Helper()
	if keys := r.Keys(tb); len(keys) > 0 {
		if err := r.Client.Del(context.Background(), keys...).Err(); err != nil {
			tb.Fatalf("flush %s*: %v", r.Prefix, err)
		}
	}
}

// Discard is an event publisher that drops every event.
type Discard struct{}

var _ ports.EventPublisher = Discard{}

// Publish drops events.
func (Discard) Publish(context.Context, ...ports.Event) error { return nil }

// Config is the server's default configuration with the given API keys ("name:secret:scopes,...", or "").
func Config(tb testing.TB, apiKeys string) httpapi.Config {
	tb.Helper()
	cfg := httpapi.DefaultConfig()
	if apiKeys != "" {
		keys, err := httpapi.ParseAPIKeys(apiKeys)
		if err != nil {
			tb.Fatal(err)
		}
		cfg.APIKeys = keys
	}
	return cfg
}

// Handler is the project's server over a module's routes and problem rows, with cfg and a session resolver
// (nil for none), logging nowhere.
func Handler(tb testing.TB, cfg httpapi.Config, resolve httpapi.TokenResolver, routes []httpapi.Route, problems []ports.Problem) http.Handler {
	tb.Helper()
	srv, err := httpapi.NewServer(cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), resolve, nil, routes,
		httpapi.WithProblems(problems))
	if err != nil {
		tb.Fatal(err)
	}
	return srv.Handler()
}

// IsProblem reports whether rec is a problem document (RFC 9457) that states rec's own status.
func IsProblem(rec *httptest.ResponseRecorder) bool {
	var p httpapi.Problem
	return rec.Header().Get("Content-Type") == "application/problem+json" &&
		json.Unmarshal(rec.Body.Bytes(), &p) == nil && p.Status == rec.Code
}
