package cart

import "time"

// Merged is published as cart.merged after a guest cart was merged into a user's cart and deleted. It is
// published once per guest cart: a redelivered session.created finds the merge marker and publishes nothing.
type Merged struct {
	UserID      string    `json:"user_id"`
	GuestCartID string    `json:"guest_cart_id"`
	LinesMerged int       `json:"lines_merged"`
	Policy      string    `json:"policy"`
	MergedAt    time.Time `json:"merged_at"`
}

// EventName implements ports.Event.
func (Merged) EventName() string { return "cart.merged" }

// EventVersion implements ports.Event.
func (Merged) EventVersion() int { return 1 }

// CheckedOutLine is one line of a checked-out cart: what was sold, how many, and at which unit price.
type CheckedOutLine struct {
	SKU            string `json:"sku"`
	Quantity       int64  `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
	LineTotalCents int64  `json:"line_total_cents"`
}

// CheckedOut is published as cart.checked_out after a cart's reservations were converted into a sale and the
// cart was emptied. Exactly one of UserID (a user's cart) and CartID (a guest cart) is set.
type CheckedOut struct {
	UserID       string           `json:"user_id,omitempty"`
	CartID       string           `json:"cart_id,omitempty"`
	OrderID      string           `json:"order_id"`
	Lines        []CheckedOutLine `json:"lines"`
	TotalCents   int64            `json:"total_cents"`
	CheckedOutAt time.Time        `json:"checked_out_at"`
}

// EventName implements ports.Event.
func (CheckedOut) EventName() string { return "cart.checked_out" }

// EventVersion implements ports.Event.
func (CheckedOut) EventVersion() int { return 1 }
