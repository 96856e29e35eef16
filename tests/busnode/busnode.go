// Package busnode starts, for a test, what one statekit instance runs for events: an event bus with its
// handlers, the outbox and its publisher, and the outbox relay forwarding to that bus, all on a harness
// target, stopped when the test ends.
package busnode

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/outbox"
	"github.com/statekit/statekit/eventbus"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

// Node is one instance's event machinery.
type Node struct {
	Bus       *eventbus.Bus
	Outbox    *outbox.Outbox
	Publisher *outbox.Publisher
	Relay     *outbox.Relay
	// Client is the node's own client to the target (the shared client of an instance).
	Client redis.UniversalClient
}

// Options change how a node starts.
type Options struct {
	// Outbox is the outbox config; zero takes outbox.DefaultConfig.
	Outbox outbox.Config
	// NoRelay leaves the relay stopped, as in an instance that dies between its writes and their relay.
	NoRelay bool
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Factory returns a client factory for tg, as rdb.Connector.New is in statekit.
func Factory(tg harness.Target) eventbus.ClientFactory {
	return func() redis.UniversalClient {
		if tg.Cluster {
			return redis.NewClusterClient(&redis.ClusterOptions{Addrs: tg.Addrs, MaxRetries: -1, MaxRedirects: -1})
		}
		return redis.NewClient(&redis.Options{Addr: tg.Addrs[0], MaxRetries: -1})
	}
}

// Start builds and starts a node with bus config cfg and handlers.
func Start(t testing.TB, tg harness.Target, cfg eventbus.Config, opts Options, handlers ...ports.EventHandler) *Node {
	t.Helper()
	if opts.Outbox == (outbox.Config{}) {
		opts.Outbox = outbox.DefaultConfig()
	}
	clients := Factory(tg)
	b, err := eventbus.New(cfg, clients, quiet, eventbus.NewMetrics(prometheus.NewRegistry()), handlers)
	if err != nil {
		t.Fatalf("eventbus.New: %v", err)
	}
	n := &Node{Bus: b, Client: clients()}
	t.Cleanup(func() { _ = n.Client.Close() })
	n.Outbox = outbox.New(n.Client, cfg.Prefix, opts.Outbox)
	n.Publisher = outbox.NewPublisher(n.Client, n.Outbox)
	n.Relay, err = outbox.NewRelay(n.Outbox, n.Client, b, opts.Outbox, quiet, outbox.NewMetrics(prometheus.NewRegistry()))
	if err != nil {
		t.Fatalf("outbox.NewRelay: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatalf("bus Start: %v", err)
	}
	t.Cleanup(func() { stop(t, "bus", b.Stop) }) // cleanups run last first: the relay stops before the bus
	if !opts.NoRelay {
		if err := n.Relay.Start(ctx); err != nil {
			t.Fatalf("relay Start: %v", err)
		}
		t.Cleanup(func() { stop(t, "relay", n.Relay.Stop) })
	}
	return n
}

func stop(t testing.TB, what string, fn func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fn(ctx); err != nil {
		t.Errorf("%s Stop: %v", what, err)
	}
}
