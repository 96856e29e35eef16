package cacheapp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/singleflight"

	"github.com/statekit/statekit/domain/cache"
	"github.com/statekit/statekit/ports"
)

// Local is one instance's share of the cache, everything but the event publisher: the in-process tier
// (L1), the namespace generations this instance knows, the counters, and the handler that applies other
// instances' cache.invalidated events. It is split from Service so the bus can subscribe its handler
// before the Service (which publishes through that bus) exists.
type Local struct {
	cfg      Config
	store    ports.Cache
	clock    ports.Clock
	instance string

	// l1 holds decoded values keyed by namespace, generation and key: a generation change makes a whole
	// namespace unreachable at once. nil when the tier is off.
	l1 *otter.Cache[l1Key, *l1Entry]
	// gens maps a namespace to its *nsState.
	gens sync.Map
	// seqs count invalidations per stripe of keys: a read or load that saw its stripe change while it ran
	// does not put what it read into L1, so an invalidation that overtakes it is not undone.
	seqs [64]struct {
		n atomic.Uint64
		_ [56]byte
	}
	// flights shares one resolution of a key among this process's concurrent callers.
	flights   singleflight.Group
	seed      maphash.Seed
	stats     counters
	downUntil atomic.Int64 // wall-clock Unix ns until which Redis is skipped
	// outages counts failures to reach Redis. A generation read before the latest one is read again: Redis
	// may have come back empty, with new generations.
	outages atomic.Int64

	ctx    context.Context // cancelled by Close; background work runs under it
	cancel context.CancelFunc
	bg     sync.WaitGroup
}

type l1Key struct {
	ns  string
	gen int64
	key string
}

// l1Entry is a decoded value with its entry's timing (Unix ns on the service clock).
type l1Entry struct {
	value      any
	gen        int64       // the namespace generation it belongs to
	raw        []byte      // the codec bytes, for a caller asking for another type
	meta       cache.Entry // the stored entry without its value
	freshUntil int64
	revalidate int64 // end of the stale-while-revalidate window
	ifError    int64 // end of the stale-if-error window
	until      int64 // when the in-process tier stops trusting it: min(stored + L1TTL, entry expiry)
}

func (e *l1Entry) state(now int64) cache.State {
	switch {
	case now >= e.until:
		return cache.Dead
	case now < e.freshUntil:
		return cache.Fresh
	case now < e.revalidate:
		return cache.Revalidating
	case now < e.ifError:
		return cache.StaleIfError
	}
	return cache.Dead
}

// nsState is what this instance knows of a namespace's generation.
type nsState struct {
	gen     atomic.Int64 // 0 while Redis has not been reached
	checked atomic.Int64 // service-clock Unix ns until which gen is trusted without asking Redis; 0: never read
	outage  atomic.Int64 // Local.outages when gen was last read or confirmed
	mu      sync.Mutex   // one read from Redis at a time
}

// raise moves the known generation forward (never back: events and reads may arrive out of order).
func (st *nsState) raise(g int64) {
	for {
		cur := st.gen.Load()
		if g <= cur || st.gen.CompareAndSwap(cur, g) {
			return
		}
	}
}

// NewLocal returns an instance's cache state over store. A nil clock means wall-clock time; a clock (tests)
// drives every TTL, stale window and XFetch decision, and the in-process tier's expiry.
func NewLocal(cfg Config, store ports.Cache, clock ports.Clock) (*Local, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, errors.New("cache: no shared store")
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Local{cfg: cfg, store: store, clock: clock, instance: rand.Text(), seed: maphash.MakeSeed(),
		ctx: ctx, cancel: cancel}
	if cfg.L1Size > 0 {
		opts := &otter.Options[l1Key, *l1Entry]{
			MaximumSize: cfg.L1Size,
			ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[l1Key, *l1Entry]) time.Duration {
				return time.Duration(e.Value.until - l.now())
			}),
		}
		if clock != nil {
			opts.Clock = otterClock{clock}
		}
		c, err := otter.New(opts)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("cache: l1: %w", err)
		}
		l.l1 = c
	}
	return l, nil
}

// newToken draws a load-lock token.
func newToken() string { return rand.Text() }

// Instance is this instance's id on the bus; its own cache.invalidated events carry it.
func (l *Local) Instance() string { return l.instance }

// Stats returns a snapshot of the counters.
func (l *Local) Stats() Stats {
	s := l.stats.snapshot()
	if l.l1 != nil {
		s.L1Entries = l.l1.EstimatedSize()
	}
	return s
}

