// Package testapp boots the whole statekit fx graph (cmd/statekit/boot) in-process against a harness Redis,
// for the tests that drive it over HTTP, and holds the helpers those test packages share: requests and
// their checks, event subscriptions, a recording publisher, a test logger. Only tests import it; a test
// binary that starts an app must run Run (or harness.Run) from its TestMain.
package testapp

import (
	"context"
	"log/slog"
	"net/http"
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

// The service keys Env configures: one holding the "sessions" scope, one holding only "admin" (which
// implies every scope).
const (
	SessionsKey = "shop-secret-0123456789abcdef"
	AdminKey    = "ops-secret-0123456789abcdefgh"
)

// App is one running statekit: the whole fx graph, served on a loopback port.
type App struct {
	T      *testing.T
	Base   string                // "http://127.0.0.1:port"
	Prefix string                // its key prefix
	Redis  redis.UniversalClient // a client on its Redis, for looking at keys; nil in embedded mode
	HTTP   *http.Client
}

// Env is the environment of an app on tg's standalone Redis with tg's prefix; tests add or override entries
// before calling Start.
func Env(tg harness.Target) map[string]string {
	return map[string]string{
		"STATEKIT_REDIS_URL":     "redis://" + tg.Addrs[0],
		"STATEKIT_KEY_PREFIX":    tg.Prefix,
		"STATEKIT_HTTP_ADDR":     "127.0.0.1:0",
		"STATEKIT_API_KEYS":      "shop:" + SessionsKey + ":sessions,ops:" + AdminKey + ":admin",
		"STATEKIT_COOKIE_SECURE": "false",
		"STATEKIT_LOG_LEVEL":     "warn",
	}
}

// Getenv reads vars as main reads the process environment.
func Getenv(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// Start boots boot.Options with the configuration read from vars (plus extra options), starts it and stops
// it when the test ends. rc, when not nil, is a client on the same Redis for inspecting keys. The app's
// HTTP client gives up after 10 s and follows redirects.
func Start(t *testing.T, vars map[string]string, rc redis.UniversalClient, extra ...fx.Option) *App {
	t.Helper()
	var srv *httpapi.Server
	opts := append([]fx.Option{boot.Options(Getenv(vars), Logger(t)), fx.Populate(&srv)}, extra...)
	fxApp := fxtest.New(t, opts...)
	fxApp.RequireStart()
	t.Cleanup(fxApp.RequireStop)
	return &App{T: t, Base: "http://" + srv.Addr().String(), Prefix: vars["STATEKIT_KEY_PREFIX"], Redis: rc,
		HTTP: &http.Client{Timeout: 10 * time.Second}}
}

// Logger logs warnings and errors through t.Log, and drops whatever arrives after the test ended
// (background goroutines may still log while an app or a runtime stops).
func Logger(t *testing.T) *slog.Logger {
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

// Run silences go-redis's global logger and runs the tests through harness.Run, for a TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testapp.Run(m)) }
//
// go-redis reports failed dials through that logger, straight to stderr; tests that stop Redis provoke many
// of them.
func Run(m *testing.M) int {
	redis.SetLogger(quietRedis{})
	return harness.Run(m)
}

// quietRedis is a go-redis logger that drops everything.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}
