package cache

import (
	"errors"
	"fmt"
	"time"
)

// Policy is how long values live and how the stampede rules treat them. The service has a default policy;
// each call may override parts of it.
type Policy struct {
	// TTL is how long a loaded or written value stays fresh.
	TTL time.Duration
	// NegativeTTL is how long a "not found" from the loader is remembered; 0 disables negative caching.
	NegativeTTL time.Duration
	// StaleWhileRevalidate is how long after TTL the value is still served while one caller refreshes it.
	StaleWhileRevalidate time.Duration
	// StaleIfError is how long after TTL the value may stand in for a failed or shed reload.
	StaleIfError time.Duration
	// Jitter shortens each TTL by a random fraction up to this (0 to 0.5), so keys written together do not
	// expire together.
	Jitter float64
	// Beta is the XFetch factor: larger refreshes earlier; 0 turns early refresh off. 1 is the paper's
	// optimum for most loads.
	Beta float64
}

// DefaultPolicy is a one-hour TTL, 30 s negative TTL, one minute of stale-while-revalidate, ten minutes of
// stale-if-error, 10% jitter and XFetch beta 1.
func DefaultPolicy() Policy {
	return Policy{TTL: time.Hour, NegativeTTL: 30 * time.Second, StaleWhileRevalidate: time.Minute,
		StaleIfError: 10 * time.Minute, Jitter: 0.1, Beta: 1}
}

// Validate reports every rule the policy breaks.
func (p Policy) Validate() error {
	var errs []error
	if p.TTL < time.Millisecond {
		errs = append(errs, fmt.Errorf("%w: ttl %s: must be at least 1ms", ErrInvalid, p.TTL))
	}
	if p.NegativeTTL < 0 || p.StaleWhileRevalidate < 0 || p.StaleIfError < 0 {
		errs = append(errs, fmt.Errorf("%w: negative ttl and stale windows must not be negative", ErrInvalid))
	}
	if p.NegativeTTL > 0 && p.NegativeTTL < time.Millisecond {
		errs = append(errs, fmt.Errorf("%w: negative ttl %s: 0 or at least 1ms", ErrInvalid, p.NegativeTTL))
	}
	if !(p.Jitter >= 0 && p.Jitter <= 0.5) {
		errs = append(errs, fmt.Errorf("%w: jitter %v: must be between 0 and 0.5", ErrInvalid, p.Jitter))
	}
	if !(p.Beta >= 0 && p.Beta <= 100) {
		errs = append(errs, fmt.Errorf("%w: xfetch beta %v: must be between 0 and 100", ErrInvalid, p.Beta))
	}
	return errors.Join(errs...)
}

// NewEntry builds the entry for a value loaded (or written) at now that took loadTime; u in [0, 1) draws
// the jitter. A negative entry lives NegativeTTL and has no stale windows. Times are rounded down to what
// Encode keeps (milliseconds, microseconds), so an entry means the same before and after storage.
func (p Policy) NewEntry(value []byte, negative bool, loadTime time.Duration, now time.Time, u float64) Entry {
	loadTime = loadTime.Truncate(time.Microsecond)
	if negative {
		return Entry{Negative: true, LoadTime: loadTime, FreshUntil: millis(now.Add(p.NegativeTTL))}
	}
	ttl := p.TTL - time.Duration(float64(p.TTL)*p.Jitter*u)
	return Entry{Value: value, LoadTime: loadTime, FreshUntil: millis(now.Add(ttl)),
		Revalidate: p.StaleWhileRevalidate.Truncate(time.Millisecond), IfError: p.StaleIfError.Truncate(time.Millisecond)}
}

func millis(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()) }