// Close stops background refreshes (waiting for those running) and the in-process tier's goroutines.
func (l *Local) Close(ctx context.Context) error {
	l.cancel()
	done := make(chan struct{})
	go func() { l.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("cache: close: %w", ctx.Err())
	}
	if l.l1 != nil {
		l.l1.StopAllGoroutines()
	}
	return nil
}

// now is the service clock in Unix nanoseconds.
func (l *Local) now() int64 {
	if l.clock == nil {
		return time.Now().UnixNano()
	}
	return l.clock.Now().UnixNano()
}

func (l *Local) nowTime() time.Time {
	if l.clock == nil {
		return time.Now()
	}
	return l.clock.Now()
}

// goBackground runs fn on a goroutine owned by l (Close waits for it) unless l is closing.
func (l *Local) goBackground(fn func(ctx context.Context)) bool {
	if l.ctx.Err() != nil {
		return false
	}
	l.bg.Add(1)
	go func() {
		defer l.bg.Done()
		fn(l.ctx)
	}()
	return true
}

// state returns the namespace's state, creating it.
func (l *Local) state(ns string) *nsState {
	if v, ok := l.gens.Load(ns); ok {
		return v.(*nsState)
	}
	v, _ := l.gens.LoadOrStore(ns, &nsState{})
	return v.(*nsState)
}

// cachedGeneration returns the namespace's generation without I/O, and false when it must be read from
// Redis first: never read, last read more than L1TTL ago, or read before Redis last failed.
func (l *Local) cachedGeneration(ns string, now int64) (int64, bool) {
	v, ok := l.gens.Load(ns)
	if !ok {
		return 0, false
	}
	st := v.(*nsState)
	if until := st.checked.Load(); until == 0 || now >= until || st.outage.Load() != l.outages.Load() {
		return 0, false
	}
	return st.gen.Load(), true
}

// generation returns the namespace's generation, reading it from Redis (one round trip, one caller at a
// time) when it is unknown or older than L1TTL. When Redis cannot be reached the last known generation is
// kept (0 if none: what is loaded then stays in this instance, under a generation no Redis uses) and trusted
// for RedisBackoff: nothing can be written or invalidated meanwhile anyway.
func (l *Local) generation(ctx context.Context, ns string) int64 {
	if g, ok := l.cachedGeneration(ns, l.now()); ok {
		return g
	}
	st := l.state(ns)
	if st.checked.Load() == 0 {
		st.mu.Lock() // never read: wait for the caller reading it
	} else if !st.mu.TryLock() {
		return st.gen.Load() // another caller is re-reading it: go on with the known one meanwhile
	}
	defer st.mu.Unlock()
	if g, ok := l.cachedGeneration(ns, l.now()); ok {
		return g // read by the caller before us
	}
	now := l.now()
	if l.sharedUp() {
		outages := l.outages.Load()
		g, err := l.store.Generation(ctx, ns)
		if err == nil {
			st.raise(g)
			st.outage.Store(outages)
			st.checked.Store(now + int64(l.cfg.L1TTL))
			return st.gen.Load()
		}
		l.redisFailed(err)
	}
	st.outage.Store(l.outages.Load())
	st.checked.Store(now + int64(max(min(l.cfg.RedisBackoff, l.cfg.L1TTL), time.Millisecond)))
	return st.gen.Load()
}

// sharedUp reports whether Redis may be tried, counting a skip during the backoff after a failure.
func (l *Local) sharedUp() bool {
	if until := l.downUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		l.stats.redisSkipped.Add(1)
		return false
	}
	return true
}

// redisFailed counts a failed Redis call; when Redis could not be reached it is skipped for RedisBackoff.
func (l *Local) redisFailed(err error) {
	l.stats.redisErrors.Add(1)
	if errors.Is(err, ports.ErrUnavailable) {
		l.outages.Add(1)
		if l.cfg.RedisBackoff > 0 {
			l.downUntil.Store(time.Now().Add(l.cfg.RedisBackoff).UnixNano())
		}
	}
}

// seq is the invalidation count of the key's stripe (0 when there is no L1 to protect).
func (l *Local) seq(ns, key string) uint64 {
	if l.l1 == nil {
		return 0
	}
	return l.stripe(ns, key).Load()
}

func (l *Local) stripe(ns, key string) *atomic.Uint64 {
	h := maphash.String(l.seed, key) ^ maphash.String(l.seed, ns)
	return &l.seqs[h%uint64(len(l.seqs))].n
}

