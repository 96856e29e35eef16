package cartredis

import "github.com/statekit/statekit/domain/cart"

// CartKey, DetachedKey, MarkerKey and StockKey give the tests in package cartredis_test, which inspect Redis
// directly, the key names the store uses, without copying the layout of keys.go.
func CartKey(prefix string, ref cart.Ref) string { return newKeys(prefix).of(ref) }

// DetachedKey is the key of a guest cart detached for a merge.
func DetachedKey(prefix, guestID string) string { return newKeys(prefix).detached(guestID) }

// MarkerKey is the key of a merge marker.
func MarkerKey(prefix, userID, guestID string) string { return newKeys(prefix).marker(userID, guestID) }

// StockKeys are the keys of a SKU's stock.
func StockKeys(prefix, sku string) []string {
	k := newKeys(prefix)
	return []string{k.stock(sku), k.expiries(sku), k.orders(sku)}
}
