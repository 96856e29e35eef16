package cacheapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/domain/cache"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/ports/mocks"
)

var errDown = fmt.Errorf("cache get: %w: connection refused", ports.ErrUnavailable)

type fixture struct {
	ctx   context.Context
	store *mocks.MockCache
	pub   *mocks.MockEventPublisher
	local *cacheapp.Local
	svc   *cacheapp.Service
}

// newFixture returns a service on mocks with no expectations: any call a test did not expect fails it.
func newFixture(t *testing.T, mutate ...func(*cacheapp.Config)) fixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	store, pub := mocks.NewMockCache(ctrl), mocks.NewMockEventPublisher(ctrl)
	cfg := cacheapp.DefaultConfig()
	cfg.Policy.Jitter, cfg.Policy.Beta = 0, 0
	cfg.RedisBackoff = time.Hour // a failure keeps Redis skipped for the rest of the test
	for _, m := range mutate {
		m(&cfg)
	}
	local, err := cacheapp.NewLocal(cfg, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = local.Close(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a stuck test fails, not hangs
	t.Cleanup(cancel)
	return fixture{ctx: ctx, store: store, pub: pub, local: local,
		svc: cacheapp.NewService(local, pub, nil)}
}

func (f fixture) expectGeneration(g int64) {
	f.store.EXPECT().Generation(gomock.Any(), "ns").Return(g, nil)
}

func ref(key string) cache.Ref { return cache.Ref{Namespace: "ns", Generation: 5, Key: key} }

func loader(v string, calls *int) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		*calls++
		return v, nil
	}
}

// TestRedisFailureFallsBackToLoader: a failed GET is counted, the loader answers and its value is kept in
// L1; while Redis is skipped nothing more is sent to it.
func TestRedisFailureFallsBackToLoader(t *testing.T) {
	f := newFixture(t)
	f.expectGeneration(5)
	f.store.EXPECT().Get(gomock.Any(), ref("k")).Return(nil, errDown)
	calls := 0
	for range 3 {
		if v, err := cacheapp.GetOrLoad(f.ctx, f.svc, "ns", "k", loader("v", &calls)); err != nil || v != "v" {
			t.Fatalf("GetOrLoad = %q, %v", v, err)
		}
	}
	// Another key: Redis is skipped during the backoff, the loader answers.
	if v, err := cacheapp.GetOrLoad(f.ctx, f.svc, "ns", "other", loader("w", &calls)); err != nil || v != "w" {
		t.Fatalf("GetOrLoad(other) = %q, %v", v, err)
	}
	s := f.svc.Stats()
	if calls != 2 || s.RedisErrors != 1 || s.RedisSkipped == 0 || s.L1Hits != 2 {
		t.Errorf("loads %d, redis errors %d, skipped %d, l1 hits %d; want 2, 1, >0, 2", calls, s.RedisErrors, s.RedisSkipped, s.L1Hits)
	}
}

// TestLoaderErrorReleasesLockAndIsNotCached: a failing load releases the lock and stores nothing; the next
// read tries again.
func TestLoaderErrorReleasesLockAndIsNotCached(t *testing.T) {
	f := newFixture(t)
	f.expectGeneration(5)
	boom := errors.New("db down")
	for range 2 {
		f.store.EXPECT().Get(gomock.Any(), ref("k")).Return(nil, cache.ErrMiss)
		f.store.EXPECT().Acquire(gomock.Any(), ref("k"), gomock.Any(), 10*time.Second, nil).Return(nil, true, nil)
		f.store.EXPECT().Release(gomock.Any(), ref("k"), gomock.Any()).Return(nil)
	}
	for range 2 {
		_, err := cacheapp.GetOrLoad(f.ctx, f.svc, "ns", "k", func(context.Context) (int, error) { return 0, boom })
		if !errors.Is(err, boom) {
			t.Fatalf("GetOrLoad = %v, want %v", err, boom)
		}
	}
	if s := f.svc.Stats(); s.LoadErrors != 2 || s.Loads != 2 {
		t.Errorf("loads %d, errors %d; want 2, 2", s.Loads, s.LoadErrors)
	}
}

