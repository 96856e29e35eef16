// Package keeper keeps a held lease alive for the app modules that hand out leases (locks, semaphore
// permits): it renews the lease in the background at a third of its length, stops when the holder's context
// ends (releasing the lease), and, when the lease is lost — the store says it is no longer held, or no renewal
// succeeded before the lease's local validity ran out — cancels the holder's context so the holder stops
// working unprotected (as rueidislock does). It knows only callbacks, no store. It also holds what those
// modules share around a lease: their Settings and sentinel Errors, and the steps both take to acquire one
// (Grant, Pause, Do).
package keeper

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Config describes one held lease and how to keep it.
type Config struct {
	// TTL is the lease length. DriftFactor is the share of a lease the holder does not rely on (clock
	// drift, the time a hand-over message took), plus 2 ms: the lease is valid locally until the sending time
	// of the last successful acquisition or renewal plus the lease minus that allowance.
	TTL         time.Duration
	DriftFactor float64
	// Renew keeps renewing until released, lost or the parent context ends. Without it the lease lapses
	// after TTL and the holder's context is cancelled then.
	Renew bool
	// Extend renews the lease for ttl; Release gives it back.
	Extend  func(ctx context.Context, ttl time.Duration) error
	Release func(ctx context.Context) error
	// Gone reports that an error from Extend or Release means the store no longer holds the lease.
	Gone func(err error) bool
	// Lost wraps the reason for a loss into the module's loss error (e.g. lock.ErrLost).
	Lost func(reason error) error
	// Retry is the wait before renewal retry number attempt after a failure to reach the store.
	Retry func(attempt int) time.Duration
}

type state int

const (
	held state = iota
	released
	lost
)

// ErrReleased is the cause of a holder context cancelled because its lease was released.
var ErrReleased = errors.New("lease released")

// Lease is one kept lease. Its methods are safe for concurrent use.
type Lease struct {
	cfg    Config
	parent context.Context

	mu         sync.Mutex
	st         state
	err        error
	ttl        time.Duration
	validUntil time.Time
	failures   int
	timer      *time.Timer
	stopParent func() bool
	ctx        context.Context
	cancel     context.CancelCauseFunc
}

// Start keeps a lease acquired by a request sent at sent, on behalf of a holder whose context is parent: when
// parent ends, renewal stops and the lease is released.
func Start(parent context.Context, sent time.Time, cfg Config) *Lease {
	l := &Lease{cfg: cfg, parent: parent, ttl: cfg.TTL}
	l.validUntil = sent.Add(l.valid(cfg.TTL))
	l.mu.Lock()
	defer l.mu.Unlock()
	l.timer = time.AfterFunc(l.nextTick(), l.tick)
	l.stopParent = context.AfterFunc(parent, l.parentDone)
	return l
}

// valid is how long after its request a lease of ttl may be relied on.
func (l *Lease) valid(ttl time.Duration) time.Duration {
	return ttl - time.Duration(float64(ttl)*l.cfg.DriftFactor) - 2*time.Millisecond
}

// nextTick is when the background work should look next: a third of the lease when renewing, else the end
// of the local validity. Called with mu held.
func (l *Lease) nextTick() time.Duration {
	if l.cfg.Renew {
		return l.ttl / 3
	}
	return time.Until(l.validUntil)
}

// Context is the holder's context: derived from the parent and cancelled, with the loss error as its cause
// (context.Cause), as soon as the lease is lost, released or the parent ends.
func (l *Lease) Context() context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx == nil {
		l.ctx, l.cancel = context.WithCancelCause(l.parent)
		if l.st != held {
			l.cancel(l.err)
		}
	}
	return l.ctx
}

// Err is nil while the lease is held, then why it ended: the loss error, ErrReleased, or the parent's cause.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// ValidUntil is when the lease runs out locally unless renewed.
func (l *Lease) ValidUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.validUntil
}

// TTL is the lease length renewals use.
func (l *Lease) TTL() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ttl
}

// end moves the lease out of held. Called with mu held.
func (l *Lease) end(st state, err error) {
	l.st, l.err = st, err
	l.timer.Stop()
	l.stopParent()
	if l.cancel != nil {
		l.cancel(err)
	}
}

