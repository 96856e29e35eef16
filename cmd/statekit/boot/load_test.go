package boot

import (
	"github.com/statekit/statekit/adapters/http/lockhttp"
	"github.com/statekit/statekit/adapters/http/ratelimithttp"
	"github.com/statekit/statekit/adapters/http/semaphorehttp"
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/session"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// loaded is what the tests look at of the parsed settings.
type loaded struct {
	Core
	Sessions  session.Policy
	Jobs      jobapp.Config
	RateLimit ratelimithttp.Config
	Locks     lockhttp.Config
	Semaphore semaphorehttp.Config
}

// Load reads the settings of the core and the built-in modules through getenv, as start-up does.
func Load(getenv func(string) string) (loaded, error) {
	l, r := readSettings(getenv)
	var out loaded
	if l != nil {
		out.Core, _ = contract.Find[Core](l)
		out.Sessions, _ = contract.Find[session.Policy](l)
		out.Jobs, _ = contract.Find[jobapp.Config](l)
		out.RateLimit, _ = contract.Find[ratelimithttp.Config](l)
		out.Locks, _ = contract.Find[lockhttp.Config](l)
		out.Semaphore, _ = contract.Find[semaphorehttp.Config](l)
	}
	return out, r.Err
}
