package cart

import "time"

// Stock is the inventory of one SKU. Available units are on hand and not reserved; Available never goes
// below zero, whatever runs concurrently.
type Stock struct {
	SKU        string
	OnHand     int64
	Reserved   int64
	Sold       int64
	PriceCents int64
}

// Available is what can still be reserved: units on hand that no live reservation holds.
func (s Stock) Available() int64 { return s.OnHand - s.Reserved }

// Reservation is the stock a cart holds for one of its lines until ExpiresAt. Quantity 0 means none.
type Reservation struct {
	SKU       string
	Quantity  int64
	ExpiresAt time.Time
	// PriceCents is the SKU's unit price when the reservation was made: the price snapshot for the line.
	PriceCents int64
}

// MergeOutcome is what merging a guest cart's lines into a user's cart did.
type MergeOutcome struct {
	// Fresh is true when this call merged; false when the merge had already happened (a redelivery).
	Fresh bool
	// Published is true when cart.merged for this merge has been published already.
	Published bool
	// LinesMerged is how many guest lines changed the user's cart.
	LinesMerged int
	// Lines are the user's lines the merge changed, at their new quantities (Fresh only).
	Lines    []Line
	MergedAt time.Time
}

// Order is a completed checkout: what was sold to whom, at the prices in the cart.
type Order struct {
	ID           string
	Cart         Ref
	Lines        []Line
	CheckedOutAt time.Time
}

// TotalCents is the order's total.
func (o Order) TotalCents() int64 { return Cart{Lines: o.Lines}.TotalCents() }

// Event is the cart.checked_out event of the order.
func (o Order) Event() CheckedOut {
	e := CheckedOut{OrderID: o.ID, TotalCents: o.TotalCents(), CheckedOutAt: o.CheckedOutAt.UTC(),
		Lines: make([]CheckedOutLine, 0, len(o.Lines))}
	if o.Cart.Kind == KindUser {
		e.UserID = o.Cart.ID
	} else {
		e.CartID = o.Cart.ID
	}
	for _, l := range o.Lines {
		e.Lines = append(e.Lines, CheckedOutLine{SKU: l.SKU, Quantity: l.Quantity,
			UnitPriceCents: l.UnitPriceCents, LineTotalCents: l.TotalCents()})
	}
	return e
}
