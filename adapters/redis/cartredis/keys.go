package cartredis

import "github.com/statekit/statekit/domain/cart"

// Key layout. A cart's keys share the hash tag of the cart ({u:<user id>} or {g:<guest cart id>}); a SKU's
// keys share the tag {<sku>}. So every cart script touches one cart's slot and every inventory script one
// SKU's slot, and the module works on Redis Cluster:
//
//	<prefix>:cart:{u:<user id>}                     hash: a user's cart
//	<prefix>:cart:{g:<guest cart id>}               hash: a guest's cart
//	<prefix>:cart:{g:<guest cart id>}:merging       hash: a guest cart detached for a merge (kept a while)
//	<prefix>:cart:{u:<user id>}:merged:<guest id>   string: the merge marker of one guest cart
//	<prefix>:cart:{<cart tag>}:order:<order id>     hash: an order record
//	<prefix>:inv:{<sku>}                            hash: stock, reserved, sold, price, r:<holder> units held
//	<prefix>:inv:{<sku>}:exp                        zset: holder -> reservation expiry ms
//	<prefix>:inv:{<sku>}:orders                     zset: order id -> ms the order took units
//
// User ids, guest cart ids, SKUs and order ids are validated by the domain before they get here: none can
// contain ':', '{', '}' or '*'.
type keys struct {
	cart, inv string // "<prefix>:cart", "<prefix>:inv"
}

func newKeys(prefix string) keys { return keys{cart: prefix + ":cart", inv: prefix + ":inv"} }

func (k keys) of(ref cart.Ref) string {
	if ref.Kind == cart.KindGuest {
		return k.cart + ":{g:" + ref.ID + "}"
	}
	return k.cart + ":{u:" + ref.ID + "}"
}

func (k keys) detached(guestID string) string { return k.of(cart.GuestCart(guestID)) + ":merging" }

func (k keys) marker(userID, guestID string) string {
	return k.of(cart.UserCart(userID)) + ":merged:" + guestID
}

func (k keys) order(ref cart.Ref, orderID string) string { return k.of(ref) + ":order:" + orderID }

func (k keys) stock(sku string) string { return k.inv + ":{" + sku + "}" }

func (k keys) expiries(sku string) string { return k.stock(sku) + ":exp" }

func (k keys) orders(sku string) string { return k.stock(sku) + ":orders" }