// TestFillLostIsNotRemembered: when a write dropped the lock meanwhile, the loaded value is returned but
// neither stored nor put in L1.
func TestFillLostIsNotRemembered(t *testing.T) {
	f := newFixture(t)
	f.expectGeneration(5)
	for range 2 {
		f.store.EXPECT().Get(gomock.Any(), ref("k")).Return(nil, cache.ErrMiss)
		f.store.EXPECT().Acquire(gomock.Any(), ref("k"), gomock.Any(), gomock.Any(), nil).Return(nil, true, nil)
		f.store.EXPECT().Fill(gomock.Any(), ref("k"), gomock.Any(), gomock.Any(), gomock.Any()).Return(false, nil)
	}
	calls := 0
	for range 2 {
		if v, err := cacheapp.GetOrLoad(f.ctx, f.svc, "ns", "k", loader("v", &calls)); err != nil || v != "v" {
			t.Fatalf("GetOrLoad = %q, %v", v, err)
		}
	}
	if s := f.svc.Stats(); s.FillsDropped != 2 || s.L1Hits != 0 {
		t.Errorf("fills dropped %d, l1 hits %d; want 2, 0", s.FillsDropped, s.L1Hits)
	}
}

// TestCorruptEntryIsReplaced: bytes Redis holds that are not an entry are counted and loaded over; the lock
// is asked for with those bytes as "seen", so they do not count as a value.
func TestCorruptEntryIsReplaced(t *testing.T) {
	f := newFixture(t)
	f.expectGeneration(5)
	junk := []byte{9, 9, 9}
	f.store.EXPECT().Get(gomock.Any(), ref("k")).Return(junk, nil)
	f.store.EXPECT().Acquire(gomock.Any(), ref("k"), gomock.Any(), gomock.Any(), junk).Return(nil, true, nil)
	f.store.EXPECT().Fill(gomock.Any(), ref("k"), gomock.Any(), gomock.Any(), gomock.Any()).
		DoAndReturn(func(_ context.Context, _ cache.Ref, _ string, b []byte, _ time.Duration) (bool, error) {
			e, err := cache.DecodeEntry(b)
			if err != nil || string(e.Value) != `"v"` {
				t.Errorf("filled %q (%v), want the encoded value", b, err)
			}
			return true, nil
		})
	calls := 0
	if v, err := cacheapp.GetOrLoad(f.ctx, f.svc, "ns", "k", loader("v", &calls)); err != nil || v != "v" {
		t.Fatalf("GetOrLoad = %q, %v", v, err)
	}
	if s := f.svc.Stats(); s.CodecErrors != 1 {
		t.Errorf("codec errors %d, want 1", s.CodecErrors)
	}
}

// TestWaiterServesStale: when another instance holds the lock and a stale-if-error value is at hand, the
// reader serves it rather than waiting.
func TestWaiterServesStale(t *testing.T) {
	f := newFixture(t)
	f.expectGeneration(5)
	stale := cache.Entry{Value: []byte(`"old"`), FreshUntil: time.Now().Add(-time.Minute), IfError: time.Hour}
	f.store.EXPECT().Get(gomock.Any(), ref("k")).Return(stale.Encode(), nil)
	f.store.EXPECT().Acquire(gomock.Any(), ref("k"), gomock.Any(), gomock.Any(), stale.Header()).Return(nil, false, nil)
	calls := 0
	if v, err := cacheapp.GetOrLoad(f.ctx, f.svc, "ns", "k", loader("new", &calls)); err != nil || v != "old" {
		t.Fatalf("GetOrLoad = %q, %v; want the stale value", v, err)
	}
	if s := f.svc.Stats(); calls != 0 || s.StaleServed != 1 {
		t.Errorf("loads %d, stale served %d; want 0, 1", calls, s.StaleServed)
	}
}

