package eventbus_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/eventbus"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/busnode"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/wait"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// pinged is a test event.
type pinged struct {
	N int `json:"n"`
}

func (pinged) EventName() string { return "test.pinged" }
func (pinged) EventVersion() int { return 3 }

// echoed is published by a handler in reaction to pinged.
type echoed struct {
	N int `json:"n"`
}

func (echoed) EventName() string { return "test.echoed" }
func (echoed) EventVersion() int { return 1 }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func testConfig(prefix string) eventbus.Config {
	cfg := eventbus.DefaultConfig(prefix)
	cfg.RetryInitial = 10 * time.Millisecond
	cfg.RetryMax = 40 * time.Millisecond
	return cfg
}

// startBus starts one app instance's event machinery (bus, outbox, relay) and stops it when the test ends.
func startBus(t *testing.T, tg harness.Target, cfg eventbus.Config, handlers ...ports.EventHandler) *busnode.Node {
	t.Helper()
	n := busnode.Start(t, tg, cfg, busnode.Options{}, handlers...)
	if !n.Bus.Running() {
		t.Fatal("bus not running after Start")
	}
	return n
}

// seen records the N of every pinged event a handler receives, per instance.
type seen struct {
	mu     sync.Mutex
	counts map[int]int
	total  atomic.Int64
}

func newSeen() *seen { return &seen{counts: map[int]int{}} }

func (s *seen) handler(name string, fanOut bool) ports.EventHandler {
	return ports.EventHandler{Name: name, Event: "test.pinged", FanOut: fanOut,
		Handle: func(ctx context.Context, e ports.Envelope) error {
			var p pinged
			if err := e.Decode(&p); err != nil {
				return err
			}
			s.mu.Lock()
			s.counts[p.N]++
			s.mu.Unlock()
			s.total.Add(1)
			return nil
		}}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wait.Until(t, 10*time.Second, 5*time.Millisecond, what, cond)
}

func publishN(t *testing.T, b *busnode.Node, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := b.Publisher.Publish(context.Background(), pinged{N: i}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
}

// TestConsumerGroupSharesEvents: two instances in one consumer group handle each event exactly once
// between them.
func TestConsumerGroupSharesEvents(t *testing.T) {
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		cfg := testConfig(tg.Prefix)
		got := newSeen()
		a := startBus(t, tg, cfg, got.handler("counter", false))
		cfg.Consumer = "second"
		startBus(t, tg, cfg, got.handler("counter", false))

		const n = 200
		publishN(t, a, 0, n)
		waitFor(t, "all events", func() bool { return got.total.Load() >= n })
		time.Sleep(100 * time.Millisecond) // give a duplicate the chance to show
		got.mu.Lock()
		defer got.mu.Unlock()
		for i := 0; i < n; i++ {
			if got.counts[i] != 1 {
				t.Errorf("event %d handled %d times, want 1", i, got.counts[i])
			}
		}
	})
}

// TestFanOutReachesEveryInstance: a fan-out handler on two instances sees every event on each.
func TestFanOutReachesEveryInstance(t *testing.T) {
	tg := harness.Standalone(t)
	cfg := testConfig(tg.Prefix)
	first, second := newSeen(), newSeen()
	pub := startBus(t, tg, cfg, first.handler("l1", true))
	cfg.Consumer = "second"
	startBus(t, tg, cfg, second.handler("l1", true))

	// A fan-out reader starts at the stream's end, so wait until both are reading: publish warm-up
	// events (negative N) until each instance has seen one.
	for i := -1; first.total.Load() == 0 || second.total.Load() == 0; i-- {
		if i < -500 {
			t.Fatal("fan-out readers never started")
		}
		publishN(t, pub, i, 1)
		time.Sleep(10 * time.Millisecond)
	}
	const n = 100
	publishN(t, pub, 0, n)
	for _, s := range []*seen{first, second} {
		waitFor(t, "fan-out delivery", func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			for i := 0; i < n; i++ {
				if s.counts[i] != 1 {
					return false
				}
			}
			return true
		})
	}
}

