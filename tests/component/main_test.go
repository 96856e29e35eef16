// Package component boots the whole statekit fx graph in-process against real Redis and drives it over
// HTTP, the way a client would.
package component

import (
	"os"
	"testing"

	"github.com/statekit/statekit/tests/testapp"
)

// TestMain runs the tests with go-redis's logger silenced: the Redis-down test provokes many failed dials.
func TestMain(m *testing.M) { os.Exit(testapp.Run(m)) }
