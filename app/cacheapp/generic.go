package cacheapp

import (
	"context"

	"github.com/statekit/statekit/domain/cache"
)

// GetOrLoad returns the key's value from the fastest tier that holds it fresh, loading it with load on a
// miss. Round trips: none on an L1 hit; one (GET) on an L2 hit; on a miss GET, acquire.lua, the loader and
// fill.lua, once per key across every instance (the others wait, or serve stale). The loader may return
// cache.ErrNotFound (or wrap it): that is remembered for the negative TTL and returned. Other loader errors
// are returned and not cached; a stale-if-error value stands in for them when there is one. Zero values and
// empty strings are values like any other.
//
// A fresh value near its expiry is refreshed early in the background (XFetch, using the measured load time);
// a value in its stale-while-revalidate window is served while it is refreshed. When MaxLoads loads are
// running, a load is shed: a stale value is served, else cache.ErrOverloaded.
func GetOrLoad[T any](ctx context.Context, s *Service, ns, key string, load func(context.Context) (T, error), opts ...Option) (T, error) {
	var zero T
	e, now, st := s.l.lookup(ns, key)
	switch st {
	case cache.Fresh:
		if e.meta.Negative {
			s.l.stats.l1Hits.inc()
			s.l.stats.negativeHits.Add(1)
			return zero, cache.ErrNotFound
		}
		if v, ok := as[T](e.value); ok {
			s.l.stats.l1Hits.inc()
			if cache.RefreshEarly(now, e.freshUntil, e.meta.LoadTime, s.l.cfg.Policy.Beta, uniform) {
				if r, err := newRequest(s, ns, key, load, opts); err == nil {
					r.ref.Generation = e.gen
					s.refresh(r, e.meta.Header(), true)
				}
			}
			return v, nil
		}
	case cache.Revalidating:
		if v, ok := as[T](e.value); ok {
			if r, err := newRequest(s, ns, key, load, opts); err == nil {
				r.ref.Generation = e.gen
				s.l.stats.misses.Add(1)
				s.l.stats.staleServed.Add(1)
				s.refresh(r, e.meta.Header(), false)
				return v, nil
			}
		}
	}
	r, err := newRequest(s, ns, key, load, opts)
	if err != nil {
		return zero, err
	}
	if st == cache.StaleIfError && !e.meta.Negative {
		r.fallback = &outcome{value: e.value, raw: e.raw, source: srcStale}
	}
	v, err := s.fetch(ctx, r)
	if err != nil {
		return zero, err
	}
	t, _ := as[T](v)
	return t, nil
}

// Get returns the key's fresh value from L1 or Redis, cache.ErrNotFound for a remembered "not found", or
// cache.ErrMiss. Round trips: none on an L1 hit, else one (GET).
func Get[T any](ctx context.Context, s *Service, ns, key string) (T, error) {
	var zero T
	if e, _, st := s.l.lookup(ns, key); st == cache.Fresh {
		if e.meta.Negative {
			s.l.stats.l1Hits.inc()
			s.l.stats.negativeHits.Add(1)
			return zero, cache.ErrNotFound
		}
		if v, ok := as[T](e.value); ok {
			s.l.stats.l1Hits.inc()
			return v, nil
		}
	}
	r, err := newRequest[T](s, ns, key, nil, nil)
	if err != nil {
		return zero, err
	}
	v, err := s.fetch(ctx, r)
	if err != nil {
		return zero, err
	}
	t, _ := as[T](v)
	return t, nil
}

// Set writes v under the key in Redis (one round trip) with the default TTL (or the options'), drops it
// from this instance's L1, and publishes cache.invalidated so every other instance drops its copy. A load
// of the key in flight anywhere does not overwrite the write.
func Set[T any](ctx context.Context, s *Service, ns, key string, v T, opts ...Option) error {
	return s.set(ctx, ns, key, v, opts)
}

// newRequest builds the typed pieces of a read past L1.
func newRequest[T any](s *Service, ns, key string, load func(context.Context) (T, error), opts []Option) (*request, error) {
	p, err := s.l.cfg.policy(opts)
	if err != nil {
		return nil, err
	}
	r := &request{ref: cache.Ref{Namespace: ns, Key: key}, policy: p, typ: typeOf[T]{}}
	if load != nil {
		r.load = func(ctx context.Context) (any, error) { return load(ctx) }
	}
	return r, nil
}

// valueType is what a request needs to know of its caller's type parameter.
type valueType interface {
	// decode decodes codec bytes into a value of the type (as any).
	decode(c Codec, b []byte) (any, error)
	// accepts reports whether a cached value is of the type.
	accepts(v any) bool
}

// typeOf is the valueType of T; it has no fields, so making one allocates nothing.
type typeOf[T any] struct{}

func (typeOf[T]) decode(c Codec, b []byte) (any, error) {
	var v T
	err := c.Unmarshal(b, &v)
	return v, err
}

func (typeOf[T]) accepts(v any) bool {
	_, ok := as[T](v)
	return ok
}

// as converts a cached value to T; a nil value is a T only when T is an interface type.
func as[T any](v any) (T, bool) {
	t, ok := v.(T)
	if !ok && v == nil {
		var zero T
		return zero, any(zero) == nil
	}
	return t, ok
}