// TestRetryThenSuccess: a handler that fails twice is retried with backoff and succeeds, without a
// dead letter.
func TestRetryThenSuccess(t *testing.T) {
	tg := harness.Standalone(t)
	var attempts atomic.Int64
	done := make(chan struct{})
	b := startBus(t, tg, testConfig(tg.Prefix), ports.EventHandler{Name: "flaky", Event: "test.pinged",
		Handle: func(ctx context.Context, e ports.Envelope) error {
			if attempts.Add(1) < 3 {
				return errors.New("not yet")
			}
			close(done)
			return nil
		}})
	publishN(t, b, 0, 1)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("handler never succeeded")
	}
	if n := attempts.Load(); n != 3 {
		t.Errorf("attempts = %d, want 3", n)
	}
	time.Sleep(50 * time.Millisecond)
	if n := tg.Client.XLen(context.Background(), eventbus.DeadLetterTopic(tg.Prefix)).Val(); n != 0 {
		t.Errorf("dead letters = %d, want 0", n)
	}
}

// TestPoisonGoesToDeadLetter: an event whose handler keeps failing or panics lands in the dead-letter
// stream with the reason, after the configured retries, and the handler moves on.
func TestPoisonGoesToDeadLetter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		handle func() error
		reason string
	}{
		{"error", func() error { return errors.New("card declined") }, "card declined"},
		{"panic", func() error { panic("boom") }, "boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := harness.Standalone(t)
			cfg := testConfig(tg.Prefix)
			var attempts atomic.Int64
			b := startBus(t, tg, cfg, ports.EventHandler{Name: "doomed", Event: "test.pinged",
				Handle: func(ctx context.Context, e ports.Envelope) error {
					attempts.Add(1)
					return tc.handle()
				}})
			dead := subscribeRaw(t, tg, eventbus.DeadLetterTopic(tg.Prefix))
			publishN(t, b, 7, 1)
			select {
			case msg := <-dead:
				if got := msg.Metadata.Get(middleware.ReasonForPoisonedKey); !strings.Contains(got, tc.reason) {
					t.Errorf("reason = %q, want it to mention %q", got, tc.reason)
				}
				if got := msg.Metadata.Get(middleware.PoisonedHandlerKey); got != "doomed" {
					t.Errorf("poisoned handler = %q, want doomed", got)
				}
				if got := msg.Metadata.Get("name"); got != "test.pinged" {
					t.Errorf("dead letter keeps name %q, want test.pinged", got)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no dead letter")
			}
			if n := attempts.Load(); n != int64(cfg.MaxRetries)+1 {
				t.Errorf("attempts = %d, want %d", n, cfg.MaxRetries+1)
			}
		})
	}
}

// TestEnvelopeAndCorrelation: the handler sees the envelope metadata, and an event published while
// handling carries the same correlation id.
func TestEnvelopeAndCorrelation(t *testing.T) {
	tg := harness.Standalone(t)
	var b *busnode.Node
	envs := make(chan ports.Envelope, 2)
	b = startBus(t, tg, testConfig(tg.Prefix),
		ports.EventHandler{Name: "echo", Event: "test.pinged", Handle: func(ctx context.Context, e ports.Envelope) error {
			envs <- e
			var p pinged
			if err := e.Decode(&p); err != nil {
				return err
			}
			return b.Publisher.Publish(ctx, echoed(p))
		}},
		ports.EventHandler{Name: "sink", Event: "test.echoed", Handle: func(ctx context.Context, e ports.Envelope) error {
			envs <- e
			return nil
		}},
	)
	before := time.Now()
	ctx := ports.WithCorrelationID(context.Background(), "req-1234abcd")
	if err := b.Publisher.Publish(ctx, pinged{N: 5}); err != nil {
		t.Fatal(err)
	}
	first, second := <-envs, <-envs
	if first.Name != "test.pinged" || first.Version != 3 || first.Source != "test" || first.ID == "" {
		t.Errorf("envelope = %+v", first)
	}
	if first.OccurredAt.Before(before.Add(-time.Second)) || first.OccurredAt.After(time.Now()) {
		t.Errorf("occurred_at = %v, want about %v", first.OccurredAt, before)
	}
	if first.CorrelationID != "req-1234abcd" || second.CorrelationID != "req-1234abcd" {
		t.Errorf("correlation ids = %q, %q, want req-1234abcd for both", first.CorrelationID, second.CorrelationID)
	}
	if second.Name != "test.echoed" || string(second.Payload) != `{"n":5}` {
		t.Errorf("echo envelope = %+v (payload %s)", second, second.Payload)
	}
}

