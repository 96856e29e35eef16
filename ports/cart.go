package ports

//go:generate go tool mockgen -source=cart.go -destination=mocks/cart.go -package=mocks

import (
	"context"
	"time"

	"github.com/statekit/statekit/domain/cart"
)

// CartStore keeps carts, the markers that make a guest-cart merge happen once, and order records. Every
// method is atomic on one cart (one hash slot); the round trips are stated per method. A cart's lifetime
// (cart.Policy.TTL) starts again on every change. Methods that change lines return
// cart.ErrCheckoutPending while a checkout holds the cart.
type CartStore interface {
	// CreateGuest stores an empty guest cart under a fresh guest cart id. One round trip.
	CreateGuest(ctx context.Context, id string) (cart.Cart, error)
	// Get reads a cart. A user's cart that does not exist reads as empty; a guest cart that does not exist
	// is cart.ErrNotFound. One round trip.
	Get(ctx context.Context, ref cart.Ref) (cart.Cart, error)
	// AddLine adds qty units of sku, creating the line or adding to it; the line's unit price becomes
	// priceCents (the snapshot of the latest add). cart.ErrLimit when the cart would pass cart.MaxLines
	// lines or the line cart.MaxQuantity units. One round trip.
	AddLine(ctx context.Context, ref cart.Ref, sku string, qty, priceCents int64) (cart.Line, error)
	// SetQuantity sets an existing line's quantity (at least 1); cart.ErrLineNotFound when there is none.
	// One round trip.
	SetQuantity(ctx context.Context, ref cart.Ref, sku string, qty int64) (cart.Line, error)
	// RemoveLine removes a line and returns it; cart.ErrLineNotFound when there is none. One round trip.
	RemoveLine(ctx context.Context, ref cart.Ref, sku string) (cart.Line, error)
	// Clear removes every line and returns them. One round trip.
	Clear(ctx context.Context, ref cart.Ref) ([]cart.Line, error)

	// DetachGuest takes a guest cart out of use for merging into userID's cart and returns its lines:
	// from then on the guest token finds no cart. Called again for the same user (a redelivery) it returns
	// the same lines; cart.ErrNotFound when there is nothing to merge (never existed, expired, already
	// merged and completed, or detached for another user). One round trip.
	DetachGuest(ctx context.Context, guestID, userID string) ([]cart.Line, error)
	// MergeLines merges lines detached from guestID into userID's cart by policy, at most once per guest
	// cart (a marker remembers the merge for cart.Policy.MergeMemory). One round trip.
	MergeLines(ctx context.Context, userID, guestID string, lines []cart.Line, policy cart.MergePolicy) (cart.MergeOutcome, error)
	// CompleteMerge records that cart.merged was published and drops the detached guest cart. One round
	// trip (two commands pipelined, one per slot; each is idempotent).
	CompleteMerge(ctx context.Context, userID, guestID string) error

	// BeginCheckout freezes the cart for a checkout and returns it with PendingOrder set: orderID for a
	// new checkout, or the order id of an earlier checkout whose lease ran out (resumed). A checkout
	// holding a live lease is cart.ErrCheckoutPending; a cart without lines is cart.ErrEmpty. One round trip.
	BeginCheckout(ctx context.Context, ref cart.Ref, orderID string) (cart.Cart, error)
	// FinishCheckout records the order, empties the cart and unfreezes it. fresh is false when the order
	// had been recorded already (the time is then the recorded one). One round trip.
	FinishCheckout(ctx context.Context, o cart.Order) (at time.Time, fresh bool, err error)
	// AbortCheckout unfreezes the cart when orderID still holds it. One round trip.
	AbortCheckout(ctx context.Context, ref cart.Ref, orderID string) error
}

// Inventory keeps stock per SKU and the reservations carts hold on it. Every method is atomic per SKU (one
// hash slot per SKU); methods on several SKUs pipeline one script per SKU in one round trip. Reservations
// expire by themselves: every script that reads or changes a SKU's stock first returns the units of its
// expired reservations, so no sweeper is needed and available stock never goes below zero.
type Inventory interface {
	// SetStock sets the units on hand and the unit price of sku, creating it. cart.ErrStockConflict when
	// fewer units would be on hand than are reserved. One round trip.
	SetStock(ctx context.Context, sku string, onHand, priceCents int64) (cart.Stock, error)
	// AdjustStock adds delta (negative: removes) to the units on hand. cart.ErrUnknownSKU for an unknown
	// SKU, cart.ErrStockConflict when fewer units would be on hand than are reserved. One round trip.
	AdjustStock(ctx context.Context, sku string, delta int64) (cart.Stock, error)
	// Stock reads a SKU's stock; cart.ErrUnknownSKU when there is none. One round trip.
	Stock(ctx context.Context, sku string) (cart.Stock, error)

	// Reserve adds delta units (negative: gives back) to what ref holds of sku and restarts the
	// reservation's lifetime. cart.ErrInsufficientStock (nothing changed) when not enough is available,
	// cart.ErrUnknownSKU for an unknown SKU. One round trip.
	Reserve(ctx context.Context, ref cart.Ref, sku string, delta int64) (cart.Reservation, error)
	// Hold makes ref hold exactly qty units of sku (0 releases), with the same errors as Reserve, and
	// returns what it held before. One round trip.
	Hold(ctx context.Context, ref cart.Ref, sku string, qty int64) (res cart.Reservation, before int64, err error)
	// Extend restarts the lifetime of ref's reservations for lines, topping each up toward the line's
	// quantity as far as stock allows (never failing for lack of stock). One round trip.
	Extend(ctx context.Context, ref cart.Ref, lines []cart.Line) ([]cart.Reservation, error)
	// Release gives back whatever ref holds of skus. One round trip.
	Release(ctx context.Context, ref cart.Ref, skus []string) error
	// Held reads what ref holds of each SKU (Quantity 0: nothing live). One round trip.
	Held(ctx context.Context, ref cart.Ref, skus []string) ([]cart.Reservation, error)
	// Transfer moves what from holds of each line's SKU to to, so that to holds the line's quantity where
	// the two reservations plus available stock allow. One round trip.
	Transfer(ctx context.Context, from, to cart.Ref, lines []cart.Line) error

	// Commit sells each line for orderID: the units come from ref's reservation first, then from available
	// stock; ref's reservation of the SKU is released. A line that cannot be sold changes nothing and its
	// SKU is returned in short. Committing a SKU again for the same order does nothing. One round trip.
	Commit(ctx context.Context, ref cart.Ref, orderID string, lines []cart.Line) (short []string, err error)
	// Uncommit undoes Commit for lines of orderID (the units return to ref as a fresh reservation); a SKU
	// not committed for the order is left alone. One round trip.
	Uncommit(ctx context.Context, ref cart.Ref, orderID string, lines []cart.Line) error
}
