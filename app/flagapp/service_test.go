package flagapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/statekit/statekit/app/flagapp"
	"github.com/statekit/statekit/domain/flag"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/ports/mocks"
)

var t0 = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

func pct(p float64) *float64 { return &p }

func rollout(key string, p float64) flag.Flag {
	return flag.Flag{Key: key, Type: flag.TypeBoolean, Enabled: true, DefaultVariant: flag.VariantOff,
		Rules: []flag.Rule{{Conditions: []flag.Condition{{Op: flag.OpPercentage, Percent: pct(p)}}, Variant: flag.VariantOn}}}
}

// stored is f as the store would hand it back at version v.
func stored(f flag.Flag, v int64) flag.Flag {
	f.Version, f.UpdatedAt, f.UpdatedBy = v, t0, "ops"
	return f
}

type fixture struct {
	store *mocks.MockFlagStore
	pub   *mocks.MockEventPublisher
	snap  *flagapp.Snapshot
	svc   *flagapp.Service
}

func newFixture(t *testing.T, cfg flagapp.Config) fixture {
	ctrl := gomock.NewController(t)
	store, pub := mocks.NewMockFlagStore(ctrl), mocks.NewMockEventPublisher(ctrl)
	snap := flagapp.NewSnapshot(store, cfg)
	return fixture{store: store, pub: pub, snap: snap, svc: flagapp.NewService(store, pub, snap)}
}

func TestPutRefusesBadInputWithoutTouchingTheStore(t *testing.T) {
	f := newFixture(t, flagapp.DefaultConfig()) // no expectations: any store or bus call fails the test
	ctx := context.Background()
	bad := []struct {
		name   string
		actor  string
		flag   flag.Flag
		expect int64
	}{
		{"malformed rule", "ops", flag.Flag{Key: "f", Type: flag.TypeBoolean, Rules: []flag.Rule{{Conditions: []flag.Condition{{Op: "regex", Attribute: "a", Value: ".*"}}}}}, 0},
		{"absurd percentage", "ops", rollout("f", 250), 0},
		{"negative percentage", "ops", rollout("f", -1), 0},
		{"key with colon", "ops", rollout("a:b", 5), 0},
		{"key with braces", "ops", rollout("{f}", 5), 0},
		{"key with star", "ops", rollout("f*", 5), 0},
		{"actor with colon", "a:b", rollout("f", 5), 0},
		{"no actor", "", rollout("f", 5), 0},
		{"expected version below -1", "ops", rollout("f", 5), -2},
	}
	for _, b := range bad {
		if _, err := f.svc.Put(ctx, b.actor, b.flag, b.expect); !errors.Is(err, flag.ErrInvalid) {
			t.Errorf("%s: Put = %v, want ErrInvalid", b.name, err)
		}
	}
	for _, key := range []string{"", "a:b", "{x}", "*", strings.Repeat("k", 65)} {
		if _, err := f.svc.SetEnabled(ctx, "ops", key, false); !errors.Is(err, flag.ErrInvalid) {
			t.Errorf("SetEnabled(%q) = %v", key, err)
		}
		if _, err := f.svc.Delete(ctx, "ops", key, 0); !errors.Is(err, flag.ErrInvalid) {
			t.Errorf("Delete(%q) = %v", key, err)
		}
		if _, err := f.svc.Get(ctx, key); !errors.Is(err, flag.ErrInvalid) {
			t.Errorf("Get(%q) = %v", key, err)
		}
		if _, err := f.svc.Audit(ctx, key, 0, 0); !errors.Is(err, flag.ErrInvalid) {
			t.Errorf("Audit(%q) = %v", key, err)
		}
	}
	if _, err := f.svc.Audit(ctx, "f", 0, flagapp.MaxAuditLimit+1); !errors.Is(err, flag.ErrInvalid) {
		t.Errorf("Audit with a huge limit = %v", err)
	}
	if _, err := f.svc.Delete(ctx, "ops", "f", flag.MustNotExist); !errors.Is(err, flag.ErrInvalid) {
		t.Errorf("Delete(MustNotExist) = %v", err)
	}
}

