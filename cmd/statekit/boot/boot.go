// Package boot is statekit's composition root: the module list and the fx graph of the server core plus
// the modules, configured from the environment through the modules' settings. cmd/statekit runs it; tests
// boot the same graph with their own environment.
package boot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/adapters/http/activityhttp"
	"github.com/statekit/statekit/adapters/http/cachehttp"
	"github.com/statekit/statekit/adapters/http/carthttp"
	"github.com/statekit/statekit/adapters/http/flaghttp"
	"github.com/statekit/statekit/adapters/http/jobhttp"
	"github.com/statekit/statekit/adapters/http/lockhttp"
	"github.com/statekit/statekit/adapters/http/ratelimithttp"
	"github.com/statekit/statekit/adapters/http/semaphorehttp"
	"github.com/statekit/statekit/adapters/http/sessionhttp"
	"github.com/statekit/statekit/adapters/redis/outbox"
	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/eventbus"
	"github.com/statekit/statekit/ports"
)

// Modules is the module list: every built-in module, one line each. A module contributes everything else
// (routes, problems, OpenAPI, settings, scopes, checks, metrics, handlers) through its own fx module.
var Modules = []fx.Option{
	sessionhttp.Module,
	cachehttp.Module,
	carthttp.Module,
	flaghttp.Module,
	activityhttp.Module,
	jobhttp.Module,
	ratelimithttp.Module,
	lockhttp.Module,
	semaphorehttp.Module,
}

// Options is the whole statekit graph: the core (Redis, the event bus and its outbox relay, the HTTP
// server, metrics) and the
// built-in modules plus extra ones (a company's), configured through env (os.Getenv in main), logging to
// log. Every setting of every module is parsed before anything else is built, and all bad values are
// reported together. Tests add fx.Replace / fx.Decorate options after it to swap a part.
func Options(env func(string) string, log *slog.Logger, extra ...fx.Option) fx.Option {
	return fx.Options(
		fx.WithLogger(func() fxevent.Logger {
			l := &fxevent.SlogLogger{Logger: log.With("component", "fx")}
			l.UseLogLevel(slog.LevelDebug) // fx reports every provide at its level; keep that out of info logs
			return l
		}),
		settingsFirst(env, func(*contract.Loaded) error { return nil }),
		fx.Supply(log),
		contract.Settings("statekit", coreSettings, parseCore),
		fx.Provide(
			func(c Core) rdb.Config { return c.Redis },
			func(c Core) httpapi.Config { return c.HTTP },
			func(c Core) eventbus.Config { return c.Bus },
			func(c Core) outbox.Config { return c.Outbox },
			newRegistry,
		),
		fx.Invoke(fx.Annotate(registerCollectors, fx.ParamTags(``, `group:"`+ports.GroupCollectors+`"`))),
		rdb.Module,
		fx.Provide(func(c *rdb.Connector) eventbus.ClientFactory { return eventbus.ClientFactory(c.New) }),
		contract.Provide(ports.GroupReadiness, func(c *rdb.Connector) ports.ReadinessCheck {
			return ports.ReadinessCheck{Name: "redis", Check: c.Ping}
		}),
		contract.Provide(ports.GroupReadiness, func(b *eventbus.Bus) ports.ReadinessCheck {
			return ports.ReadinessCheck{Name: "events", Check: func(context.Context) error {
				if !b.Running() {
					return errors.New("event router is not running")
				}
				return nil
			}}
		}),
		eventbus.Module,
		fx.Provide(func(b *eventbus.Bus) outbox.Forwarder { return b }),
		outbox.Module, // after the bus: the relay stops before the bus it forwards to
		httpapi.Module,
		rdb.MetricsModule,
		fx.Options(Modules...),
		fx.Options(extra...),
	)
}

