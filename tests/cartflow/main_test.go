// Package cartflow tests the cart module end to end: over HTTP through the real fx graph (the guest cart
// merged on sign-in, observed as cart.merged on the bus), and through the real service on real Redis for
// what needs many goroutines or a simulated clock (oversell, redelivery, expiry).
package cartflow

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) {
	redis.SetLogger(quietRedis{})
	os.Exit(harness.Run(m))
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}
