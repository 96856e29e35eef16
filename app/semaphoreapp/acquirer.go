package semaphoreapp

import "context"

// Acquirer is what a Go caller does with a semaphore: take permits of a pool (waiting, or trying once) and
// run a function while holding them. *Service satisfies it; code that depends on an Acquirer can be
// unit-tested with semaphoretest.Fake, which never grants more than a pool's capacity.
//
// A held permit stays the concrete *Permit: its refresh and holder context are the point of it, and an
// interface would let a fake skip them. So the fake does not imitate a Permit: it is a real Service over an
// in-memory store, and its *Permit values refresh, expire and cancel their holder context as Redis-backed
// ones do.
type Acquirer interface {
	// Acquire is Service.Acquire.
	Acquire(ctx context.Context, pool string, opts ...Option) (*Permit, error)
	// TryAcquire is Service.TryAcquire.
	TryAcquire(ctx context.Context, pool string, opts ...Option) (*Permit, error)
	// Do is Service.Do.
	Do(ctx context.Context, pool string, fn func(ctx context.Context, p *Permit) error, opts ...Option) error
}

var _ Acquirer = (*Service)(nil)