// TestSetPublishes: a write is stored with the policy's TTL and announced; a failed publish is reported
// after the write stands.
func TestSetPublishes(t *testing.T) {
	f := newFixture(t)
	f.expectGeneration(5)
	f.store.EXPECT().Set(gomock.Any(), ref("k"), gomock.Any(), gomock.Any()).Times(2).
		DoAndReturn(func(_ context.Context, _ cache.Ref, _ []byte, ttl time.Duration) error {
			if ttl <= time.Hour+9*time.Minute || ttl > time.Hour+10*time.Minute {
				t.Errorf("Set TTL = %s, want the TTL plus the longest stale window (1h10m)", ttl)
			}
			return nil
		})
	want := cache.Invalidated{Namespace: "ns", Key: "k", Generation: 5, Instance: f.svc.Instance()}
	f.pub.EXPECT().Publish(gomock.Any(), want).Return(nil)
	if err := cacheapp.Set(f.ctx, f.svc, "ns", "k", 1); err != nil {
		t.Fatal(err)
	}
	f.pub.EXPECT().Publish(gomock.Any(), want).Return(errors.New("bus down"))
	if err := cacheapp.Set(f.ctx, f.svc, "ns", "k", 2); !errors.Is(err, cacheapp.ErrEventNotPublished) {
		t.Errorf("Set with the bus down = %v, want ErrEventNotPublished", err)
	}
	if s := f.svc.Stats(); s.InvalidationsPublished != 1 {
		t.Errorf("published %d, want 1", s.InvalidationsPublished)
	}
}

// TestBadInputTouchesNothing: invalid names, policies and unencodable values are refused before any call.
func TestBadInputTouchesNothing(t *testing.T) {
	f := newFixture(t)
	calls := 0
	for _, c := range []struct{ ns, key string }{{"", "k"}, {"n:s", "k"}, {"ns", ""}, {"ns", "a*"}, {"ns", "{k}"}} {
		if _, err := cacheapp.GetOrLoad(f.ctx, f.svc, c.ns, c.key, loader("v", &calls)); !errors.Is(err, cache.ErrInvalid) {
			t.Errorf("GetOrLoad(%q, %q) = %v, want ErrInvalid", c.ns, c.key, err)
		}
		if _, err := cacheapp.Get[string](f.ctx, f.svc, c.ns, c.key); !errors.Is(err, cache.ErrInvalid) {
			t.Errorf("Get(%q, %q) = %v, want ErrInvalid", c.ns, c.key, err)
		}
		if err := cacheapp.Set(f.ctx, f.svc, c.ns, c.key, 1); !errors.Is(err, cache.ErrInvalid) {
			t.Errorf("Set(%q, %q) = %v, want ErrInvalid", c.ns, c.key, err)
		}
		if err := f.svc.Delete(f.ctx, c.ns, c.key); !errors.Is(err, cache.ErrInvalid) {
			t.Errorf("Delete(%q, %q) = %v, want ErrInvalid", c.ns, c.key, err)
		}
	}
	if err := cacheapp.Set(f.ctx, f.svc, "ns", "k", 1, cacheapp.WithJitter(2)); !errors.Is(err, cache.ErrInvalid) {
		t.Errorf("Set with jitter 2 = %v, want ErrInvalid", err)
	}
	var unencodable json.Marshaler = badJSON{}
	if err := cacheapp.Set(f.ctx, f.svc, "ns", "k", unencodable); err == nil {
		t.Error("Set of an unencodable value succeeded")
	}
	if calls != 0 {
		t.Errorf("the loader ran %d times", calls)
	}
}

type badJSON struct{}

func (badJSON) MarshalJSON() ([]byte, error) { return nil, errors.New("cannot encode") }