func TestPutPublishesToggledAndRefreshesTheSnapshot(t *testing.T) {
	f := newFixture(t, flagapp.DefaultConfig())
	ctx := context.Background()
	in := rollout("new-checkout", 100)
	before := stored(rollout("new-checkout", 10), 3)
	after := stored(in, 4)
	change := flag.Change{Key: in.Key, Kind: flag.ChangeUpdated, Version: 4, Actor: "ops", At: t0, Before: &before, After: &after}
	gomock.InOrder(
		f.store.EXPECT().Put(ctx, in, int64(3), "ops").Return(change, nil),
		f.pub.EXPECT().Publish(ctx, flag.Toggled{Key: in.Key, Change: flag.ChangeUpdated, Version: 4, Actor: "ops", At: t0,
			Before: &before, After: &after}).Return(nil),
		f.store.EXPECT().All(ctx).Return(flag.Set{Version: 4, Flags: []flag.Flag{after}}, nil),
	)
	got, err := f.svc.Put(ctx, "ops", in, 3)
	if err != nil || !reflect.DeepEqual(got, change) {
		t.Fatalf("Put = %+v, %v", got, err)
	}
	if f.snap.Version() != 4 {
		t.Errorf("snapshot version = %d, want 4", f.snap.Version())
	}
	if r := f.snap.Evaluate("new-checkout", &flag.Context{UserID: "u"}); r.Variant != flag.VariantOn || r.Version != 4 {
		t.Errorf("Evaluate after Put = %+v", r)
	}
}

func TestChangeWithTheBusDown(t *testing.T) {
	f := newFixture(t, flagapp.DefaultConfig())
	ctx := context.Background()
	after := stored(rollout("f", 1), 1)
	after.Enabled = false
	change := flag.Change{Key: "f", Kind: flag.ChangeDisabled, Version: 1, Actor: "ops", At: t0, Before: &after, After: &after}
	errBus := errors.New("bus down")
	f.store.EXPECT().SetEnabled(ctx, "f", false, "ops").Return(change, nil)
	f.pub.EXPECT().Publish(ctx, gomock.Any()).Return(errBus)
	f.store.EXPECT().All(ctx).Return(flag.Set{Version: 1, Flags: []flag.Flag{after}}, nil)
	got, err := f.svc.SetEnabled(ctx, "ops", "f", false)
	if !errors.Is(err, flagapp.ErrEventNotPublished) || !errors.Is(err, errBus) || got.Version != 1 {
		t.Errorf("SetEnabled with the bus down = %+v, %v", got, err)
	}
	// The change is stored, so this instance serves it anyway.
	if r := f.snap.Evaluate("f", &flag.Context{UserID: "u"}); r.Reason != flag.ReasonOff {
		t.Errorf("Evaluate = %+v, want off", r)
	}
}

func TestStoreErrorsPassThrough(t *testing.T) {
	f := newFixture(t, flagapp.DefaultConfig())
	ctx := context.Background()
	f.store.EXPECT().Put(ctx, gomock.Any(), flag.MustNotExist, "ops").Return(flag.Change{}, flag.ErrVersionConflict)
	if _, err := f.svc.Put(ctx, "ops", rollout("f", 1), flag.MustNotExist); !errors.Is(err, flag.ErrVersionConflict) {
		t.Errorf("Put = %v", err)
	}
	f.store.EXPECT().Delete(ctx, "f", int64(0), "ops").Return(flag.Change{}, ports.ErrUnavailable)
	if _, err := f.svc.Delete(ctx, "ops", "f", 0); !errors.Is(err, ports.ErrUnavailable) {
		t.Errorf("Delete = %v", err)
	}
}

func TestEvaluateValidatesOutsideInput(t *testing.T) {
	f := newFixture(t, flagapp.DefaultConfig())
	many := make([]string, flagapp.MaxEvaluateKeys+1)
	for i := range many {
		many[i] = "k"
	}
	bad := []struct {
		ctx  flag.Context
		keys []string
	}{
		{flag.Context{UserID: "a:b"}, nil},
		{flag.Context{UserID: "u", Attributes: map[string]string{"{x}": "1"}}, nil},
		{flag.Context{UserID: "u"}, []string{"ok", "no*"}},
		{flag.Context{UserID: "u"}, many},
	}
	for _, b := range bad {
		if _, _, err := f.svc.Evaluate(b.ctx, b.keys); !errors.Is(err, flag.ErrInvalid) {
			t.Errorf("Evaluate(%+v, %d keys) = %v", b.ctx, len(b.keys), err)
		}
	}
}

