package keeper

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Settings tune a module that hands out leases. Each module's Config is a type of its own over these fields.
type Settings struct {
	// DefaultTTL is the lease when the caller names none.
	DefaultTTL time.Duration
	// Backoff paces retries where nothing wakes a waiter or the store is unreachable.
	Backoff Backoff
	// DriftFactor is the share of a lease a holder does not rely on (clock drift, hand-over delivery).
	DriftFactor float64
	// MaxWait bounds how long a token-based (HTTP) acquisition may wait.
	MaxWait time.Duration
}

// DefaultSettings are a 30 s lease, DefaultBackoff, 1% drift and waits of at most 20 s.
func DefaultSettings() Settings {
	return Settings{DefaultTTL: 30 * time.Second, Backoff: DefaultBackoff(), DriftFactor: 0.01, MaxWait: 20 * time.Second}
}

// Validate reports every problem with the settings of module (e.g. "semaphore"), whose leases are called
// lease (e.g. "permit") and checked by validTTL.
func (s Settings) Validate(module, lease string, validTTL func(time.Duration) error) error {
	var errs []error
	if err := validTTL(s.DefaultTTL); err != nil {
		errs = append(errs, fmt.Errorf("default %s ttl: %w", lease, err))
	}
	if err := s.Backoff.Validate(); err != nil {
		errs = append(errs, err)
	}
	if s.DriftFactor < 0 || s.DriftFactor >= 0.5 {
		errs = append(errs, fmt.Errorf("%s drift factor %v: must be in [0, 0.5)", module, s.DriftFactor))
	}
	if s.MaxWait < 0 {
		errs = append(errs, fmt.Errorf("%s max wait %s: must not be negative", module, s.MaxWait))
	}
	return errors.Join(errs...)
}

// Errors are a module's sentinel errors for its leases, which the helpers here wrap.
type Errors struct {
	// Invalid is bad input; NotAcquired a lease not granted (in time); NotHeld a lease the store no longer
	// holds for its token; Lost a lease lost while its holder relied on it.
	Invalid, NotAcquired, NotHeld, Lost error
}

// Gone reports that err means the store no longer holds the lease (Config.Gone).
func (e Errors) Gone(err error) bool { return errors.Is(err, e.NotHeld) }

// LostFor is Config.Lost for the lease of what (a name, names, a pool): a reason that is already a loss
// stays as it is; any other becomes "<Lost>: <what>: <reason>".
func (e Errors) LostFor(what any) func(reason error) error {
	return func(reason error) error {
		if errors.Is(reason, e.Lost) {
			return reason
		}
		return fmt.Errorf("%w: %v: %w", e.Lost, what, reason)
	}
}

// Stopped reports why a wait ended: NotAcquired with the context's cause when ctx ended, else err.
func (e Errors) Stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %w", e.NotAcquired, context.Cause(ctx))
	}
	return err
}

// Grant runs one acquisition for a caller that keeps the lease itself (HTTP): obtain once without blocking
// when wait is 0, otherwise blocking for at most wait, which must be between 0 and s.MaxWait.
func Grant[L any](ctx context.Context, s Settings, errs Errors, wait time.Duration,
	obtain func(ctx context.Context, block bool) (L, time.Time, error)) (L, error) {
	if wait < 0 || wait > s.MaxWait {
		var zero L
		return zero, fmt.Errorf("%w: wait %s: must be between 0 and %s", errs.Invalid, wait, s.MaxWait)
	}
	if wait == 0 {
		l, _, err := obtain(ctx, false)
		return l, err
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	l, _, err := obtain(ctx, true)
	return l, err
}

// Holder is a held lease as its Go holder sees it (a lock, a permit).
type Holder interface {
	Context() context.Context
	Release(ctx context.Context) error
}

// Do runs fn with the holder's context while h is held, then releases h (allowing 2 s, even after ctx
// ended). A loss (errs.Lost) from the release is reported even when fn returned nil; otherwise fn's error
// wins.
func Do[H Holder](ctx context.Context, errs Errors, h H, fn func(ctx context.Context, h H) error) error {
	fnErr := fn(h.Context(), h)
	relErr := Detached(ctx, 2*time.Second, h.Release)
	if errors.Is(relErr, errs.Lost) || fnErr == nil {
		return errors.Join(fnErr, relErr)
	}
	return fnErr
}

// Detached calls f with a context that keeps ctx's values but not its end, bounded by d: for giving back
// what a holder or a waiter may hold after ctx ended.
func Detached(ctx context.Context, d time.Duration, f func(ctx context.Context) error) error {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
	defer cancel()
	return f(c)
}

// Pause is a waiter's sleep between two looks at the queue: it waits delay (at least 1 ms) or for a
// wake-up on wakes (nil: none come), whichever comes first. It returns the wake-up and true when one came,
// and ctx's error when ctx ended first.
func Pause[W any](ctx context.Context, delay time.Duration, wakes <-chan W) (W, bool, error) {
	var zero W
	timer := time.NewTimer(max(delay, time.Millisecond))
	defer timer.Stop()
	select {
	case w := <-wakes:
		return w, true, nil
	case <-timer.C:
		return zero, false, nil
	case <-ctx.Done():
		return zero, false, ctx.Err()
	}
}
