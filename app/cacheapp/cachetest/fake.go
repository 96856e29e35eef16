// Package cachetest is an in-memory cache for unit tests of code that depends on cacheapp.Cache: no Redis,
// no events, no background work. A behaviour suite runs against it and against the real cache on Redis, so
// what a test learns from the fake holds for the real one.
//
//	f := cachetest.New(nil)
//	svc := NewPricing(cachetest.Typed[Price](f)) // production: cacheapp.Typed[Price](cacheSvc)
package cachetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/domain/cache"
	"github.com/statekit/statekit/ports"
)

// Fake is one in-memory cache, shared by the Typed views made from it, like one cacheapp.Service. Values
// go through the JSON codec as the real cache's do, so a value that would not survive Redis does not survive
// the fake either. It keeps the real cache's rules: input validation, TTLs and the negative TTL (from
// cacheapp.DefaultConfig's policy and the call's options), one load per key at a time, loader errors not
// cached, cache.ErrNotFound from a loader remembered. It has no stale windows and no early refresh: a value
// past its TTL is loaded again. Safe for concurrent use.
type Fake struct {
	clock  ports.Clock
	policy cache.Policy
	codec  cacheapp.JSON

	mu      sync.Mutex
	entries map[ref]entry
	gens    map[string]int64
	loading map[ref]*flight
	loads   int
}

type ref struct {
	ns, key string
	gen     int64
}

type entry struct {
	raw        []byte // nil for a remembered "not found"
	freshUntil time.Time
}

// flight is a load in progress; waiters block on done and then read the entry it left. A write or delete
// of the key while it runs sets superseded (under Fake.mu), and the load then stores nothing: as in the real
// cache, a load in flight never overwrites a write.
type flight struct {
	done       chan struct{}
	superseded bool
}

// New returns an empty fake. A nil clock means wall-clock time; a simulated one (tests/fakeclock) lets a
// test step past TTLs.
func New(clock ports.Clock) *Fake {
	return &Fake{clock: clock, policy: cacheapp.DefaultConfig().Policy,
		entries: map[ref]entry{}, gens: map[string]int64{}, loading: map[ref]*flight{}}
}

// Typed returns f as a Cache of values of type T.
func Typed[T any](f *Fake) cacheapp.Cache[T] { return typed[T]{f: f} }

// Loads is how many times a loader ran, for tests that check what was served from the cache.
func (f *Fake) Loads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loads
}

func (f *Fake) now() time.Time {
	if f.clock == nil {
		return time.Now()
	}
	return f.clock.Now()
}

func (f *Fake) options(opts []cacheapp.Option) (cache.Policy, error) {
	p := f.policy
	for _, o := range opts {
		o(&p)
	}
	return p, p.Validate()
}

// refOf validates the names and returns the key under the namespace's current generation.
func (f *Fake) refOf(ns, key string) (ref, error) {
	if err := errors.Join(cache.ValidateNamespace(ns), cache.ValidateKey(key)); err != nil {
		return ref{}, err
	}
	return ref{ns: ns, key: key, gen: f.gens[ns]}, nil
}

// fresh returns the key's entry while it is fresh. f.mu is held.
func (f *Fake) fresh(r ref) (entry, bool) {
	e, ok := f.entries[r]
	if ok && f.now().Before(e.freshUntil) {
		return e, true
	}
	return entry{}, false
}

// store keeps raw (nil: "not found") for ttl; ttl 0 keeps nothing. f.mu is held.
func (f *Fake) store(r ref, raw []byte, ttl time.Duration) {
	if fl, ok := f.loading[r]; ok {
		fl.superseded = true
	}
	if ttl <= 0 {
		delete(f.entries, r)
		return
	}
	f.entries[r] = entry{raw: raw, freshUntil: f.now().Add(ttl)}
}

func (f *Fake) delete(ns, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.refOf(ns, key)
	if err != nil {
		return err
	}
	if fl, ok := f.loading[r]; ok {
		fl.superseded = true
	}
	delete(f.entries, r)
	return nil
}

func (f *Fake) invalidate(ns string) (int64, error) {
	if err := cache.ValidateNamespace(ns); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gens[ns]++
	for r := range f.entries {
		if r.ns == ns {
			delete(f.entries, r) // never read again; the real cache leaves them to their TTL
		}
	}
	return f.gens[ns], nil
}

