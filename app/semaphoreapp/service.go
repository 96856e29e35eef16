// Package semaphoreapp carries out the semaphore use cases. Go callers take a *Permit (try, or blocking with a
// context, one permit or several at once), which refreshes itself while held and cancels its holder context
// when lost; non-Go callers (HTTP) use the id-based Grant / Refresh / Release. A blocking acquisition queues in
// the pool's FIFO queue and is granted permits, in arrival order, by whoever frees them, woken at once.
package semaphoreapp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/statekit/statekit/app/internal/keeper"
	"github.com/statekit/statekit/domain/semaphore"
	"github.com/statekit/statekit/ports"
)

// Config tunes the semaphore service.
type Config struct {
	// DefaultTTL is a permit's lease when the caller names none.
	DefaultTTL time.Duration
	// BackoffBase and BackoffMax pace retries where nothing wakes a waiter or Redis is unreachable: the
	// first retry waits about BackoffBase, each later one twice as long, up to BackoffMax (with jitter).
	BackoffBase, BackoffMax time.Duration
	// DriftFactor is the share of a lease a holder does not rely on (clock drift, hand-over delivery), in
	// [0, 0.5).
	DriftFactor float64
	// MaxWait bounds how long a id-based (HTTP) acquisition may wait.
	MaxWait time.Duration
}

// DefaultConfig is a 30 s lease, retries from 2 ms growing to 250 ms, 1% drift and waits of at most 20 s.
func DefaultConfig() Config {
	d := keeper.DefaultSettings()
	return Config{DefaultTTL: d.DefaultTTL, BackoffBase: d.Backoff.Base, BackoffMax: d.Backoff.Max,
		DriftFactor: d.DriftFactor, MaxWait: d.MaxWait}
}

// settings are the lease keeper's settings for c.
func (c Config) settings() keeper.Settings {
	return keeper.Settings{DefaultTTL: c.DefaultTTL, Backoff: keeper.Backoff{Base: c.BackoffBase, Max: c.BackoffMax},
		DriftFactor: c.DriftFactor, MaxWait: c.MaxWait}
}

// Validate reports every problem with the configuration.
func (c Config) Validate() error {
	return c.settings().Validate("semaphore", "permit", semaphore.ValidateTTL)
}

// ErrReleased is the cause of a holder's context cancelled because its permit was released (rather than
// lost): match it with errors.Is on context.Cause.
var ErrReleased = keeper.ErrReleased

// errs are the semaphore module's errors for the keeper helpers.
var errs = keeper.Errors{Invalid: semaphore.ErrInvalid, NotAcquired: semaphore.ErrNotAcquired,
	NotHeld: semaphore.ErrNotHeld, Lost: semaphore.ErrLost}

// Service is the semaphore application service.
type Service struct {
	store ports.Semaphore
	cfg   keeper.Settings
}

// NewService returns the service over store.
func NewService(store ports.Semaphore, cfg Config) *Service {
	return &Service{store: store, cfg: cfg.settings()}
}

// Option adjusts one acquisition.
type Option func(*options)

type options struct {
	weight, capacity int
	ttl              time.Duration
	refresh          bool
}

// WithWeight takes n permits at once, all or none (default 1).
func WithWeight(n int) Option { return func(o *options) { o.weight = n } }

// WithTTL sets the permit's lease (default Config.DefaultTTL); a refreshed permit is extended by this much.
func WithTTL(ttl time.Duration) Option { return func(o *options) { o.ttl = ttl } }

// WithCapacity creates the pool with capacity n when it does not exist yet (an existing pool keeps its own).
func WithCapacity(n int) Option { return func(o *options) { o.capacity = n } }

// WithoutRefresh leaves the permit to lapse after its TTL unless the holder refreshes it.
func WithoutRefresh() Option { return func(o *options) { o.refresh = false } }

