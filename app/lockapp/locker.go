package lockapp

import (
	"context"
	"time"
)

// Locker is what a Go caller does with locks: take one (waiting, or trying once), run a function under
// one, and read or write the fenced values they protect. *Service satisfies it; code that depends on a
// Locker can be unit-tested with locktest.Fake, which really excludes concurrent holders.
//
// A held lock stays the concrete *Lock: its renewal and holder context are the point of it, and an
// interface would let a fake skip them. So the fake does not imitate a Lock: it is a real Service over
// in-memory stores, and its *Lock values renew, expire and cancel their holder context as Redis-backed ones
// do.
type Locker interface {
	// Acquire is Service.Acquire.
	Acquire(ctx context.Context, name string, opts ...Option) (*Lock, error)
	// TryAcquire is Service.TryAcquire.
	TryAcquire(ctx context.Context, name string, opts ...Option) (*Lock, error)
	// AcquireMulti is Service.AcquireMulti.
	AcquireMulti(ctx context.Context, names []string, opts ...Option) (*Lock, error)
	// Do is Service.Do.
	Do(ctx context.Context, name string, fn func(ctx context.Context, l *Lock) error, opts ...Option) error
	// WriteFenced is Service.WriteFenced.
	WriteFenced(ctx context.Context, key, value string, fence int64, ttl time.Duration) error
	// ReadFenced is Service.ReadFenced.
	ReadFenced(ctx context.Context, key string) (value string, fence int64, err error)
}

var _ Locker = (*Service)(nil)
