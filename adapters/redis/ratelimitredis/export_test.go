package ratelimitredis

import (
	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/domain/ratelimit"
)

// TierKey gives the tests in package ratelimitredis_test, which look at Redis directly, the key of one
// tier's state without copying the layout of keys.go.
func TierKey(prefix, subject, policy string, i int, s ratelimit.Strategy) string {
	return newKeys(prefix).tier(subject, policy, i, s)
}

// ScriptHash is the SHA-1 of the script a policy runs, for tests that check which script ran.
func ScriptHash(p ratelimit.Policy) string { return scriptFor(p).Hash() }

// GCRAScripts are the two scripts that decide a one-tier GCRA policy: run.lua with the GCRA strategy (as
// in multi-tier policies) and its straight-through form gcra_single.lua, which one-tier policies run.
func GCRAScripts() (general, single *redis.Script) {
	return strategyScripts[ratelimit.GCRA], gcraSingleScript
}
