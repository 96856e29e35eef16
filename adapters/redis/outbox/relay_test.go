package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/statekit/statekit/adapters/redis/outbox"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/wait"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// noted is a test event.
type noted struct {
	N int `json:"n"`
}

func (noted) EventName() string { return "test.noted" }
func (noted) EventVersion() int { return 2 }

// sink is a Forwarder that records what it is given and can be told to fail.
type sink struct {
	mu    sync.Mutex
	envs  []ports.Envelope
	fails int
}

func (s *sink) Forward(_ context.Context, envs []ports.Envelope) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fails > 0 {
		s.fails--
		return errors.New("topic streams away")
	}
	s.envs = append(s.envs, envs...)
	return nil
}

func (s *sink) got() []ports.Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ports.Envelope(nil), s.envs...)
}

// instance is one process's outbox, publisher and relay (not started).
type instance struct {
	ob    *outbox.Outbox
	pub   *outbox.Publisher
	relay *outbox.Relay
	reg   *prometheus.Registry
}

// metric is the value of the named counter or gauge of the instance.
func (in instance) metric(t *testing.T, name string) float64 {
	t.Helper()
	families, err := in.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			m := f.GetMetric()[0]
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func newInstance(t *testing.T, tg harness.Target, fwd outbox.Forwarder, cfg outbox.Config) instance {
	t.Helper()
	ob := outbox.New(tg.Client, tg.Prefix, cfg)
	reg := prometheus.NewRegistry()
	relay, err := outbox.NewRelay(ob, tg.Client, fwd, cfg, quiet, outbox.NewMetrics(reg))
	if err != nil {
		t.Fatal(err)
	}
	return instance{ob: ob, pub: outbox.NewPublisher(tg.Client, ob), relay: relay, reg: reg}
}

func (in instance) start(t *testing.T) {
	t.Helper()
	if err := in.relay.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := in.relay.Stop(ctx); err != nil {
			t.Errorf("relay Stop: %v", err)
		}
	})
}

func testConfig() outbox.Config {
	cfg := outbox.DefaultConfig()
	cfg.SweepInterval = time.Hour // tests call Sweep themselves
	cfg.SweepGrace = time.Millisecond
	cfg.Batch = 7 // several batches per relay
	return cfg
}

// TestPublishThenRelay: published events reach the forwarder in order with their metadata, and leave the
// outbox.
func TestPublishThenRelay(t *testing.T) {
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		fwd := &sink{}
		in := newInstance(t, tg, fwd, testConfig())
		in.start(t)
		ctx := ports.WithCorrelationID(context.Background(), "req-42")
		before := time.Now().Add(-time.Second)
		const n = 30
		for i := range n {
			if err := in.pub.Publish(ctx, noted{N: i}); err != nil {
				t.Fatal(err)
			}
		}
		wait.Until(t, 10*time.Second, 5*time.Millisecond, "relayed", func() bool { return len(fwd.got()) == n })
		ids := map[string]bool{}
		for i, e := range fwd.got() {
			if e.Name != "test.noted" || e.Version != 2 || e.Source != "test" || e.CorrelationID != "req-42" ||
				string(e.Payload) != fmt.Sprintf(`{"n":%d}`, i) || e.OccurredAt.Before(before) ||
				!strings.HasPrefix(e.ID, "ob.") || ids[e.ID] {
				t.Errorf("envelope %d: %+v (payload %s)", i, e, e.Payload)
			}
			ids[e.ID] = true
		}
		// The relay deletes a batch and counts it after forwarding it, so both can trail what was forwarded.
		key := in.ob.For("test.noted")
		wait.Until(t, 10*time.Second, 5*time.Millisecond, "outbox emptied and counted", func() bool {
			return tg.Client.XLen(ctx, key).Val() == 0 && in.metric(t, "statekit_outbox_relayed_total") == n
		})
	})
}

