// Package cart holds the types, rules and events of the cart module: shopping carts of guests and signed-in
// users, their lines priced in integer cents, the policies that merge a guest cart into a user's cart, and
// the inventory the lines reserve stock from.
package cart

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Sentinel errors of the cart module. The HTTP adapter maps each to one status and problem type.
var (
	// ErrInvalid means the input breaks a rule of the module; it wraps a message naming the field.
	ErrInvalid = errors.New("invalid cart input")
	// ErrNotFound means the cart does not exist: a guest cart that was never created, has expired or was
	// merged into a user's cart.
	ErrNotFound = errors.New("cart not found")
	// ErrLineNotFound means the cart has no line for the SKU.
	ErrLineNotFound = errors.New("cart line not found")
	// ErrUnknownSKU means the inventory has no such SKU.
	ErrUnknownSKU = errors.New("unknown sku")
	// ErrInsufficientStock means there are not enough units available to reserve or sell.
	ErrInsufficientStock = errors.New("insufficient stock")
	// ErrStockConflict means a stock change would leave fewer units on hand than are reserved.
	ErrStockConflict = errors.New("stock below reserved units")
	// ErrLimit means the change would take the cart past MaxLines lines or a line past MaxQuantity units.
	ErrLimit = errors.New("cart limit reached")
	// ErrEmpty means a checkout found no lines.
	ErrEmpty = errors.New("cart is empty")
	// ErrCheckoutPending means a checkout of the cart is under way; the cart is frozen until it finishes.
	ErrCheckoutPending = errors.New("checkout in progress")
	// ErrInvalidToken means a presented guest cart token is not of the form this module issues.
	ErrInvalidToken = errors.New("invalid guest cart token")
)

// Limits on what a cart and the inventory accept. Anything beyond is refused with ErrInvalid (input) or
// ErrLimit (a cart that would grow past them).
const (
	MaxSKULen     = 64
	MaxLines      = 100
	MaxQuantity   = 9_999
	MaxPriceCents = 100_000_000 // 1,000,000.00 in the shop's currency
	MaxStock      = 1_000_000_000
	maxUserIDLen  = 128
)

var (
	skuPattern    = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)
	userIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.@\-]+$`)
)

// Kind tells a guest cart from a user's cart.
type Kind string

// The cart kinds.
const (
	KindUser  Kind = "user"
	KindGuest Kind = "guest"
)

// Ref names one cart: a signed-in user's (ID is the user id) or a guest's (ID is the guest cart id, the
// hash of the guest's token).
type Ref struct {
	Kind Kind
	ID   string
}

// UserCart is the cart of a signed-in user.
func UserCart(userID string) Ref { return Ref{Kind: KindUser, ID: userID} }

// GuestCart is the cart of a guest, named by its guest cart id.
func GuestCart(id string) Ref { return Ref{Kind: KindGuest, ID: id} }

// Validate checks the kind and the id, so a Ref can sit inside a Redis key without escaping.
func (r Ref) Validate() error {
	switch r.Kind {
	case KindUser:
		return ValidateUserID(r.ID)
	case KindGuest:
		return ValidateGuestID(r.ID)
	default:
		return fmt.Errorf("%w: cart kind %q", ErrInvalid, r.Kind)
	}
}

// Holder is how reservations name the cart: "u:<user id>" or "g:<guest cart id>". Neither id may contain
// ':', so the two kinds never collide.
func (r Ref) Holder() string {
	if r.Kind == KindGuest {
		return "g:" + r.ID
	}
	return "u:" + r.ID
}

// String names the cart in messages.
func (r Ref) String() string { return string(r.Kind) + " cart " + r.ID }

// Line is one SKU in a cart: how many units and the unit price captured when the units were last added.
type Line struct {
	SKU            string
	Quantity       int64
	UnitPriceCents int64
	AddedAt        time.Time
}

// TotalCents is the line's price: quantity times unit price.
func (l Line) TotalCents() int64 { return l.Quantity * l.UnitPriceCents }

// Cart is a cart's content. Lines are ordered by when each SKU was first added.
type Cart struct {
	Ref       Ref
	Lines     []Line
	CreatedAt time.Time
	UpdatedAt time.Time
	// PendingOrder is set while a checkout is under way: the order id it will record.
	PendingOrder string
}

// TotalCents is the sum of the line totals.
func (c Cart) TotalCents() int64 {
	var sum int64
	for _, l := range c.Lines {
		sum += l.TotalCents()
	}
	return sum
}

// Units is the number of units over all lines.
func (c Cart) Units() int64 {
	var n int64
	for _, l := range c.Lines {
		n += l.Quantity
	}
	return n
}

// ValidateUserID accepts 1 to 128 characters of letters, digits and `_ . @ -` (the rule of the sessions
// module): never ':', '{', '}' or '*'.
func ValidateUserID(id string) error {
	if id == "" || len(id) > maxUserIDLen || !userIDPattern.MatchString(id) {
		return fmt.Errorf("%w: user id must be 1-%d characters of letters, digits and _ . @ -", ErrInvalid, maxUserIDLen)
	}
	return nil
}

// ValidateSKU accepts 1 to 64 characters of letters, digits and `_ . -`.
func ValidateSKU(sku string) error {
	if sku == "" || len(sku) > MaxSKULen || !skuPattern.MatchString(sku) {
		return fmt.Errorf("%w: sku %q must be 1-%d characters of letters, digits and _ . -", ErrInvalid, clip(sku), MaxSKULen)
	}
	return nil
}

// ValidateQuantity accepts 1 to MaxQuantity units, or 0 as well when zeroOK (setting a line to 0 removes it).
func ValidateQuantity(q int64, zeroOK bool) error {
	low := int64(1)
	if zeroOK {
		low = 0
	}
	if q < low || q > MaxQuantity {
		return fmt.Errorf("%w: quantity %d must be between %d and %d", ErrInvalid, q, low, MaxQuantity)
	}
	return nil
}

// ValidatePrice accepts 0 to MaxPriceCents cents.
func ValidatePrice(cents int64) error {
	if cents < 0 || cents > MaxPriceCents {
		return fmt.Errorf("%w: price_cents %d must be between 0 and %d", ErrInvalid, cents, MaxPriceCents)
	}
	return nil
}

// ValidateStock accepts 0 to MaxStock units on hand.
func ValidateStock(n int64) error {
	if n < 0 || n > MaxStock {
		return fmt.Errorf("%w: stock %d must be between 0 and %d", ErrInvalid, n, MaxStock)
	}
	return nil
}

// ValidateAdjustment accepts a non-zero change of at most MaxStock units either way.
func ValidateAdjustment(delta int64) error {
	if delta == 0 || delta < -MaxStock || delta > MaxStock {
		return fmt.Errorf("%w: delta %d must be non-zero and within ±%d", ErrInvalid, delta, MaxStock)
	}
	return nil
}

// clip shortens a rejected value for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