// TestInvalidationHandler: another instance's event drops the key from L1; the instance's own events,
// events for bad names and repeated events change nothing else; undecodable payloads are errors.
func TestInvalidationHandler(t *testing.T) {
	f := newFixture(t)
	f.expectGeneration(5)
	f.store.EXPECT().Get(gomock.Any(), ref("k")).Return(nil, cache.ErrMiss)
	f.store.EXPECT().Acquire(gomock.Any(), ref("k"), gomock.Any(), gomock.Any(), nil).Return(nil, true, nil)
	f.store.EXPECT().Fill(gomock.Any(), ref("k"), gomock.Any(), gomock.Any(), gomock.Any()).Return(true, nil)
	calls := 0
	read := func() {
		if _, err := cacheapp.GetOrLoad(f.ctx, f.svc, "ns", "k", loader("v", &calls)); err != nil {
			t.Fatal(err)
		}
	}
	read()
	h := f.local.InvalidationHandler()
	if !h.FanOut || h.Event != "cache.invalidated" {
		t.Errorf("handler = %+v, want a fan-out subscription to cache.invalidated", h)
	}
	envelope := func(ev cache.Invalidated) ports.Envelope {
		b, _ := json.Marshal(ev)
		return ports.Envelope{Name: ev.EventName(), Payload: b}
	}
	for _, ev := range []cache.Invalidated{
		{Namespace: "ns", Key: "k", Generation: 5, Instance: f.svc.Instance()}, // our own
		{Namespace: "n:s", Key: "k", Generation: 5, Instance: "other"},         // not a namespace
		{Namespace: "ns", Key: "other-key", Generation: 5, Instance: "other"},  // another key
	} {
		if err := h.Handle(f.ctx, envelope(ev)); err != nil {
			t.Fatal(err)
		}
	}
	read() // still an L1 hit: no store call expected
	if calls != 1 || f.svc.Stats().L1Hits != 1 {
		t.Fatalf("after unrelated events: loads %d, l1 hits %d; want 1, 1", calls, f.svc.Stats().L1Hits)
	}
	drop := envelope(cache.Invalidated{Namespace: "ns", Key: "k", Generation: 5, Instance: "other"})
	for range 2 { // at least once: twice is the same as once
		if err := h.Handle(f.ctx, drop); err != nil {
			t.Fatal(err)
		}
	}
	stored := cache.Entry{Value: []byte(`"v2"`), FreshUntil: time.Now().Add(time.Hour)}
	f.store.EXPECT().Get(gomock.Any(), ref("k")).Return(stored.Encode(), nil)
	if v, err := cacheapp.GetOrLoad(f.ctx, f.svc, "ns", "k", loader("v", &calls)); err != nil || v != "v2" {
		t.Errorf("after the event: %q, %v; want Redis's value", v, err)
	}
	if err := h.Handle(f.ctx, ports.Envelope{Payload: []byte("{")}); err == nil {
		t.Error("an undecodable event was accepted")
	}
	if s := f.svc.Stats(); s.InvalidationsReceived != 3 {
		t.Errorf("received %d, want 3 (another key and the dropped key twice)", s.InvalidationsReceived)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := cacheapp.DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*cacheapp.Config){
		"negative l1 size": func(c *cacheapp.Config) { c.L1Size = -1 },
		"zero l1 ttl":      func(c *cacheapp.Config) { c.L1TTL = 0 },
		"zero ttl":         func(c *cacheapp.Config) { c.Policy.TTL = 0 },
		"zero timeout":     func(c *cacheapp.Config) { c.LoadTimeout = 0 },
		"zero max loads":   func(c *cacheapp.Config) { c.MaxLoads = 0 },
		"negative backoff": func(c *cacheapp.Config) { c.RedisBackoff = -1 },
	} {
		c := cacheapp.DefaultConfig()
		mut(&c)
		if c.Validate() == nil {
			t.Errorf("%s: Validate passed", name)
		}
		if _, err := cacheapp.NewLocal(c, mocks.NewMockCache(gomock.NewController(t)), nil); err == nil {
			t.Errorf("%s: NewLocal accepted it", name)
		}
	}
}

// TestLoaderPanicIsAnError: a panicking loader fails the read (and releases the lock) instead of crashing
// the process from the goroutine the shared load runs on.
func TestLoaderPanicIsAnError(t *testing.T) {
	f := newFixture(t)
	f.expectGeneration(5)
	f.store.EXPECT().Get(gomock.Any(), ref("k")).Return(nil, cache.ErrMiss)
	f.store.EXPECT().Acquire(gomock.Any(), ref("k"), gomock.Any(), gomock.Any(), nil).Return(nil, true, nil)
	f.store.EXPECT().Release(gomock.Any(), ref("k"), gomock.Any()).Return(nil)
	_, err := cacheapp.GetOrLoad(f.ctx, f.svc, "ns", "k", func(context.Context) (int, error) { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "panicked: boom") {
		t.Errorf("GetOrLoad with a panicking loader = %v, want an error", err)
	}
}