func (l *Lease) tick() {
	l.mu.Lock()
	if l.st != held {
		l.mu.Unlock()
		return
	}
	if !time.Now().Before(l.validUntil) {
		l.end(lost, l.cfg.Lost(errors.New("the lease ran out before it was renewed")))
		l.mu.Unlock()
		return
	}
	if !l.cfg.Renew {
		l.timer.Reset(time.Until(l.validUntil))
		l.mu.Unlock()
		return
	}
	ttl, deadline := l.ttl, l.validUntil
	l.mu.Unlock()

	ctx, cancel := context.WithDeadline(context.WithoutCancel(l.parent), deadline)
	sent := time.Now()
	err := l.cfg.Extend(ctx, ttl)
	cancel()

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st != held {
		return
	}
	switch {
	case err == nil:
		l.validUntil, l.failures = sent.Add(l.valid(ttl)), 0
		l.timer.Reset(l.nextTick())
	case l.cfg.Gone(err):
		l.end(lost, l.cfg.Lost(err))
	case !time.Now().Before(l.validUntil):
		l.end(lost, l.cfg.Lost(err))
	default:
		d := l.cfg.Retry(l.failures)
		l.failures++
		l.timer.Reset(min(d, time.Until(l.validUntil)))
	}
}

// parentDone releases the lease when the holder's context ends.
func (l *Lease) parentDone() {
	l.mu.Lock()
	if l.st != held {
		l.mu.Unlock()
		return
	}
	l.end(released, context.Cause(l.parent))
	l.mu.Unlock()
	_ = Detached(l.parent, time.Second, l.cfg.Release)
}

// Release gives the lease back. Releasing again is a no-op. After a loss it still asks the store to let go
// (the lease may be there if only the store was unreachable) and returns the loss error; a lease the store no
// longer holds is reported as lost.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	st, cause := l.st, l.err
	if st == held {
		l.end(released, ErrReleased)
	}
	l.mu.Unlock()
	if st == released {
		return nil
	}
	err := l.cfg.Release(ctx)
	switch {
	case st == lost:
		return cause
	case err != nil && l.cfg.Gone(err):
		return l.cfg.Lost(err)
	}
	return err
}

// Extend renews the lease now for ttl, which later renewals keep using.
func (l *Lease) Extend(ctx context.Context, ttl time.Duration) error {
	l.mu.Lock()
	if l.st != held {
		err := l.err
		l.mu.Unlock()
		return err
	}
	l.mu.Unlock()
	sent := time.Now()
	err := l.cfg.Extend(ctx, ttl)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st != held {
		return l.err
	}
	switch {
	case err == nil:
		l.ttl, l.validUntil = ttl, sent.Add(l.valid(ttl))
		l.timer.Reset(l.nextTick())
		return nil
	case l.cfg.Gone(err):
		l.end(lost, l.cfg.Lost(err))
		return l.err
	}
	return err
}

// Backoff is the retry policy where nothing wakes a waiter (Redlock) or the store is unreachable:
// exponential growth from Base to Max, with "equal jitter" so that contenders spread out but never retry at
// once.
type Backoff struct {
	Base, Max time.Duration
}

// DefaultBackoff starts at 2 ms and grows to 250 ms.
func DefaultBackoff() Backoff {
	return Backoff{Base: 2 * time.Millisecond, Max: 250 * time.Millisecond}
}

// Validate checks that the policy is usable.
func (b Backoff) Validate() error {
	if b.Base <= 0 || b.Max < b.Base {
		return fmt.Errorf("backoff %s..%s: want 0 < base <= max", b.Base, b.Max)
	}
	return nil
}

// Delay is the wait before retry number attempt (0 for the first retry), given a uniform random number r in
// [0, 1): half of the capped exponential step, plus r times the other half.
func (b Backoff) Delay(attempt int, r float64) time.Duration {
	step := b.Max
	if attempt < 30 {
		if d := b.Base << attempt; d > 0 && d < b.Max {
			step = d
		}
	}
	half := step / 2
	return half + time.Duration(r*float64(step-half))
}

// Next is Delay with a fresh random number from math/rand (jitter needs no secrecy).
func (b Backoff) Next(attempt int) time.Duration { return b.Delay(attempt, rand.Float64()) }
