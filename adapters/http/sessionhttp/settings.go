package sessionhttp

import (
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/domain/session"
)

// settings are the module's environment variables; the README's configuration table and `statekit config`
// list them.
var settings = []contract.Setting{
	{Name: "STATEKIT_SESSION_IDLE_TIMEOUT", Default: "30m",
		Meaning: "A session ends after this long without activity."},
	{Name: "STATEKIT_SESSION_ABSOLUTE_LIFETIME", Default: "168h",
		Meaning: "A session ends this long after creation, active or not."},
	{Name: "STATEKIT_SESSION_MAX_PER_USER", Default: "10",
		Meaning: "Sessions one user may hold; creating one more evicts the oldest."},
}

// parseSettings reads the session policy.
func parseSettings(e *contract.Env) session.Policy {
	p := session.Policy{
		IdleTimeout:      e.Duration("STATEKIT_SESSION_IDLE_TIMEOUT"),
		AbsoluteLifetime: e.Duration("STATEKIT_SESSION_ABSOLUTE_LIFETIME"),
		MaxPerUser:       int(e.Int("STATEKIT_SESSION_MAX_PER_USER")),
	}
	e.Check("STATEKIT_SESSION_*", p.Validate())
	return p
}