// lookup returns the key's in-process entry and its state at now, without I/O. The state is Dead when
// there is no usable entry (none, tier off, generation unknown or due).
func (l *Local) lookup(ns, key string) (*l1Entry, int64, cache.State) {
	if l.l1 == nil {
		return nil, 0, cache.Dead
	}
	now := l.now()
	gen, ok := l.cachedGeneration(ns, now)
	if !ok {
		return nil, now, cache.Dead
	}
	e, ok := l.l1.GetIfPresent(l1Key{ns: ns, gen: gen, key: key})
	if !ok {
		return nil, now, cache.Dead
	}
	return e, now, e.state(now)
}

// peek returns the L1 entry of ref, if any.
func (l *Local) peek(ref cache.Ref) (*l1Entry, bool) {
	if l.l1 == nil {
		return nil, false
	}
	return l.l1.GetIfPresent(l1Key{ns: ref.Namespace, gen: ref.Generation, key: ref.Key})
}

// remember puts a value read or loaded at seq into L1, unless the key was invalidated since.
func (l *Local) remember(ref cache.Ref, seq uint64, meta cache.Entry, value any, raw []byte) {
	if l.l1 == nil || l.seq(ref.Namespace, ref.Key) != seq {
		return
	}
	now := l.now()
	e := &l1Entry{value: value, gen: ref.Generation, raw: raw, meta: meta, freshUntil: meta.FreshUntil.UnixNano()}
	e.revalidate = e.freshUntil + int64(meta.Revalidate)
	e.ifError = e.freshUntil + int64(meta.IfError)
	e.until = min(now+int64(l.cfg.L1TTL), meta.Expiry().UnixNano())
	if e.until <= now {
		return
	}
	k := l1Key{ns: ref.Namespace, gen: ref.Generation, key: ref.Key}
	l.l1.Set(k, e)
	// An invalidation may have landed between the check above and the Set (forget bumps the stripe, then
	// drops the key): look again, and take back what was just stored if it did. forget's drop comes after
	// its bump, so an invalidation this second look misses still removes the entry itself.
	if l.seq(ref.Namespace, ref.Key) != seq {
		l.l1.Invalidate(k)
	}
}

// forget drops the key from L1 under the given generations and bumps its invalidation stripe, so reads
// and loads running now do not put an older value back; callers arriving later do not join a resolution
// that began before it.
func (l *Local) forget(ns, key string, gens ...int64) {
	l.stripe(ns, key).Add(1)
	for _, g := range gens {
		ref := cache.Ref{Namespace: ns, Generation: g, Key: key}
		l.flights.Forget(flightKey('l', ref))
		if l.l1 != nil {
			l.l1.Invalidate(l1Key{ns: ns, gen: g, key: key})
		}
	}
}

// InvalidationHandler is the fan-out subscription to cache.invalidated: on every instance it drops the
// written or deleted key from L1 (or moves to the namespace's new generation). Events this instance
// published are skipped: it updated itself before publishing. Applying an event twice changes nothing.
//
// Delivery starts where the stream ends when the subscriber starts reading, so an event published while an
// instance is not reading is lost to it; L1TTL bounds how long that instance serves the old value.
func (l *Local) InvalidationHandler() ports.EventHandler {
	return ports.EventHandler{Name: "cache.l1-invalidation", Event: cache.Invalidated{}.EventName(), FanOut: true,
		Handle: l.applyInvalidation}
}

func (l *Local) applyInvalidation(_ context.Context, env ports.Envelope) error {
	var ev cache.Invalidated
	if err := env.Decode(&ev); err != nil {
		return fmt.Errorf("cache.invalidated: %w", err)
	}
	if ev.Instance == l.instance {
		return nil
	}
	if cache.ValidateNamespace(ev.Namespace) != nil || ev.Key != "" && cache.ValidateKey(ev.Key) != nil {
		return nil // not ours to act on; retrying would not help
	}
	l.stats.invalidationsIn.Add(1)
	if ev.Key == "" {
		if v, ok := l.gens.Load(ev.Namespace); ok {
			v.(*nsState).raise(ev.Generation)
		}
		return nil
	}
	gens := []int64{ev.Generation}
	if v, ok := l.gens.Load(ev.Namespace); ok {
		if g := v.(*nsState).gen.Load(); g != ev.Generation {
			gens = append(gens, g)
		}
	}
	l.forget(ev.Namespace, ev.Key, gens...)
	return nil
}

// otterClock drives the in-process tier's expiry from the service clock (tests simulate time this way).
type otterClock struct{ c ports.Clock }

func (o otterClock) NowNano() int64 { return o.c.Now().UnixNano() }

// Tick returns no ticks: expired entries are dropped when met or evicted, not by a periodic sweep.
func (o otterClock) Tick(time.Duration) <-chan time.Time { return nil }
