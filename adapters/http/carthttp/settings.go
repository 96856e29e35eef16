package carthttp

import (
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/domain/cart"
)

// settings are the module's environment variables; the README's configuration table and `statekit config`
// list them.
var settings = []contract.Setting{
	{Name: "STATEKIT_CART_GUEST_TTL", Default: "168h",
		Meaning: "A guest cart ends this long after its last change."},
	{Name: "STATEKIT_CART_USER_TTL", Default: "720h",
		Meaning: "A signed-in user's cart ends this long after its last change."},
	{Name: "STATEKIT_CART_RESERVATION_TTL", Default: "15m",
		Meaning: "Units a cart line reserves return to stock this long after the line last changed or its reservations were extended."},
	{Name: "STATEKIT_CART_MERGE_POLICY", Default: "sum",
		Meaning: "How a guest cart merges into the user's cart on sign-in when both hold a SKU: `sum`, `max` or `keep-user`."},
}

// parseSettings reads the cart policy.
func parseSettings(e *contract.Env) cart.Policy {
	p := cart.DefaultPolicy()
	p.GuestTTL = e.Duration("STATEKIT_CART_GUEST_TTL")
	p.UserTTL = e.Duration("STATEKIT_CART_USER_TTL")
	p.ReservationTTL = e.Duration("STATEKIT_CART_RESERVATION_TTL")
	p.Merge = cart.MergePolicy(e.String("STATEKIT_CART_MERGE_POLICY"))
	e.Check("STATEKIT_CART_*", p.Validate())
	return p
}