// settingsFirst parses every section of settings, the core's included, in the first invoke of the graph
// (fx runs a child module's invokes before its parent's), so bad values stop start-up before anything is
// built, all of them reported at once; then it hands the result to done.
func settingsFirst(env func(string) string, done func(*contract.Loaded) error) fx.Option {
	return fx.Module("settings",
		fx.Provide(fx.Annotate(func(sections []*contract.Section, scopes [][]ports.ScopeInfo) (*contract.Loaded, error) {
			l, err := load(env, sections, scopes)
			if err != nil {
				return nil, err
			}
			return l, nil
		}, settingsParams)),
		fx.Invoke(done),
	)
}

// settingsParams annotate a function of the settings and scopes value groups.
var settingsParams = fx.ParamTags(`group:"`+ports.GroupSettings+`"`, `group:"`+ports.GroupScopes+`"`)

// load parses the sections (the core's first, then by module name) and checks the API keys' scopes against
// the scopes the modules contribute. The result is nil only when a row is malformed or declared twice; with
// bad values it comes with the error, for listing.
func load(env func(string) string, sections []*contract.Section, scopes [][]ports.ScopeInfo) (*contract.Loaded, error) {
	l, err := contract.Load(env, sortSections(sections))
	if l != nil {
		core, _ := contract.Find[Core](l)
		if serr := httpapi.CheckScopes(core.HTTP.APIKeys, Scopes(scopes)); serr != nil {
			err = errors.Join(err, fmt.Errorf("STATEKIT_API_KEYS: %w", serr))
		}
	}
	if err != nil {
		return l, fmt.Errorf("configuration:\n%w", err)
	}
	return l, nil
}

// sortSections orders sections for listing: the core's first, then by module name (fx hands a value group
// over in no particular order).
func sortSections(sections []*contract.Section) []*contract.Section {
	out := slices.Clone(sections)
	slices.SortStableFunc(out, func(a, b *contract.Section) int {
		if (a.Module == "statekit") != (b.Module == "statekit") {
			if a.Module == "statekit" {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Module, b.Module)
	})
	return out
}

// Scopes merges the modules' scope contributions: sorted by scope, each once (a scope two modules share,
// such as locks, joins their meanings).
func Scopes(groups [][]ports.ScopeInfo) []ports.ScopeInfo {
	var out []ports.ScopeInfo
	for _, g := range groups {
		for _, s := range g {
			i := slices.IndexFunc(out, func(o ports.ScopeInfo) bool { return o.Scope == s.Scope })
			switch {
			case i < 0:
				out = append(out, s)
			case !strings.Contains(out[i].Meaning, s.Meaning):
				out[i].Meaning += " " + s.Meaning
			}
		}
	}
	slices.SortFunc(out, func(a, b ports.ScopeInfo) int { return strings.Compare(string(a.Scope), string(b.Scope)) })
	return out
}

// WorkerOnly is the graph of `statekit worker`: the job workers (and the event router) without the API,
// whatever STATEKIT_WORKERS says. The HTTP server still answers /healthz, /readyz, /metrics and
// /openapi.yaml on STATEKIT_HTTP_ADDR, so the process can be probed and scraped, but serves no module
// routes.
func WorkerOnly(env func(string) string, log *slog.Logger, extra ...fx.Option) fx.Option {
	workers := func(name string) string {
		if name == "STATEKIT_WORKERS" {
			return "true"
		}
		return env(name)
	}
	return fx.Options(
		Options(workers, log, extra...),
		fx.Decorate(fx.Annotate(
			func([][]httpapi.Route) [][]httpapi.Route { return nil },
			fx.ParamTags(`group:"`+ports.GroupRoutes+`"`),
			fx.ResultTags(`group:"`+ports.GroupRoutes+`"`),
		)),
	)
}

// newRegistry is the process's Prometheus registry (not the global one, so two apps in one test binary do
// not collide), with the Go runtime and process collectors.
func newRegistry() (*prometheus.Registry, prometheus.Registerer) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg, reg
}

// registerCollectors registers the modules' metrics (ports.GroupCollectors) on the process's registry.
func registerCollectors(reg prometheus.Registerer, cs []prometheus.Collector) error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, reg.Register(c))
	}
	return errors.Join(errs...)
}
