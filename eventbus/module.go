package eventbus

import (
	"errors"
	"log/slog"

	"go.uber.org/fx"

	"github.com/statekit/statekit/ports"
)

// HandlersGroup is the fx value group the bus subscribes: ports.GroupEventHandlers, to which an app module
// adds its ports.EventHandler values (app/contract's Provide).
const HandlersGroup = ports.GroupEventHandlers

// Module provides the Bus (the outbox relay's forwarder) and runs its router for the life of the app. It
// needs a Config, a ClientFactory, a *slog.Logger and a prometheus.Registerer from the graph. The handlers
// group is subscribed after the bus is built, so a handler may be provided by a service that publishes
// (through the outbox, whose relay forwards to this bus).
var Module = fx.Module("eventbus",
	fx.Provide(
		NewMetrics,
		func(cfg Config, clients ClientFactory, log *slog.Logger, m *Metrics) (*Bus, error) {
			return New(cfg, clients, log, m, nil)
		},
	),
	fx.Invoke(fx.Annotate(func(lc fx.Lifecycle, b *Bus, handlers []ports.EventHandler) error {
		if err := b.Subscribe(handlers...); err != nil {
			return errors.Join(err, b.close())
		}
		lc.Append(fx.Hook{OnStart: b.Start, OnStop: b.Stop})
		return nil
	}, fx.ParamTags(``, ``, `group:"`+HandlersGroup+`"`))),
)