func (s *Service) options(opts []Option) options {
	o := options{weight: 1, ttl: s.cfg.DefaultTTL, refresh: true}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// TryAcquire takes the permits if they are free now and nobody is queued for the pool;
// semaphore.ErrNotAcquired otherwise.
func (s *Service) TryAcquire(ctx context.Context, pool string, opts ...Option) (*Permit, error) {
	return s.take(ctx, pool, opts, false)
}

// Acquire takes the permits, waiting in the pool's FIFO queue until they are granted or ctx ends
// (semaphore.ErrNotAcquired wrapping the context's error). The permit refreshes itself until released, lost
// or ctx ends.
func (s *Service) Acquire(ctx context.Context, pool string, opts ...Option) (*Permit, error) {
	return s.take(ctx, pool, opts, true)
}

// Do runs fn while holding permits of pool (waiting for them like Acquire), then releases them. fn's context
// is the holder's: it is cancelled if the permit is lost, and a loss is reported even when fn returned nil.
func (s *Service) Do(ctx context.Context, pool string, fn func(ctx context.Context, p *Permit) error, opts ...Option) error {
	p, err := s.Acquire(ctx, pool, opts...)
	if err != nil {
		return err
	}
	return keeper.Do(ctx, errs, p, fn)
}

func (s *Service) take(ctx context.Context, pool string, opts []Option, block bool) (*Permit, error) {
	o := s.options(opts)
	permit, sent, err := s.obtain(ctx, pool, o, block)
	if err != nil {
		return nil, err
	}
	return s.keep(ctx, permit, sent, o.refresh), nil
}

// obtain runs one acquisition and returns the permit with the time its granting request was sent (or the
// grant message arrived).
func (s *Service) obtain(ctx context.Context, pool string, o options, block bool) (semaphore.Permit, time.Time, error) {
	id, err := semaphore.NewPermitID()
	if err != nil {
		return semaphore.Permit{}, time.Time{}, err
	}
	req := semaphore.Request{Pool: pool, ID: id, Weight: o.weight, TTL: o.ttl, Capacity: o.capacity, Queue: block}
	if err := req.Validate(); err != nil {
		return semaphore.Permit{}, time.Time{}, err
	}
	permit := semaphore.Permit{Pool: pool, ID: id, Weight: o.weight, TTL: o.ttl}
	if !block {
		a, err := s.store.Acquire(ctx, req)
		if err != nil {
			s.leave(ctx, pool, id) // the reply may have been lost after the script ran
			return semaphore.Permit{}, time.Time{}, err
		}
		if !a.Acquired {
			return semaphore.Permit{}, time.Time{}, fmt.Errorf("%w: %s has no free permit", semaphore.ErrNotAcquired, pool)
		}
		return permit, time.Now(), nil
	}
	// Free permits are taken by a plain attempt, with no wake-up registration; otherwise wait in the queue.
	plain := req
	plain.Queue = false
	sent := time.Now()
	if a, err := s.store.Acquire(ctx, plain); err == nil && a.Acquired {
		return permit, sent, nil
	} else if err != nil && !errors.Is(err, ports.ErrUnavailable) {
		return semaphore.Permit{}, time.Time{}, err
	}
	at, err := s.wait(ctx, req)
	return permit, at, err
}

// wait queues until the permits are granted, ctx ends, or an error retrying cannot fix.
func (s *Service) wait(ctx context.Context, req semaphore.Request) (time.Time, error) {
	wakes, stop, err := s.store.Notify(ctx, req.ID)
	if err != nil {
		wakes = nil // no wake-ups: look again on a timer only
	}
	defer stop()
	failures := 0
	for {
		sent := time.Now()
		a, err := s.store.Acquire(ctx, req)
		var delay time.Duration
		switch {
		case err == nil && a.Acquired:
			return sent, nil
		case err == nil:
			failures = 0
			delay = a.RetryIn
		case errors.Is(err, ports.ErrUnavailable) && ctx.Err() == nil:
			delay = s.cfg.Backoff.Next(failures)
			failures++
		default:
			s.leave(ctx, req.Pool, req.ID)
			return time.Time{}, errs.Stopped(ctx, err)
		}
		w, woke, err := keeper.Pause(ctx, delay, wakes)
		switch {
		case err != nil:
			s.leave(ctx, req.Pool, req.ID)
			return time.Time{}, errs.Stopped(ctx, err)
		case woke && w.Granted:
			return time.Now(), nil
		}
	}
}

// leave takes id out of the queue (releasing permits granted meanwhile), even after ctx ended.
func (s *Service) leave(ctx context.Context, pool, id string) {
	_ = keeper.Detached(ctx, time.Second, func(ctx context.Context) error { return s.store.Leave(ctx, pool, id) })
}

// Grant takes weight permits of pool under a fresh permit id for a caller that keeps the id itself (HTTP): no
// background refresh. capacity creates the pool if missing; wait 0 tries once, otherwise it waits up to wait
// (at most Config.MaxWait) in the queue.
func (s *Service) Grant(ctx context.Context, pool string, weight int, ttl time.Duration, capacity int, wait time.Duration) (semaphore.Permit, error) {
	o := options{weight: cmp.Or(weight, 1), ttl: cmp.Or(ttl, s.cfg.DefaultTTL), capacity: capacity}
	return keeper.Grant(ctx, s.cfg, errs, wait, func(ctx context.Context, block bool) (semaphore.Permit, time.Time, error) {
		return s.obtain(ctx, pool, o, block)
	})
}

// Refresh sets the remaining lease of a held permit to ttl.
func (s *Service) Refresh(ctx context.Context, pool, id string, ttl time.Duration) error {
	if err := errors.Join(semaphore.ValidatePool(pool), semaphore.ValidatePermitID(id), semaphore.ValidateTTL(ttl)); err != nil {
		return err
	}
	return s.store.Refresh(ctx, pool, id, ttl)
}

// Release gives a permit back; the freed permits go to the queue in order.
func (s *Service) Release(ctx context.Context, pool, id string) error {
	if err := errors.Join(semaphore.ValidatePool(pool), semaphore.ValidatePermitID(id)); err != nil {
		return err
	}
	return s.store.Release(ctx, pool, id)
}

// SetCapacity creates a pool or changes its capacity at run time.
func (s *Service) SetCapacity(ctx context.Context, pool string, capacity int) (semaphore.Stats, error) {
	if err := errors.Join(semaphore.ValidatePool(pool), semaphore.ValidateCapacity(capacity)); err != nil {
		return semaphore.Stats{}, err
	}
	return s.store.SetCapacity(ctx, pool, capacity)
}

// Stats reports a pool's capacity, use, holders and waiters.
func (s *Service) Stats(ctx context.Context, pool string) (semaphore.Stats, error) {
	if err := semaphore.ValidatePool(pool); err != nil {
		return semaphore.Stats{}, err
	}
	return s.store.Stats(ctx, pool)
}

// Delete removes a pool, its permits and its queue.
func (s *Service) Delete(ctx context.Context, pool string) error {
	if err := semaphore.ValidatePool(pool); err != nil {
		return err
	}
	return s.store.Delete(ctx, pool)
}
