// Package lockapp carries out the locks use cases. Go callers take a *Lock (exclusive or shared, one name or
// several, try or blocking with a context), which renews itself while held and cancels its holder context when
// lost; non-Go callers (HTTP) use the token-based Grant / Extend / Release. A blocking acquisition queues in
// the lock's FIFO queue and is handed the lock by the releasing holder, woken at once; it falls back to
// retries with backoff and jitter where there is no queue (Redlock) or Redis is unreachable.
package lockapp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/statekit/statekit/app/internal/keeper"
	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/ports"
)

// Config tunes the locks service.
type Config struct {
	// DefaultTTL is the lease when the caller names none.
	DefaultTTL time.Duration
	// BackoffBase and BackoffMax pace retries where nothing wakes a waiter or Redis is unreachable: the
	// first retry waits about BackoffBase, each later one twice as long, up to BackoffMax (with jitter).
	BackoffBase, BackoffMax time.Duration
	// DriftFactor is the share of a lease a holder does not rely on (clock drift, hand-over delivery), in
	// [0, 0.5).
	DriftFactor float64
	// MaxWait bounds how long a token-based (HTTP) acquisition may wait.
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
	return c.settings().Validate("lock", "lock", lock.ValidateTTL)
}

// ErrReleased is the cause of a holder's context cancelled because its lock was released (rather than
// lost): match it with errors.Is on context.Cause.
var ErrReleased = keeper.ErrReleased

// errs are the locks module's errors for the keeper helpers.
var errs = keeper.Errors{Invalid: lock.ErrInvalid, NotAcquired: lock.ErrNotAcquired, NotHeld: lock.ErrNotHeld,
	Lost: lock.ErrLost}

// Service is the locks application service.
type Service struct {
	locker ports.Locker
	fenced ports.FencedStore
	cfg    keeper.Settings
	// busy remembers, per hash of a lock name, when a blocking acquisition last found the lock taken: for a
	// while after, blocking acquisitions of that name queue at once instead of trying plainly first (which
	// would fail and cost a round trip). Collisions only cost that round trip the other way.
	busy [busySlots]atomic.Int64
}

const (
	busySlots = 1024
	busyFor   = 200 * time.Millisecond
)

func busySlot(name string) int {
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return int(h % busySlots)
}

// NewService returns the service over locker, with fenced as the store for fenced writes.
func NewService(locker ports.Locker, fenced ports.FencedStore, cfg Config) *Service {
	return &Service{locker: locker, fenced: fenced, cfg: cfg.settings()}
}

// Option adjusts one acquisition.
type Option func(*options)

type options struct {
	ttl   time.Duration
	mode  lock.Mode
	renew bool
}

// WithTTL sets the lease (default Config.DefaultTTL). A renewed lock is extended by this much each time.
func WithTTL(ttl time.Duration) Option { return func(o *options) { o.ttl = ttl } }

// Shared takes the lock shared: a read lock, held by any number of readers at once and by no writer.
func Shared() Option { return func(o *options) { o.mode = lock.Shared } }

// WithoutRenewal leaves the lease to lapse after its TTL unless the holder extends it.
func WithoutRenewal() Option { return func(o *options) { o.renew = false } }