func TestSnapshotKeepsGoodFlagsWhenOneDoesNotCompile(t *testing.T) {
	f := newFixture(t, flagapp.DefaultConfig())
	ctx := context.Background()
	broken := stored(rollout("broken", 500), 2) // written by something that did not validate
	f.store.EXPECT().All(ctx).Return(flag.Set{Version: 2, Flags: []flag.Flag{stored(rollout("good", 100), 1), broken}}, nil)
	err := f.snap.Refresh(ctx)
	if !errors.Is(err, flag.ErrInvalid) || !strings.Contains(err.Error(), "broken") {
		t.Errorf("Refresh = %v, want the broken flag reported", err)
	}
	results, version := f.snap.EvaluateAll(&flag.Context{UserID: "u"}, nil)
	if version != 2 || len(results) != 1 || results[0].Key != "good" || !results[0].On {
		t.Errorf("EvaluateAll = %+v at %d", results, version)
	}
	if r := f.snap.Evaluate("broken", &flag.Context{UserID: "u"}); r.Reason != flag.ReasonNotFound || r.VariantIndex != -1 {
		t.Errorf("Evaluate(broken) = %+v", r)
	}
}

func TestSyncRefreshesOnlyWhenTheVersionMoved(t *testing.T) {
	f := newFixture(t, flagapp.DefaultConfig())
	ctx := context.Background()
	sy := flagapp.NewSyncer(f.snap, f.store, f.pub, flagapp.DefaultConfig(), slog.New(slog.DiscardHandler))
	gomock.InOrder(
		f.store.EXPECT().Version(ctx).Return(int64(0), nil), // never loaded: loads even at version 0
		f.store.EXPECT().All(ctx).Return(flag.Set{}, nil),
		f.store.EXPECT().Version(ctx).Return(int64(0), nil), // loaded and current: nothing to do
		f.store.EXPECT().Version(ctx).Return(int64(5), nil), // a change this instance missed
		f.store.EXPECT().All(ctx).Return(flag.Set{Version: 5, Flags: []flag.Flag{stored(rollout("f", 100), 5)}}, nil),
		f.store.EXPECT().Version(ctx).Return(int64(0), ports.ErrUnavailable),
	)
	for range 3 {
		if err := sy.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if f.snap.Version() != 5 || !f.snap.Evaluate("f", &flag.Context{UserID: "u"}).On {
		t.Errorf("snapshot at %d after a missed change", f.snap.Version())
	}
	if err := sy.Sync(ctx); !errors.Is(err, ports.ErrUnavailable) {
		t.Errorf("Sync with Redis down = %v", err)
	}
}

func TestFlushBatchesCountsAndKeepsThemOnFailure(t *testing.T) {
	cfg := flagapp.DefaultConfig()
	cfg.SampleEvery = 4
	f := newFixture(t, cfg)
	ctx := context.Background()
	ab := flag.Flag{Key: "ab", Type: flag.TypeMultivariate, Enabled: true, OffVariant: "a",
		Variants: []flag.Variant{{Name: "a", Weight: 1}, {Name: "b", Weight: 0}}}
	f.store.EXPECT().All(ctx).Return(flag.Set{Version: 1, Flags: []flag.Flag{stored(rollout("on", 100), 1), stored(ab, 1)}}, nil)
	if err := f.snap.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		f.snap.Evaluate("on", &flag.Context{UserID: "u"})
	}
	for range 3 {
		f.snap.Evaluate("ab", &flag.Context{UserID: "u"})
		f.snap.Evaluate("missing", &flag.Context{UserID: "u"})
	}
	sy := flagapp.NewSyncer(f.snap, f.store, f.pub, cfg, slog.New(slog.DiscardHandler))
	want := []flag.Count{{Key: "ab", Variant: "a", N: 3}, {Key: "on", Variant: "on", N: 10}}
	errRedis := errors.New("redis down")
	gomock.InOrder(
		f.store.EXPECT().AddCounts(ctx, sameCounts(want)).Return(errRedis),
		f.pub.EXPECT().Publish(ctx, gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, events ...ports.Event) error {
			for _, e := range events {
				ev := e.(flag.Evaluated)
				if ev.Key != "on" || ev.Variant != flag.VariantOn || ev.SampleEvery != 4 || ev.UserID != "u" {
					t.Errorf("sampled %+v", ev)
				}
			}
			return nil
		}),
		// The failed counts come back in the next flush, with what was counted since.
		f.store.EXPECT().AddCounts(ctx, sameCounts([]flag.Count{{Key: "ab", Variant: "a", N: 3}, {Key: "on", Variant: "on", N: 11}})).Return(nil),
	)
	if err := sy.Flush(ctx); !errors.Is(err, errRedis) {
		t.Fatalf("Flush = %v", err)
	}
	f.snap.Evaluate("on", &flag.Context{UserID: "u"})
	if err := sy.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sy.Flush(ctx); err != nil { // nothing counted: no round trip
		t.Fatal(err)
	}
}

