package boot

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/adapters/http/activityhttp"
	"github.com/statekit/statekit/adapters/http/cachehttp"
	"github.com/statekit/statekit/adapters/http/carthttp"
	"github.com/statekit/statekit/adapters/http/flaghttp"
	"github.com/statekit/statekit/adapters/http/ratelimithttp"
	"github.com/statekit/statekit/adapters/http/sessionhttp"
	"github.com/statekit/statekit/adapters/redis/activityredis"
	"github.com/statekit/statekit/adapters/redis/cacheredis"
	"github.com/statekit/statekit/adapters/redis/cartredis"
	"github.com/statekit/statekit/adapters/redis/flagredis"
	"github.com/statekit/statekit/adapters/redis/outbox"
	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/adapters/redis/sessionredis"
	"github.com/statekit/statekit/app/activityapp"
	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/app/cartapp"
	"github.com/statekit/statekit/app/flagapp"
	"github.com/statekit/statekit/app/ratelimitapp"
	"github.com/statekit/statekit/app/sessionapp"
	"github.com/statekit/statekit/eventbus"
)

// Options is the whole statekit graph for cfg, logging to log. Tests add fx.Replace / fx.Decorate options
// after it to swap a part.
func Options(cfg Config, log *slog.Logger) fx.Option {
	return fx.Options(
		fx.WithLogger(func() fxevent.Logger {
			l := &fxevent.SlogLogger{Logger: log.With("component", "fx")}
			l.UseLogLevel(slog.LevelDebug) // fx reports every provide at its level; keep that out of info logs
			return l
		}),
		fx.Supply(cfg.Redis, cfg.HTTP, cfg.Bus, cfg.Outbox, cfg.Sessions, log),
		fx.Provide(newRegistry),
		rdb.Module,
		fx.Provide(
			func(c *rdb.Connector) eventbus.ClientFactory { return eventbus.ClientFactory(c.New) },
			readinessCheck("redis", func(c *rdb.Connector) func(context.Context) error { return c.Ping }),
			readinessCheck("events", func(b *eventbus.Bus) func(context.Context) error {
				return func(context.Context) error {
					if !b.Running() {
						return errors.New("event router is not running")
					}
					return nil
				}
			}),
		),
		eventbus.Module,
		fx.Provide(func(b *eventbus.Bus) outbox.Forwarder { return b }),
		outbox.Module, // after the bus: the relay stops before the bus it forwards to
		httpapi.Module,
		rdb.MetricsModule,

		// Modules.
		sessionredis.Module,
		sessionapp.Module,
		sessionhttp.Module,
		fx.Supply(cfg.Cache),
		cacheredis.Module,
		cacheapp.Module,
		cachehttp.Module,
		fx.Supply(cfg.Cart),
		cartredis.Module,
		cartapp.Module,
		carthttp.Module,
		fx.Supply(cfg.Flags),
		flagredis.Module,
		flagapp.Module,
		flaghttp.Module,
		fx.Provide(readinessCheck("flags", func(s *flagapp.Snapshot) func(context.Context) error {
			return func(context.Context) error {
				if !s.Loaded() {
					return errors.New("flag snapshot not loaded yet")
				}
				return nil
			}
		})),
		fx.Supply(cfg.Activity),
		activityredis.Module,
		activityapp.Module,
		activityhttp.Module,
		jobsModules(cfg.Jobs),
		fx.Supply(cfg.RateLimit.App, cfg.RateLimit.Store),
		ratelimitredis.Module,
		ratelimitapp.Module,
		ratelimithttp.Module,
		locksModules(cfg.Locks),
	)
}

// readinessCheck adds a named check, built from a graph dependency, to the server's readiness checks.
func readinessCheck[T any](name string, build func(T) func(context.Context) error) any {
	return fx.Annotate(func(dep T) httpapi.Check { return httpapi.Check{Name: name, Check: build(dep)} },
		fx.ResultTags(`group:"`+httpapi.ChecksGroup+`"`))
}

// newRegistry is the process's Prometheus registry (not the global one, so two apps in one test binary do
// not collide), with the Go runtime and process collectors.
func newRegistry() (*prometheus.Registry, prometheus.Registerer) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg, reg
}