func (s *Service) options(opts []Option) options {
	o := options{ttl: s.cfg.DefaultTTL, mode: lock.Exclusive, renew: true}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// TryAcquire takes name if it is free now and nobody is queued for it; lock.ErrNotAcquired otherwise.
func (s *Service) TryAcquire(ctx context.Context, name string, opts ...Option) (*Lock, error) {
	return s.take(ctx, []string{name}, opts, false)
}

// Acquire takes name, waiting (in FIFO order with the other waiters) until it is handed over or ctx ends
// (lock.ErrNotAcquired wrapping the context's error). The lock renews itself until released, lost or ctx ends.
func (s *Service) Acquire(ctx context.Context, name string, opts ...Option) (*Lock, error) {
	return s.take(ctx, []string{name}, opts, true)
}

// TryAcquireMulti takes every name at once or none.
func (s *Service) TryAcquireMulti(ctx context.Context, names []string, opts ...Option) (*Lock, error) {
	return s.take(ctx, names, opts, false)
}

// AcquireMulti takes every name, waiting until all are held or ctx ends. It first tries them all at once;
// then it takes them one by one in name order, holding (and extending) the earlier ones while it waits for
// the next. Every multi-locker orders names the same way, so two of them never wait on each other in a
// cycle: no deadlock.
func (s *Service) AcquireMulti(ctx context.Context, names []string, opts ...Option) (*Lock, error) {
	return s.take(ctx, names, opts, true)
}

// Do runs fn while holding name (waiting for it like Acquire), then releases it. fn's context is the
// holder's: it is cancelled if the lock is lost. A lock lost while fn ran is reported even when fn returned nil.
func (s *Service) Do(ctx context.Context, name string, fn func(ctx context.Context, l *Lock) error, opts ...Option) error {
	l, err := s.Acquire(ctx, name, opts...)
	if err != nil {
		return err
	}
	return keeper.Do(ctx, errs, l, fn)
}

func (s *Service) take(ctx context.Context, names []string, opts []Option, block bool) (*Lock, error) {
	o := s.options(opts)
	lease, sent, err := s.obtain(ctx, names, o, block)
	if err != nil {
		return nil, err
	}
	return s.keep(ctx, lease, sent, o.renew), nil
}

// obtain runs one acquisition and returns the lease with the time its granting request was sent (or the
// hand-over message arrived).
func (s *Service) obtain(ctx context.Context, names []string, o options, block bool) (lock.Lease, time.Time, error) {
	token, err := lock.NewToken()
	if err != nil {
		return lock.Lease{}, time.Time{}, err
	}
	req := lock.Request{Names: names, Token: token, Mode: o.mode, TTL: o.ttl}
	if err := req.Validate(); err != nil {
		return lock.Lease{}, time.Time{}, err
	}
	lease := lock.Lease{Names: slices.Clone(names), Token: token, Mode: o.mode, TTL: o.ttl}
	if block && len(names) == 1 {
		// A free lock is taken by a plain attempt, with no wake-up registration; a held one is waited for in
		// its queue.
		slot := &s.busy[busySlot(names[0])]
		if sent := time.Now(); sent.UnixNano()-slot.Load() > int64(busyFor) {
			if a, err := s.locker.Acquire(ctx, req); err == nil && a.Acquired {
				lease.Fences = a.Fences
				return lease, sent, nil
			}
			slot.Store(time.Now().UnixNano())
		}
		f, at, err := s.wait(ctx, req, names[0], nil)
		if err != nil {
			return lock.Lease{}, time.Time{}, err
		}
		lease.Fences = []int64{f}
		return lease, at, nil
	}
	sent := time.Now()
	a, err := s.locker.Acquire(ctx, req)
	if err == nil && a.Acquired {
		lease.Fences = a.Fences
		return lease, sent, nil
	}
	if err != nil && (!block || !errors.Is(err, ports.ErrUnavailable)) {
		s.giveUp(ctx, names, token) // the reply may have been lost after the script ran
		return lock.Lease{}, time.Time{}, err
	}
	if !block {
		return lock.Lease{}, time.Time{}, fmt.Errorf("%w: held by another owner", lock.ErrNotAcquired)
	}
	// Wait: one name at a time, in name order, keeping the names already taken.
	order := slices.Clone(names)
	slices.Sort(order)
	fences := map[string]int64{}
	var held []string
	for _, name := range order {
		f, _, err := s.wait(ctx, req, name, held)
		if err != nil {
			s.giveUp(ctx, held, token)
			return lock.Lease{}, time.Time{}, err
		}
		fences[name] = f
		held = append(held, name)
	}
	// The earlier names' leases began before the last one's: extend them all so that one moment starts
	// the whole lease.
	sent = time.Now()
	if err := s.locker.Extend(ctx, names, token, o.ttl); err != nil {
		s.giveUp(ctx, names, token)
		if errors.Is(err, lock.ErrNotHeld) {
			err = fmt.Errorf("%w: %w", lock.ErrLost, err)
		}
		return lock.Lease{}, time.Time{}, err
	}
	lease.Fences = make([]int64, len(names))
	for i, n := range names {
		lease.Fences[i] = fences[n]
	}
	return lease, sent, nil
}

// wait queues for one name until it is handed over, ctx ends or an error that retrying cannot fix. While it
// waits it keeps the names already held (a multi-lock's earlier names) extended. It returns the fence and
// the moment the lease began on this side.
func (s *Service) wait(ctx context.Context, req lock.Request, name string, held []string) (int64, time.Time, error) {
	wakes, stop, err := s.locker.Notify(ctx, req.Token)
	if err != nil {
		wakes = nil // no wake-ups: look again on a timer only
	}
	defer stop()
	one := req
	one.Names, one.Queue = []string{name}, true
	lastExtend := time.Now()
	failures, polls := 0, 0
	for {
		sent := time.Now()
		a, err := s.locker.Acquire(ctx, one)
		var delay time.Duration
		switch {
		case err == nil && a.Acquired:
			return a.Fences[0], sent, nil
		case err == nil:
			failures = 0
			delay = a.RetryIn
			if wakes == nil || delay <= 0 {
				// Nothing will wake us: poll with backoff, but not past the moment the holder's lease ends.
				delay = s.cfg.Backoff.Next(polls)
				if a.RetryIn > 0 {
					delay = min(delay, a.RetryIn)
				}
				polls++
			}
		case errors.Is(err, ports.ErrUnavailable) && ctx.Err() == nil:
			delay = s.cfg.Backoff.Next(failures)
			failures++
		default:
			s.leave(ctx, name, req.Token)
			return 0, time.Time{}, errs.Stopped(ctx, err)
		}
		if len(held) > 0 {
			delay = min(delay, req.TTL/3)
			if time.Since(lastExtend) >= req.TTL/3 {
				if err := s.locker.Extend(ctx, held, req.Token, req.TTL); errors.Is(err, lock.ErrNotHeld) {
					s.leave(ctx, name, req.Token)
					return 0, time.Time{}, fmt.Errorf("%w while waiting for %s: %w", lock.ErrLost, name, err)
				}
				lastExtend = time.Now()
			}
		}
		w, woke, err := keeper.Pause(ctx, delay, wakes)
		switch {
		case err != nil:
			s.leave(ctx, name, req.Token)
			return 0, time.Time{}, errs.Stopped(ctx, err)
		case woke && w.Granted && w.Name == name:
			return w.Fence, time.Now(), nil
		}
	}
}

// leave takes the token out of name's queue (releasing the lock if it was handed over meanwhile), even
// after ctx ended.
func (s *Service) leave(ctx context.Context, name, token string) {
	_ = keeper.Detached(ctx, time.Second, func(ctx context.Context) error { return s.locker.Leave(ctx, name, token) })
}

// giveUp releases whatever names the token may hold after a failed acquisition, even after ctx ended.
func (s *Service) giveUp(ctx context.Context, names []string, token string) {
	if len(names) == 0 {
		return
	}
	_ = keeper.Detached(ctx, time.Second, func(ctx context.Context) error { return s.locker.Release(ctx, names, token) })
}

// Grant acquires names under a fresh token for a caller that keeps the token itself (HTTP): no background
// renewal; the caller extends and releases with the token. wait 0 tries once; otherwise it waits up to wait
// (at most Config.MaxWait) in the queue.
func (s *Service) Grant(ctx context.Context, names []string, mode lock.Mode, ttl, wait time.Duration) (lock.Lease, error) {
	o := options{ttl: cmp.Or(ttl, s.cfg.DefaultTTL), mode: mode}
	return keeper.Grant(ctx, s.cfg, errs, wait, func(ctx context.Context, block bool) (lock.Lease, time.Time, error) {
		return s.obtain(ctx, names, o, block)
	})
}

// Extend sets the remaining lease of names held by token to ttl.
func (s *Service) Extend(ctx context.Context, names []string, token string, ttl time.Duration) error {
	if err := errors.Join(lock.ValidateNames(names), lock.ValidateToken(token), lock.ValidateTTL(ttl)); err != nil {
		return err
	}
	return s.locker.Extend(ctx, names, token, ttl)
}

// Release frees names held by token and hands each to its next waiter.
func (s *Service) Release(ctx context.Context, names []string, token string) error {
	if err := errors.Join(lock.ValidateNames(names), lock.ValidateToken(token)); err != nil {
		return err
	}
	return s.locker.Release(ctx, names, token)
}

// Inspect reports who holds name (never the token), its last fence and its waiters.
func (s *Service) Inspect(ctx context.Context, name string) (lock.State, error) {
	if err := lock.ValidateName(name); err != nil {
		return lock.State{}, err
	}
	return s.locker.Inspect(ctx, name)
}

// WriteFenced writes value under key of the fenced store when fence is not older than the fence of the key's
// last write: lock.ErrStaleFence otherwise, and nothing changes. ttl 0 keeps the value.
func (s *Service) WriteFenced(ctx context.Context, key, value string, fence int64, ttl time.Duration) error {
	if err := lock.ValidateName(key); err != nil {
		return fmt.Errorf("fenced key: %w", err)
	}
	if err := lock.CheckFence(0, fence); err != nil {
		return err
	}
	if ttl < 0 {
		return fmt.Errorf("%w: ttl %s: must not be negative", lock.ErrInvalid, ttl)
	}
	if len(value) > lock.MaxValueLen {
		return fmt.Errorf("%w: value: at most %d bytes", lock.ErrInvalid, lock.MaxValueLen)
	}
	return s.fenced.Set(ctx, key, value, fence, ttl)
}

// ReadFenced returns a fenced value with the fence of its last write; lock.ErrNoValue when there is none.
func (s *Service) ReadFenced(ctx context.Context, key string) (value string, fence int64, err error) {
	if err := lock.ValidateName(key); err != nil {
		return "", 0, fmt.Errorf("fenced key: %w", err)
	}
	v, f, found, err := s.fenced.Get(ctx, key)
	if err == nil && !found {
		err = fmt.Errorf("%w: %s", lock.ErrNoValue, key)
	}
	return v, f, err
}
