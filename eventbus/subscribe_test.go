package eventbus_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/statekit/statekit/adapters/redis/outbox"
	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/eventbus"
	"github.com/statekit/statekit/ports"
)

// publishingService stands for an app service that publishes through the bus and also provides a handler.
type publishingService struct{ events ports.EventPublisher }

func (s *publishingService) handler() ports.EventHandler {
	return ports.EventHandler{Name: "svc.react", Event: "x.happened", Handle: func(context.Context, ports.Envelope) error { return nil }}
}

// TestModuleAcceptsHandlersThatPublish: a handler provided by a service that needs the EventPublisher (the
// outbox's, whose relay forwards to the bus) does not make a dependency cycle.
func TestModuleAcceptsHandlersThatPublish(t *testing.T) {
	app := fxtest.New(t,
		fx.NopLogger,
		fx.Supply(eventbus.DefaultConfig("cycle-test"), slog.New(slog.DiscardHandler), outbox.DefaultConfig(),
			rdb.Config{KeyPrefix: "cycle-test"}),
		fx.Provide(
			func() prometheus.Registerer { return prometheus.NewRegistry() },
			func() eventbus.ClientFactory {
				return func() redis.UniversalClient { return redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) }
			},
			func(f eventbus.ClientFactory) redis.UniversalClient { return f() },
			func(b *eventbus.Bus) outbox.Forwarder { return b },
			func(p ports.EventPublisher) *publishingService { return &publishingService{events: p} },
			fx.Annotate(func(s *publishingService) ports.EventHandler { return s.handler() },
				fx.ResultTags(`group:"`+eventbus.HandlersGroup+`"`)),
		),
		eventbus.Module,
		outbox.Module,
		fx.Invoke(func(*publishingService) {}),
	)
	if err := app.Err(); err != nil {
		t.Fatalf("graph with a publishing handler: %v", err)
	}
}

// TestSubscribeRejectsReusedNames: handler names stay unique across Subscribe calls.
func TestSubscribeRejectsReusedNames(t *testing.T) {
	b, err := eventbus.New(eventbus.DefaultConfig("dup-test"),
		func() redis.UniversalClient { return redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) },
		slog.New(slog.DiscardHandler), eventbus.NewMetrics(prometheus.NewRegistry()), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := ports.EventHandler{Name: "once", Event: "x.y", Handle: func(context.Context, ports.Envelope) error { return nil }}
	if err := b.Subscribe(h); err != nil {
		t.Fatalf("first Subscribe: %v", err)
	}
	if err := b.Subscribe(h); err == nil {
		t.Error("second Subscribe with the same name: want an error")
	}
	h.Name = "Bad Name!"
	if err := b.Subscribe(h); err == nil {
		t.Error("Subscribe with an invalid name: want an error")
	}
}
