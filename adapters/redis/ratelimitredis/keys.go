package ratelimitredis

import (
	"strconv"

	"github.com/statekit/statekit/domain/ratelimit"
)

// Key layout (the subject is the hash tag, so every tier of every policy of one subject lives in one slot
// and a decision over several tiers is one script on one node):
//
//	<prefix>:ratelimit:{<subject>}:<policy>:<tier>:<code>
//
// tier is the tier's index in the policy and code the strategy's short code, so changing a policy's
// strategy in the configuration starts from a fresh key instead of misreading an old one. Subjects and
// policy names are validated by the domain (no ':' '{' '}' '*' or spaces) before they get here.
type keys struct {
	base string // "<prefix>:ratelimit:{"
}

func newKeys(prefix string) keys { return keys{base: prefix + ":ratelimit:{"} }

// tier is the key of one tier's state.
func (k keys) tier(subject, policy string, i int, s ratelimit.Strategy) string {
	return k.base + subject + k.suffix(policy, i, s)
}

// suffix is what follows the subject in a tier's key.
func (k keys) suffix(policy string, i int, s ratelimit.Strategy) string {
	return "}:" + policy + ":" + strconv.Itoa(i) + ":" + codes[s]
}

// codes are the strategies' short names, used in keys and as the function names inside the scripts.
var codes = map[ratelimit.Strategy]string{
	ratelimit.FixedWindow:    "fw",
	ratelimit.SlidingLog:     "sl",
	ratelimit.SlidingCounter: "sc",
	ratelimit.TokenBucket:    "tb",
	ratelimit.GCRA:           "gc",
}
