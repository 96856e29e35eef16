package ratelimitredis

import (
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/ports"
)

// Circuit breaker settings: after breakerTrips round trips in a row fail to reach Redis, decisions fail at
// once (ports.ErrUnavailable, so each policy's failure mode applies without waiting out its timeout) for
// breakerOpen; then one round trip probes Redis, and its success closes the breaker.
const (
	breakerTrips = 3
	breakerOpen  = 500 * time.Millisecond
)

// newBreaker guards the round trips to Redis (sony/gobreaker). Only failures to reach Redis count against
// it: an error reply (a script error) is an answer.
func newBreaker() *gobreaker.CircuitBreaker {
	return gobreaker.NewCircuitBreaker(gobreaker.Settings{
		Name:        "ratelimit",
		MaxRequests: 1,
		Timeout:     breakerOpen,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= breakerTrips },
		IsSuccessful: func(err error) bool {
			return err == nil || !errors.Is(rdb.Wrap("", err), ports.ErrUnavailable)
		},
	})
}

// unreachable returns the first failure to reach Redis among a round trip's commands, or nil when Redis
// answered them all (error replies included).
func unreachable(cmds []*redis.Cmd) error {
	for _, c := range cmds {
		if err := c.Err(); err != nil && err != redis.Nil && errors.Is(rdb.Wrap("", err), ports.ErrUnavailable) {
			return err
		}
	}
	return nil
}

// guarded runs one round trip under the breaker; when the breaker refuses, it says so and fn does not run.
func guarded(b *gobreaker.CircuitBreaker, fn func() error) error {
	_, err := b.Execute(func() (any, error) { return nil, fn() })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return errBreakerOpen
	}
	return nil
}

// errBreakerOpen is what a decision gets while the breaker is open; rdb.Wrap marks it unavailable.
var errBreakerOpen = errors.New("redis recently unreachable: rate-limit circuit breaker open")
