// Package component boots the whole statekit fx graph in-process against real Redis and drives it over
// HTTP, the way a client would.
package component

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) {
	// go-redis reports failed dials through its own global logger, straight to stderr; the Redis-down test
	// provokes many of them.
	redis.SetLogger(quietRedis{})
	os.Exit(harness.Run(m))
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}
