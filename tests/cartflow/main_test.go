// Package cartflow tests the cart module end to end: over HTTP through the real fx graph (the guest cart
// merged on sign-in, observed as cart.merged on the bus), and through the real service on real Redis for
// what needs many goroutines or a simulated clock (oversell, redelivery, expiry).
package cartflow

import (
	"os"
	"testing"

	"github.com/statekit/statekit/tests/testapp"
)

func TestMain(m *testing.M) { os.Exit(testapp.Run(m)) }