// TestSweepFinishesWhatADeadInstanceLeft: events written by an instance whose relay never ran are
// forwarded by another instance's sweep; a failed forward leaves them in place, and the next sweep
// forwards them under the same envelope ids.
func TestSweepFinishesWhatADeadInstanceLeft(t *testing.T) {
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := context.Background()
		dead := newInstance(t, tg, &sink{}, testConfig()) // never started
		fwd := &sink{fails: 1}
		live := newInstance(t, tg, fwd, testConfig())
		const n = 20
		for i := range n {
			// Events of several names land in several streams on a cluster.
			if err := dead.pub.Publish(ctx, named{name: fmt.Sprintf("test.e%d", i%4), N: i}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(5 * time.Millisecond) // past the grace
		if _, err := live.relay.Sweep(ctx); err == nil {
			t.Fatal("sweep with a failing forwarder: want an error")
		}
		pending, err := live.relay.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pending != n {
			t.Errorf("sweep found %d pending, want %d", pending, n)
		}
		got := fwd.got()
		if len(got) != n {
			t.Fatalf("forwarded %d, want %d", len(got), n)
		}
		seen := map[int]bool{}
		for _, e := range got {
			var p named
			if err := e.Decode(&p); err != nil {
				t.Fatal(err)
			}
			seen[p.N] = true
		}
		if len(seen) != n {
			t.Errorf("forwarded events %v, want each of 0..%d once", seen, n-1)
		}
		if left, _ := live.relay.Sweep(ctx); left != 0 {
			t.Errorf("outbox holds %d entries after the sweep", left)
		}
		if lag := live.metric(t, "statekit_outbox_lag_seconds"); lag != 0 {
			t.Errorf("lag after an empty sweep = %v, want 0", lag)
		}
	})
}

// TestSweepLeavesFreshEntries: the sweep does not relay entries younger than the grace (the writer's
// own fast path is about to).
func TestSweepLeavesFreshEntries(t *testing.T) {
	tg := harness.Standalone(t)
	ctx := context.Background()
	cfg := testConfig()
	cfg.SweepGrace = time.Hour
	fwd := &sink{}
	in := newInstance(t, tg, fwd, cfg)
	if err := in.pub.Publish(ctx, noted{N: 1}); err != nil {
		t.Fatal(err)
	}
	pending, err := in.relay.Sweep(ctx)
	if err != nil || pending != 1 || len(fwd.got()) != 0 {
		t.Errorf("sweep: pending %d, err %v, forwarded %d; want 1 pending, nothing forwarded", pending, err, len(fwd.got()))
	}
	if got := in.metric(t, "statekit_outbox_pending"); got != 1 {
		t.Errorf("pending metric = %v, want 1", got)
	}
}

// TestOneRelayPerStream: three instances publishing from many goroutines and relaying the same streams
// forward each event exactly once (the per-stream lease keeps two relays off one stream).
func TestOneRelayPerStream(t *testing.T) {
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		fwd := &sink{}
		var ins []instance
		for range 3 {
			in := newInstance(t, tg, fwd, testConfig())
			in.start(t)
			ins = append(ins, in)
		}
		const goroutines, each = 12, 40
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					ev := named{name: fmt.Sprintf("test.e%d", i%3), N: g*each + i}
					if err := ins[g%3].pub.Publish(context.Background(), ev); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		wait.Until(t, 20*time.Second, 5*time.Millisecond, "all relayed", func() bool { return len(fwd.got()) >= goroutines*each })
		time.Sleep(100 * time.Millisecond) // give a duplicate the chance to show
		counts := map[int]int{}
		for _, e := range fwd.got() {
			var p named
			if err := e.Decode(&p); err != nil {
				t.Fatal(err)
			}
			counts[p.N]++
		}
		for i := range goroutines * each {
			if counts[i] != 1 {
				t.Errorf("event %d forwarded %d times, want 1", i, counts[i])
			}
		}
	})
}

// named is a test event whose name the test picks.
type named struct {
	name string
	N    int `json:"n"`
}

func (e named) EventName() string { return e.name }
func (named) EventVersion() int   { return 1 }