// sameCounts matches a []flag.Count regardless of order.
func sameCounts(want []flag.Count) gomock.Matcher { return countsMatcher{want: sortCounts(want)} }

type countsMatcher struct{ want string }

func (m countsMatcher) Matches(x any) bool {
	c, ok := x.([]flag.Count)
	return ok && sortCounts(c) == m.want
}

func (m countsMatcher) String() string { return "counts " + m.want }

func sortCounts(cs []flag.Count) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		raw, _ := json.Marshal(c)
		parts = append(parts, string(raw))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// envelope is ev as the bus delivers it.
func envelope(t *testing.T, id string, ev ports.Event) ports.Envelope {
	t.Helper()
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return ports.Envelope{ID: id, Name: ev.EventName(), Version: ev.EventVersion(), OccurredAt: t0, Payload: raw}
}

func TestHandlers(t *testing.T) {
	f := newFixture(t, flagapp.DefaultConfig())
	ctx := context.Background()
	after := stored(rollout("f", 30), 7)
	toggled := flag.Toggled{Key: "f", Change: flag.ChangeCreated, Version: 7, Actor: "ops", At: t0, After: &after}

	audit := flagapp.AuditHandler(f.store)
	if audit.Name != flagapp.AuditHandlerName || audit.Event != "flags.toggled" || audit.FanOut {
		t.Errorf("audit handler = %+v, want a consumer group on flags.toggled", audit)
	}
	f.store.EXPECT().RecordAudit(ctx, flag.AuditEntry{Key: "f", Change: flag.ChangeCreated, Version: 7, Actor: "ops",
		At: t0, After: &after}).Return(true, nil)
	if err := audit.Handle(ctx, envelope(t, "e1", toggled)); err != nil {
		t.Fatal(err)
	}
	bad := envelope(t, "e2", toggled)
	bad.Payload = []byte(`{"key":"a:b","version":7}`)
	if err := audit.Handle(ctx, bad); err == nil {
		t.Error("audit handler accepted a change of an invalid key")
	}
	bad.Payload = []byte(`not json`)
	if err := audit.Handle(ctx, bad); err == nil {
		t.Error("audit handler accepted a payload that is not JSON")
	}

	snapH := flagapp.SnapshotHandler(f.snap)
	if !snapH.FanOut || snapH.Event != "flags.toggled" {
		t.Errorf("snapshot handler = %+v, want fan-out on flags.toggled", snapH)
	}
	f.store.EXPECT().All(gomock.Any()).Return(flag.Set{Version: 7, Flags: []flag.Flag{after}}, nil)
	if err := snapH.Handle(ctx, envelope(t, "e1", toggled)); err != nil {
		t.Fatal(err)
	}
	// The same version again (redelivery, or this instance's own change) costs nothing.
	if err := snapH.Handle(ctx, envelope(t, "e1", toggled)); err != nil {
		t.Fatal(err)
	}
	if f.snap.Version() != 7 {
		t.Errorf("snapshot version = %d", f.snap.Version())
	}
}

// TestSyncerLifecycle: Start loads the snapshot (a failed first load is not fatal), Stop ends the goroutine
// and flushes what was counted since the last flush.
func TestSyncerLifecycle(t *testing.T) {
	cfg := flagapp.Config{SyncInterval: time.Hour, FlushInterval: time.Hour}
	f := newFixture(t, cfg)
	ctx := context.Background()
	sy := flagapp.NewSyncer(f.snap, f.store, f.pub, cfg, slog.New(slog.DiscardHandler))
	gomock.InOrder(
		f.store.EXPECT().All(ctx).Return(flag.Set{Version: 3, Flags: []flag.Flag{stored(rollout("f", 100), 3)}}, nil),
		f.store.EXPECT().AddCounts(ctx, sameCounts([]flag.Count{{Key: "f", Variant: "on", N: 2}})).Return(nil),
	)
	if err := sy.Start(ctx); err != nil {
		t.Fatal(err)
	}
	f.snap.Evaluate("f", &flag.Context{UserID: "a"})
	f.snap.Evaluate("f", &flag.Context{UserID: "b"})
	if err := sy.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	down := newFixture(t, cfg)
	sy = flagapp.NewSyncer(down.snap, down.store, down.pub, cfg, slog.New(slog.DiscardHandler))
	down.store.EXPECT().All(ctx).Return(flag.Set{}, ports.ErrUnavailable)
	if err := sy.Start(ctx); err != nil {
		t.Errorf("Start with Redis down = %v, want nil (the version check retries)", err)
	}
	if down.snap.Loaded() {
		t.Error("snapshot loaded from a failed read")
	}
	if err := sy.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}
