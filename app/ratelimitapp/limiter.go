package ratelimitapp

import "context"

// Limiter is what a Go caller does with rate limits: ask whether a piece of work of some cost may run now
// under a named policy. *Service satisfies it; code that depends on a Limiter can be unit-tested with
// ratelimittest.Fake, which can be told to deny.
type Limiter interface {
	// Allow is Service.Allow.
	Allow(ctx context.Context, policy, subject string, cost int64) (Decision, error)
}

var _ Limiter = (*Service)(nil)
