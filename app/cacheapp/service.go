// Package cacheapp is the multi-tier cache: a bounded in-process tier (L1, decoded values), the shared Redis
// tier (L2, through ports.Cache) and the caller's loader, with stampede protection (one load per key per
// process and, through a short Redis lock, per cluster; XFetch early refresh; stale-while-revalidate and
// stale-if-error; background refresh; a bound on concurrent loads) and cross-instance L1 invalidation over
// the cache.invalidated fan-out event.
//
// Values are handed out as they are cached: callers must not change a returned map, slice or pointee.
// A value should survive its codec unchanged, since other instances see the decoded form.
package cacheapp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/statekit/statekit/domain/cache"
	"github.com/statekit/statekit/ports"
)

// ErrEventNotPublished means a write or invalidation reached Redis but cache.invalidated could not be
// published: other instances drop their copy only when their L1TTL runs out.
var ErrEventNotPublished = errors.New("cache changed but the invalidation event was not published")

// Service is the multi-tier cache of one instance. Use it through GetOrLoad, Get and Set (generic) and
// its Delete and InvalidateNamespace methods.
type Service struct {
	l      *Local
	events ports.EventPublisher
	codec  Codec
	loads  chan struct{} // one token per running load (MaxLoads)

	refreshing sync.Map // flight key of each background refresh running
}

// NewService returns the cache over an instance's local state, publishing invalidations to events. A nil
// codec means JSON.
func NewService(local *Local, events ports.EventPublisher, codec Codec) *Service {
	if codec == nil {
		codec = JSON{}
	}
	return &Service{l: local, events: events, codec: codec, loads: make(chan struct{}, local.cfg.MaxLoads)}
}

// Stats returns a snapshot of the counters.
func (s *Service) Stats() Stats { return s.l.Stats() }

// Instance is this instance's id on the bus.
func (s *Service) Instance() string { return s.l.instance }

// Close stops background work; see Local.Close.
func (s *Service) Close(ctx context.Context) error { return s.l.Close(ctx) }

// set writes v under the key: one round trip (set.lua), then cache.invalidated. The instance's own L1 drops
// the key rather than taking v, so two racing writes cannot leave L1 disagreeing with Redis.
func (s *Service) set(ctx context.Context, ns, key string, v any, opts []Option) error {
	if err := errors.Join(cache.ValidateNamespace(ns), cache.ValidateKey(key)); err != nil {
		return err
	}
	p, err := s.l.cfg.policy(opts)
	if err != nil {
		return err
	}
	raw, err := s.codec.Marshal(v)
	if err != nil {
		s.l.stats.codecErrors.Add(1)
		return fmt.Errorf("cache set %s/%s: encode: %w", ns, key, err)
	}
	ref, err := s.ref(ctx, ns, key)
	if err != nil {
		return err
	}
	now := s.l.nowTime()
	e := p.NewEntry(raw, false, 0, now, rand.Float64())
	s.l.forget(ns, key, ref.Generation)
	err = s.l.store.Set(ctx, ref, e.Encode(), e.Expiry().Sub(now))
	s.l.forget(ns, key, ref.Generation)
	if err != nil {
		s.l.redisFailed(err)
		return err
	}
	return s.publish(ctx, cache.Invalidated{Namespace: ns, Key: key, Generation: ref.Generation})
}

// Delete removes the key from both tiers and the lock of any load of it in flight (whose value then is not
// stored): one round trip, then cache.invalidated so every instance drops its copy.
func (s *Service) Delete(ctx context.Context, ns, key string) error {
	if err := errors.Join(cache.ValidateNamespace(ns), cache.ValidateKey(key)); err != nil {
		return err
	}
	ref, err := s.ref(ctx, ns, key)
	if err != nil {
		return err
	}
	s.l.forget(ns, key, ref.Generation)
	err = s.l.store.Delete(ctx, ref)
	s.l.forget(ns, key, ref.Generation)
	if err != nil {
		s.l.redisFailed(err)
		return err
	}
	return s.publish(ctx, cache.Invalidated{Namespace: ns, Key: key, Generation: ref.Generation})
}

// InvalidateNamespace drops every key of the namespace in O(1): it moves the namespace to a new generation
// (one round trip), which this instance uses at once and other instances on cache.invalidated. Entries of the
// old generation are never read again and expire on their own TTL. It returns the new generation.
func (s *Service) InvalidateNamespace(ctx context.Context, ns string) (int64, error) {
	if err := cache.ValidateNamespace(ns); err != nil {
		return 0, err
	}
	g, err := s.l.store.BumpGeneration(ctx, ns)
	if err != nil {
		s.l.redisFailed(err)
		return 0, err
	}
	s.l.state(ns).raise(g)
	return g, s.publish(ctx, cache.Invalidated{Namespace: ns, Generation: g})
}

// ref is the key under the namespace's current generation; writes need Redis, so an unknown generation
// (Redis unreachable) is ports.ErrUnavailable.
func (s *Service) ref(ctx context.Context, ns, key string) (cache.Ref, error) {
	g := s.l.generation(ctx, ns)
	if g == 0 {
		return cache.Ref{}, fmt.Errorf("cache %s: namespace generation: %w", ns, ports.ErrUnavailable)
	}
	return cache.Ref{Namespace: ns, Generation: g, Key: key}, nil
}

func (s *Service) publish(ctx context.Context, ev cache.Invalidated) error {
	ev.Instance = s.l.instance
	if err := s.events.Publish(ctx, ev); err != nil {
		return fmt.Errorf("%w: %w", ErrEventNotPublished, err)
	}
	s.l.stats.invalidationsOut.Add(1)
	return nil
}
