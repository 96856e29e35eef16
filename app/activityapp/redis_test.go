package activityapp_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/statekit/statekit/adapters/redis/activityredis"
	"github.com/statekit/statekit/app/activityapp"
	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

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

// TestCartMergedRecordedOnceUnderRedelivery delivers one cart.merged event five times, concurrently, to
// the handlers of two instances over real Redis: the user's feed and the global feed hold one activity,
// and every delivery publishes activity.recorded with that one activity id.
func TestCartMergedRecordedOnceUnderRedelivery(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := context.Background()
		bus := &busRecorder{}
		policy := activity.DefaultPolicy()
		handlers := []ports.EventHandler{
			activityapp.CartMergedHandler(activityapp.NewService(activityredis.New(tg.Client, tg.Prefix, policy, nil), bus, policy)),
			activityapp.CartMergedHandler(activityapp.NewService(activityredis.New(tg.Client, tg.Prefix, policy, nil), bus, policy)),
		}
		env := envelope(t, "0d4c6a8e-1f2b-4c3d-9e8f-7a6b5c4d3e2f", cart.Merged{UserID: "dora", GuestCartID: "g-1",
			LinesMerged: 2, Policy: "max", MergedAt: t0})
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Go(func() {
				if err := handlers[i%2].Handle(ctx, env); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		svc := activityapp.NewService(activityredis.New(tg.Client, tg.Prefix, policy, nil), bus, policy)
		feed, err := svc.Feed(ctx, "dora", "", 10)
		if err != nil || len(feed.Items) != 1 {
			t.Fatalf("feed = %+v, %v; want one activity", feed, err)
		}
		a := feed.Items[0]
		if a.ID != env.ID || a.Action != activity.ActionCartMerged || a.Object != "cart/g-1" ||
			a.Properties["lines_merged"] != "2" || a.Properties["policy"] != "max" {
			t.Errorf("recorded %+v", a)
		}
		global, _ := svc.Global(ctx, "", 10)
		if len(global.Items) != 1 {
			t.Errorf("global feed holds %d activities, want 1", len(global.Items))
		}
		bus.mu.Lock()
		defer bus.mu.Unlock()
		if len(bus.events) != 5 {
			t.Fatalf("published %d events for 5 deliveries", len(bus.events))
		}
		for _, e := range bus.events {
			r, ok := e.(activity.Recorded)
			if !ok || r.ActivityID != env.ID || r.UserID != "dora" || !r.At.Equal(a.At) {
				t.Errorf("published %+v, want activity.recorded of %s", e, env.ID)
			}
		}
	})
}