// TestStreamsAreCapped: a stream never grows far past MaxLen (trimming is approximate: whole nodes of
// 100 entries).
func TestStreamsAreCapped(t *testing.T) {
	tg := harness.Standalone(t)
	cfg := testConfig(tg.Prefix)
	cfg.MaxLen = 100
	b := startBus(t, tg, cfg)
	publishN(t, b, 0, 1000)
	waitFor(t, "outbox relayed", func() bool { return tg.Client.XLen(context.Background(), b.Outbox.For("test.pinged")).Val() == 0 })
	n := tg.Client.XLen(context.Background(), eventbus.Topic(tg.Prefix, "test.pinged")).Val()
	if n < 100 || n > 200 {
		t.Errorf("stream length = %d, want between 100 and 200", n)
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := eventbus.DefaultConfig("statekit")
	if err := cfg.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	bad := cfg
	bad.ClaimIdle = time.Second // default retries back off for about 0.5 s in the worst case
	if err := bad.Validate(); err == nil {
		t.Error("claim idle barely above the retry time: want an error")
	}
	bad = cfg
	bad.Prefix = ""
	if err := bad.Validate(); err == nil {
		t.Error("empty prefix: want an error")
	}
	if _, err := eventbus.New(cfg, func() redis.UniversalClient { return redis.NewClient(&redis.Options{}) }, quiet, eventbus.NewMetrics(prometheus.NewRegistry()),
		[]ports.EventHandler{{Name: "Bad Name!", Event: "x.y", Handle: func(context.Context, ports.Envelope) error { return nil }}}); err == nil {
		t.Error("invalid handler name: want an error")
	}
}

// subscribeRaw reads a stream with a plain Watermill subscriber, to see metadata the envelope hides.
func subscribeRaw(t *testing.T, tg harness.Target, topic string) <-chan *messageWithAck {
	t.Helper()
	sub, err := redisstream.NewSubscriber(redisstream.SubscriberConfig{
		Client: busnode.Factory(tg)(), ConsumerGroup: "raw", OldestId: "0", DisableIndefiniteInitialBlock: true,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	msgs, err := sub.Subscribe(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan *messageWithAck, 10)
	go func() {
		for m := range msgs {
			m.Ack()
			out <- &messageWithAck{Metadata: m.Metadata}
		}
	}()
	return out
}

type messageWithAck struct {
	Metadata interface{ Get(string) string }
}

// TestNewGroupsStartAtTheEnd: a handler subscribed after events were published sees only later events,
// unless it asks for replay; a fan-out handler likewise.
func TestNewGroupsStartAtTheEnd(t *testing.T) {
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		cfg := testConfig(tg.Prefix)
		early := newSeen()
		first := startBus(t, tg, cfg, early.handler("early", false))
		const n = 20
		publishN(t, first, 0, n)
		waitFor(t, "early handler", func() bool { return early.total.Load() == n })

		late, history := newSeen(), newSeen()
		cfg.Consumer = "second"
		h := history.handler("history", false)
		h.Replay = true
		second := startBus(t, tg, cfg, late.handler("late", false), h)
		publishN(t, second, n, 1)
		waitFor(t, "history replayed", func() bool { return history.total.Load() == n+1 })
		waitFor(t, "late handler", func() bool { return late.total.Load() >= 1 })
		time.Sleep(100 * time.Millisecond) // give an old event the chance to show
		late.mu.Lock()
		defer late.mu.Unlock()
		if late.total.Load() != 1 || late.counts[n] != 1 {
			t.Errorf("late handler saw %v, want only event %d", late.counts, n)
		}
	})
}

// TestEnvelopeIDIsStableAcrossRelays: forwarding the same envelope twice (a relay that died before
// deleting its batch) reaches a handler twice with the same id, so it can dedupe.
func TestEnvelopeIDIsStableAcrossRelays(t *testing.T) {
	tg := harness.Standalone(t)
	envs := make(chan ports.Envelope, 4)
	b := startBus(t, tg, testConfig(tg.Prefix), ports.EventHandler{Name: "ids", Event: "test.pinged",
		Handle: func(ctx context.Context, e ports.Envelope) error { envs <- e; return nil }})
	at := time.UnixMilli(1_700_000_000_123).UTC()
	env := ports.Envelope{ID: "ob.0.1700000000123-0", Name: "test.pinged", Version: 3, OccurredAt: at,
		CorrelationID: "req-1", Source: "test", Payload: []byte(`{"n":1}`)}
	for range 2 {
		if err := b.Bus.Forward(context.Background(), []ports.Envelope{env}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		got := wait.Receive(t, 10*time.Second, "forwarded envelope", envs)
		if got.ID != env.ID || got.Name != env.Name || got.Version != 3 || !got.OccurredAt.Equal(at) ||
			got.CorrelationID != "req-1" || got.Source != "test" || string(got.Payload) != `{"n":1}` {
			t.Errorf("delivery %d: %+v, want %+v", i, got, env)
		}
	}
}
