package eventbus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/ports"
)

// ClientFactory returns a new Redis client that the caller owns. The bus needs one per publisher and per
// subscriber because Watermill closes the client it is given.
type ClientFactory func() redis.UniversalClient

// Bus is the event bus: the forwarder the outbox relay writes topic streams through, and a router running
// the subscribed handlers.
type Bus struct {
	cfg     Config
	clients ClientFactory
	logger  watermill.LoggerAdapter
	metrics *Metrics
	dead    *deadLetters          // the dead-letter middleware's publisher
	fwd     redis.UniversalClient // Forward's
	router  *message.Router

	mu      sync.Mutex
	running bool
	stopped chan struct{}
	names   map[string]bool // handlers subscribed so far
}

var handlerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.\-]{0,99}$`)

// New builds a bus and registers handlers on its router (see Subscribe); nothing runs until Start.
func New(cfg Config, clients ClientFactory, log *slog.Logger, metrics *Metrics, handlers []ports.EventHandler) (*Bus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkHandlers(map[string]bool{}, handlers); err != nil {
		return nil, err
	}
	if clients == nil {
		return nil, errors.New("event bus: no Redis client factory")
	}
	if cfg.Consumer == "" {
		cfg.Consumer = consumerName()
	}
	logger := watermill.NewSlogLoggerWithLevelMapping(log.With("component", "eventbus"), map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug, // Watermill reports every subscription at info level
	})
	pub, err := redisstream.NewPublisher(redisstream.PublisherConfig{
		Client: clients(), DefaultMaxlen: cfg.MaxLen,
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("event bus publisher: %w", err)
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, logger)
	if err != nil {
		return nil, fmt.Errorf("event bus router: %w", err)
	}
	b := &Bus{cfg: cfg, clients: clients, logger: logger, metrics: metrics, dead: &deadLetters{pub: pub, m: metrics}, fwd: clients(),
		router: router, stopped: make(chan struct{}), names: map[string]bool{}}
	if err := b.addMiddleware(); err != nil {
		return nil, err
	}
	if err := b.Subscribe(handlers...); err != nil {
		return nil, errors.Join(err, b.close())
	}
	return b, nil
}

// Subscribe registers handlers on the router; call it before Start. Handler names must be unique across
// every call. The fx module subscribes the "event_handlers" group this way, after the bus exists, so a
// handler may come from a service that publishes through the same bus.
func (b *Bus) Subscribe(handlers ...ports.EventHandler) error {
	if err := checkHandlers(b.names, handlers); err != nil {
		return err
	}
	for _, h := range handlers {
		if err := b.subscribe(h); err != nil {
			return err
		}
		b.names[h.Name] = true
	}
	return nil
}

// checkHandlers validates handlers and their names against the names already taken.
func checkHandlers(taken map[string]bool, handlers []ports.EventHandler) error {
	names := map[string]bool{}
	for _, h := range handlers {
		if err := validHandler(h); err != nil {
			return err
		}
		if taken[h.Name] || names[h.Name] {
			return fmt.Errorf("event handler %q: name used twice", h.Name)
		}
		names[h.Name] = true
	}
	return nil
}

func (b *Bus) addMiddleware() error {
	poison, err := middleware.PoisonQueue(b.dead, DeadLetterTopic(b.cfg.Prefix))
	if err != nil {
		return fmt.Errorf("event bus poison queue: %w", err)
	}
	// Outermost first: a handler error (or panic, turned into an error by the recoverer) is retried with
	// backoff; when retries run out the event goes to the dead-letter stream with the reason and is acked.
	b.router.AddMiddleware(
		middleware.CorrelationID,
		poison,
		middleware.Retry{
			MaxRetries: b.cfg.MaxRetries, InitialInterval: b.cfg.RetryInitial, MaxInterval: b.cfg.RetryMax,
			Multiplier: 2, RandomizationFactor: 0.5, ResetContextOnRetry: true, Logger: b.logger,
		}.Middleware,
		middleware.Recoverer,
	)
	return nil
}

func validHandler(h ports.EventHandler) error {
	if !handlerName.MatchString(h.Name) || h.Event == "" || h.Handle == nil {
		return fmt.Errorf("event handler %q for %q: needs a lowercase name, an event and a function", h.Name, h.Event)
	}
	return nil
}

// subscribe adds one handler to the router on its own subscriber: a consumer group named after the handler,
// or a fan-out reader for per-instance state.
func (b *Bus) subscribe(h ports.EventHandler) error {
	group := Group(b.cfg.Prefix, h.Name)
	if h.FanOut {
		group = ""
	}
	// A new group (or a fan-out reader) starts at the stream's end unless the handler asks for history.
	start := "$"
	if h.Replay {
		start = "0"
	}
	sub, err := redisstream.NewSubscriber(redisstream.SubscriberConfig{
		Client: b.clients(), Consumer: b.cfg.Consumer, ConsumerGroup: group,
		MaxIdleTime: b.cfg.ClaimIdle, ClaimInterval: b.cfg.ClaimIdle / 3,
		OldestId: start, FanOutOldestId: start, DisableIndefiniteInitialBlock: true,
	}, b.logger)
	if err != nil {
		return fmt.Errorf("event handler %s: %w", h.Name, err)
	}
	handle := h.Handle
	name := h.Name
	b.router.AddConsumerHandler(h.Name, Topic(b.cfg.Prefix, h.Event), sub, func(msg *message.Message) error {
		env, err := toEnvelope(msg)
		if err != nil {
			return err
		}
		ctx := ports.WithCorrelationID(msg.Context(), env.CorrelationID)
		start := time.Now()
		err = handle(ctx, env)
		b.metrics.handled(name, time.Since(start), err)
		return err
	})
	return nil
}

// Start runs the router in the background and returns once it is running.
func (b *Bus) Start(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() {
		defer close(b.stopped)
		errc <- b.router.Run(context.Background())
	}()
	select {
	case <-b.router.Running():
		b.mu.Lock()
		b.running = true
		b.mu.Unlock()
		return nil
	case err := <-errc:
		return fmt.Errorf("event router: %w", err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop closes the router (waiting for handlers in flight) and the publisher.
func (b *Bus) Stop(ctx context.Context) error {
	b.mu.Lock()
	b.running = false
	b.mu.Unlock()
	err := b.router.Close()
	select {
	case <-b.stopped:
	case <-ctx.Done():
		err = errors.Join(err, ctx.Err())
	}
	return errors.Join(err, b.close())
}

// close closes the clients the bus owns outside the router.
func (b *Bus) close() error {
	return errors.Join(b.dead.Close(), b.fwd.Close())
}

// Running reports whether the router is up, for readiness checks.
func (b *Bus) Running() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.running && b.router.IsRunning() && !b.router.IsClosed()
}

func consumerName() string {
	host, _ := os.Hostname()
	var r [4]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(r[:]))
}