// typed is a Fake seen as a Cache[T].
type typed[T any] struct{ f *Fake }

func (c typed[T]) decode(e entry) (T, error) {
	var v T
	if e.raw == nil {
		return v, cache.ErrNotFound
	}
	if err := c.f.codec.Unmarshal(e.raw, &v); err != nil {
		return v, fmt.Errorf("cache: decode: %w", err)
	}
	return v, nil
}

// GetOrLoad implements cacheapp.Cache.
func (c typed[T]) GetOrLoad(ctx context.Context, ns, key string, load func(context.Context) (T, error), opts ...cacheapp.Option) (T, error) {
	var zero T
	p, err := c.f.options(opts)
	if err != nil {
		return zero, err
	}
	for {
		c.f.mu.Lock()
		r, err := c.f.refOf(ns, key)
		if err != nil {
			c.f.mu.Unlock()
			return zero, err
		}
		if e, ok := c.f.fresh(r); ok {
			c.f.mu.Unlock()
			return c.decode(e)
		}
		if fl, ok := c.f.loading[r]; ok {
			c.f.mu.Unlock()
			select {
			case <-fl.done:
				continue // look again: the load stored its value, or failed and the next caller loads
			case <-ctx.Done():
				return zero, ctx.Err()
			}
		}
		fl := &flight{done: make(chan struct{})}
		c.f.loading[r] = fl
		c.f.loads++
		c.f.mu.Unlock()
		return c.load(ctx, r, fl, load, p)
	}
}

func (c typed[T]) load(ctx context.Context, r ref, fl *flight, load func(context.Context) (T, error), p cache.Policy) (v T, err error) {
	defer func() {
		c.f.mu.Lock()
		if c.f.loading[r] == fl {
			delete(c.f.loading, r)
		}
		c.f.mu.Unlock()
		close(fl.done)
	}()
	v, err = callLoader(ctx, load)
	switch {
	case errors.Is(err, cache.ErrNotFound):
		c.f.fill(r, fl, nil, p.NegativeTTL)
		return v, err
	case err != nil:
		return v, err
	}
	raw, err := c.f.codec.Marshal(v)
	if err != nil {
		return v, fmt.Errorf("cache: encode: %w", err)
	}
	c.f.fill(r, fl, raw, p.TTL)
	return v, nil
}

// fill stores what a load found unless a write or delete came first.
func (f *Fake) fill(r ref, fl *flight, raw []byte, ttl time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !fl.superseded {
		delete(f.loading, r) // so that store does not mark this load as superseded by itself
		f.store(r, raw, ttl)
	}
}

// callLoader runs load, turning a panic into an error as the real cache does.
func callLoader[T any](ctx context.Context, load func(context.Context) (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cache loader panicked: %v", p)
		}
	}()
	return load(ctx)
}

// Get implements cacheapp.Cache.
func (c typed[T]) Get(_ context.Context, ns, key string) (T, error) {
	var zero T
	c.f.mu.Lock()
	r, err := c.f.refOf(ns, key)
	if err != nil {
		c.f.mu.Unlock()
		return zero, err
	}
	e, ok := c.f.fresh(r)
	c.f.mu.Unlock()
	if !ok {
		return zero, cache.ErrMiss
	}
	return c.decode(e)
}

// Set implements cacheapp.Cache.
func (c typed[T]) Set(_ context.Context, ns, key string, v T, opts ...cacheapp.Option) error {
	p, err := c.f.options(opts)
	if err != nil {
		return err
	}
	raw, err := c.f.codec.Marshal(v)
	if err != nil {
		return fmt.Errorf("cache set %s/%s: encode: %w", ns, key, err)
	}
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	r, err := c.f.refOf(ns, key)
	if err != nil {
		return err
	}
	c.f.store(r, raw, p.TTL)
	return nil
}

// Delete implements cacheapp.Cache.
func (c typed[T]) Delete(_ context.Context, ns, key string) error { return c.f.delete(ns, key) }

// InvalidateNamespace implements cacheapp.Cache.
func (c typed[T]) InvalidateNamespace(_ context.Context, ns string) (int64, error) {
	return c.f.invalidate(ns)
}
