package flagapp_test

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/flagredis"
	"github.com/statekit/statekit/app/flagapp"
	"github.com/statekit/statekit/domain/flag"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// busRecorder is a ports.EventPublisher that keeps what is published, so a test can deliver it by hand.
type busRecorder struct {
	mu     sync.Mutex
	events []ports.Event
}

func (b *busRecorder) Publish(_ context.Context, events ...ports.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, events...)
	return nil
}

func (b *busRecorder) take() []ports.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.events
	b.events = nil
	return out
}

// instance is one statekit instance's flags module over a shared Redis.
type instance struct {
	svc  *flagapp.Service
	snap *flagapp.Snapshot
	sync *flagapp.Syncer
}

func newInstance(t *testing.T, tg harness.Target, bus ports.EventPublisher) instance {
	t.Helper()
	store := flagredis.New(tg.Client, tg.Prefix, nil)
	cfg := flagapp.DefaultConfig()
	snap := flagapp.NewSnapshot(store, cfg)
	if err := snap.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return instance{svc: flagapp.NewService(store, bus, snap), snap: snap,
		sync: flagapp.NewSyncer(snap, store, bus, cfg, slog.New(slog.DiscardHandler))}
}

// TestToggleReachesTheOtherInstance: a change made on instance A is in A's snapshot at once and in B's
// after B handles the flags.toggled event, with no version check; a change whose event B never sees is
// caught by B's version check.
func TestToggleReachesTheOtherInstance(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := context.Background()
		bus := &busRecorder{}
		a, b := newInstance(t, tg, bus), newInstance(t, tg, bus)
		user := &flag.Context{UserID: "user-1"}

		if _, err := a.svc.Put(ctx, "ops", rollout("search", 100), flag.MustNotExist); err != nil {
			t.Fatal(err)
		}
		if !a.snap.Evaluate("search", user).On {
			t.Fatal("A does not serve its own change")
		}
		if r := b.snap.Evaluate("search", user); r.Reason != flag.ReasonNotFound {
			t.Fatalf("B knows the flag before any event: %+v", r)
		}
		deliver(t, b, bus.take())
		if r := b.snap.Evaluate("search", user); !r.On || r.Version != a.snap.Version() {
			t.Fatalf("B after the event: %+v (A at %d)", r, a.snap.Version())
		}

		// The kill switch on A; its event is lost on the way to B.
		if _, err := a.svc.SetEnabled(ctx, "ops", "search", false); err != nil {
			t.Fatal(err)
		}
		bus.take()
		if !b.snap.Evaluate("search", user).On {
			t.Fatal("B changed without an event or a check")
		}
		if err := b.sync.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if r := b.snap.Evaluate("search", user); r.Reason != flag.ReasonOff {
			t.Errorf("B after its version check: %+v, want off", r)
		}
	})
}

func deliver(t *testing.T, in instance, events []ports.Event) {
	t.Helper()
	h := flagapp.SnapshotHandler(in.snap)
	for i, e := range events {
		if err := h.Handle(context.Background(), envelope(t, string(rune('a'+i)), e)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuditRecordedOnceUnderRedelivery delivers every flags.toggled of a flag's life several times,
// concurrently, to the audit handler of two instances: the trail holds each change exactly once.
func TestAuditRecordedOnceUnderRedelivery(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := context.Background()
		bus := &busRecorder{}
		a := newInstance(t, tg, bus)
		steps := []func() error{
			func() error { _, err := a.svc.Put(ctx, "ops", rollout("f", 10), 0); return err },
			func() error { _, err := a.svc.Put(ctx, "ops", rollout("f", 20), 0); return err },
			func() error { _, err := a.svc.SetEnabled(ctx, "oncall", "f", false); return err },
			func() error { _, err := a.svc.Delete(ctx, "ops", "f", 0); return err },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
		events := bus.take()
		if len(events) != len(steps) {
			t.Fatalf("published %d events for %d changes", len(events), len(steps))
		}
		handlers := []ports.EventHandler{
			flagapp.AuditHandler(flagredis.New(tg.Client, tg.Prefix, nil)),
			flagapp.AuditHandler(flagredis.New(tg.Client, tg.Prefix, nil)),
		}
		var wg sync.WaitGroup
		for round := range 3 {
			for i, e := range events {
				env := envelope(t, "evt-"+string(rune('a'+i)), e)
				wg.Go(func() {
					if err := handlers[(round+i)%2].Handle(ctx, env); err != nil {
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()
		trail, err := a.svc.Audit(ctx, "f", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		wantKinds := []flag.ChangeKind{flag.ChangeDeleted, flag.ChangeDisabled, flag.ChangeUpdated, flag.ChangeCreated}
		if len(trail) != len(wantKinds) {
			t.Fatalf("audit trail has %d entries, want %d: %+v", len(trail), len(wantKinds), trail)
		}
		for i, e := range trail {
			if e.Change != wantKinds[i] || (i > 0 && e.Version >= trail[i-1].Version) {
				t.Errorf("entry %d = %s v%d", i, e.Change, e.Version)
			}
		}
		if d := trail[1]; d.Actor != "oncall" || d.Before == nil || !d.Before.Enabled || d.After == nil || d.After.Enabled {
			t.Errorf("kill switch entry = %+v", d)
		}
		if time.Since(trail[0].At) > time.Minute {
			t.Errorf("entry time %s, want about now", trail[0].At)
		}
	})
}

// TestEvaluationCountsReachRedis: evaluations from many goroutines are counted in memory and land in
// Redis, exactly, with one flush.
func TestEvaluationCountsReachRedis(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	ctx := context.Background()
	in := newInstance(t, tg, &busRecorder{})
	if _, err := in.svc.Put(ctx, "ops", rollout("half", 50), 0); err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 16, 2000
	var wg sync.WaitGroup
	var mu sync.Mutex
	local := map[string]int64{}
	for g := range goroutines {
		wg.Go(func() {
			counts := map[string]int64{}
			for i := range each {
				r := in.snap.Evaluate("half", &flag.Context{UserID: "user-" + strconv.Itoa(g) + "-" + strconv.Itoa(i)})
				counts[r.Variant]++
			}
			mu.Lock()
			for k, v := range counts {
				local[k] += v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := in.sync.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := in.svc.Counts(ctx, "half")
	if err != nil {
		t.Fatal(err)
	}
	if got["on"] != local["on"] || got["off"] != local["off"] || got["on"]+got["off"] != goroutines*each {
		t.Errorf("stored counts %v, counted %v", got, local)
	}
}
