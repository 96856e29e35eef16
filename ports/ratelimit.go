package ports

//go:generate go tool mockgen -source=ratelimit.go -destination=mocks/ratelimit.go -package=mocks

import (
	"context"

	"github.com/statekit/statekit/domain/ratelimit"
)

// RateLimiter keeps rate-limit state per policy and subject. Every decision is atomic and costs at most one
// round trip (less when concurrent decisions share a pipeline). Failures to reach the store wrap
// ErrUnavailable; the caller applies the policy's failure mode.
type RateLimiter interface {
	// Allow takes cost units from every tier of p for subject, all or nothing: when any tier has no room,
	// nothing is taken from any tier and the result is not allowed (a denial is not an error).
	Allow(ctx context.Context, p ratelimit.Policy, subject string, cost int64) (ratelimit.Result, error)
	// Peek reports subject's state under p without taking anything: Remaining is what a request could
	// take now.
	Peek(ctx context.Context, p ratelimit.Policy, subject string) (ratelimit.Result, error)
	// Reset forgets subject's state under p, giving it the full quota again.
	Reset(ctx context.Context, p ratelimit.Policy, subject string) error
}

// RateLimitMetrics records what the rate limiter decides, for monitoring.
type RateLimitMetrics interface {
	// Decided counts one decision of a policy with its outcome.
	Decided(policy string, outcome ratelimit.Outcome)
	// StoreFailed counts a decision that could not reach the store within the decision timeout.
	StoreFailed(policy string)
	// EventFailed counts a sampled ratelimit.denied event that could not be published.
	EventFailed(policy string)
}
