package ratelimitredis

import "github.com/statekit/statekit/domain/ratelimit"

// TierKey gives the tests in package ratelimitredis_test, which look at Redis directly, the key of one
// tier's state without copying the layout of keys.go.
func TierKey(prefix, subject, policy string, i int, s ratelimit.Strategy) string {
	return newKeys(prefix).tier(subject, policy, i, s)
}

// ScriptHash is the SHA-1 of the script a policy runs, for tests that check which script ran.
func ScriptHash(p ratelimit.Policy) string { return scriptFor(p).Hash() }
