package boot

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/ports"
)

func TestHelp(t *testing.T) {
	for _, arg := range []string{"help", "-h", "--help"} {
		var out, errs bytes.Buffer
		if code := (Program{Name: "shop"}).Run(context.Background(), []string{arg}, env(nil), &out, &errs); code != 0 {
			t.Errorf("%s: exit %d", arg, code)
		}
		for _, want := range []string{"usage: shop [command]", "\n  serve ", "\n  worker ", "\n  config ", "\n  version ", "\n  help "} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: usage lacks %q:\n%s", arg, want, out.String())
			}
		}
	}
	var out, errs bytes.Buffer
	if code := (Program{}).Run(context.Background(), []string{"serv"}, env(nil), &out, &errs); code != 2 ||
		!strings.Contains(errs.String(), `unknown command "serv"`) || !strings.Contains(errs.String(), "usage: statekit") {
		t.Errorf("unknown command: exit %d, stderr %q", code, errs.String())
	}
	out.Reset()
	if code := (Program{Version: "1.2.3"}).Run(context.Background(), []string{"version"}, env(nil), &out, &errs); code != 0 ||
		out.String() != "statekit 1.2.3\n" {
		t.Errorf("version: exit %d, %q", code, out.String())
	}
}

// TestConfigCommand: config prints every setting with its source, masks secrets, lists the scopes, and
// fails naming every bad value.
func TestConfigCommand(t *testing.T) {
	var out, errs bytes.Buffer
	code := (Program{}).Run(context.Background(), []string{"config"}, env(map[string]string{
		"STATEKIT_REDIS_URL":     "redis://app:hunter2hunter2@cache:6379/0",
		"STATEKIT_API_KEYS":      "ops:0123456789abcdef0123456789:admin",
		"STATEKIT_CART_USER_TTL": "48h",
	}), &out, &errs)
	if code != 0 {
		t.Fatalf("config: exit %d, stderr %s", code, errs.String())
	}
	text := out.String()
	if strings.Contains(text, "hunter2") || strings.Contains(text, "0123456789abcdef") {
		t.Errorf("config prints a secret:\n%s", text)
	}
	for _, want := range []string{
		"redis://app:****@cache:6379/0", "ops:****:admin", "STATEKIT_CART_USER_TTL", "48h",
		"STATEKIT_CART_GUEST_TTL", "default      168h", "\n  sessions ", "\n  locks ", "\n  jobs ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("config output lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(lineOf(text, "STATEKIT_CART_USER_TTL"), "environment") {
		t.Errorf("STATEKIT_CART_USER_TTL not shown as set by the environment: %q", lineOf(text, "STATEKIT_CART_USER_TTL"))
	}

	errs.Reset()
	code = (Program{}).Run(context.Background(), []string{"config"}, env(map[string]string{
		"STATEKIT_SESSION_MAX_PER_USER": "many", "STATEKIT_JOBS_LEASE": "soon", "STATEKIT_API_KEYS": "ops:0123456789abcdef0123456789:root",
	}), io.Discard, &errs)
	for _, want := range []string{"STATEKIT_SESSION_MAX_PER_USER", "STATEKIT_JOBS_LEASE", `unknown scope "root"`} {
		if code != 1 || !strings.Contains(errs.String(), want) {
			t.Errorf("bad values: exit %d, stderr lacks %q:\n%s", code, want, errs.String())
		}
	}
}

func lineOf(text, name string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	return ""
}

// points is a company's module, built only from the public contract: a setting, a scope, a route, a
// problem row, an error that carries its own status, and an OpenAPI fragment.
type pointsConfig struct{ Bonus int64 }

var errNoPoints = errors.New("no points")

type shortError struct{}

func (shortError) Error() string        { return "points short" }
func (shortError) ProblemStatus() int   { return http.StatusConflict }
func (shortError) ProblemType() string  { return "points-short" }
func (shortError) ProblemTitle() string { return "Points short" }

var pointsModule = fx.Module("points",
	contract.Settings("points", []contract.Setting{{Name: "SHOP_POINTS_BONUS", Default: "5", Meaning: "Bonus points."}},
		func(e *contract.Env) pointsConfig { return pointsConfig{Bonus: e.Int("SHOP_POINTS_BONUS")} }),
	contract.Supply(ports.GroupScopes, []ports.ScopeInfo{{Scope: "points", Meaning: "Read and redeem points."}}),
	contract.Supply(ports.GroupProblems, []ports.Problem{{Err: errNoPoints, Status: http.StatusNotFound, Type: "no-points", Title: "No points"}}),
	contract.Supply(ports.GroupOpenAPI, ports.OpenAPIFragment{Module: "points", YAML: []byte(
		"paths:\n  /v1/points/{user}:\n    get:\n      operationId: getPoints\n      security:\n        - apiKey: [points]\n      responses: {}\n")}),
	contract.Provide(ports.GroupRoutes, func(cfg pointsConfig) []httpapi.Route {
		return []httpapi.Route{{Pattern: "GET /v1/points/{user}", Access: httpapi.Access{Scope: auth.Scope("points")},
			Handle: func(w http.ResponseWriter, r *http.Request) error {
				switch r.PathValue("user") {
				case "nobody":
					return errNoPoints
				case "poor":
					return shortError{}
				}
				return httpapi.JSON(w, http.StatusOK, map[string]int64{"bonus": cfg.Bonus})
			}}}
	}),
)

// TestCompanyModuleServes runs serve as a company's binary would (embedded Redis, the built-in modules plus
// its own) and calls its route: its setting, scope, problems and OpenAPI fragment all take effect.
func TestCompanyModuleServes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const key = "points-key-0123456789abcdefghij"
	vars := map[string]string{"STATEKIT_HTTP_ADDR": addr, "STATEKIT_API_KEYS": "shop:" + key + ":points",
		"SHOP_POINTS_BONUS": "12", "STATEKIT_SHUTDOWN_TIMEOUT": "10s", "STATEKIT_LOG_LEVEL": "error"}
	ctx, cancel := context.WithCancel(context.Background())
	var (
		wg   sync.WaitGroup
		code int
		logs lockedBuffer
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		code = (Program{Name: "shop", Modules: []fx.Option{pointsModule}}).Run(ctx, nil, env(vars), io.Discard, &logs)
	}()
	defer func() {
		cancel()
		wg.Wait()
		if code != 0 {
			t.Errorf("serve: exit %d\n%s", code, logs.String())
		}
	}()
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer /healthz: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	get := func(path, apiKey string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if apiKey != "" {
			req.Header.Set("X-API-Key", apiKey)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, c := range []struct {
		path, key string
		status    int
		has       string
	}{
		{"/v1/points/alice", key, 200, `"bonus":12`},
		{"/v1/points/alice", "", 401, "unauthenticated"},
		{"/v1/points/nobody", key, 404, "problems/no-points"},
		{"/v1/points/poor", key, 409, "problems/points-short"},
		{"/v1/users/alice/sessions", key, 403, "forbidden"},
		{"/openapi.yaml", "", 200, "/v1/points/{user}:"},
	} {
		if status, body := get(c.path, c.key); status != c.status || !strings.Contains(body, c.has) {
			t.Errorf("GET %s: %d %.200s, want %d with %q", c.path, status, body, c.status, c.has)
		}
	}
}

// lockedBuffer is a buffer the server's logger and the test share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
