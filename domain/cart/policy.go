package cart

import (
	"errors"
	"fmt"
	"time"
)

// MergePolicy decides a line's quantity when a guest cart is merged into a user's cart and both hold the SKU.
// A SKU only the guest cart holds is always taken over; a SKU only the user's cart holds is kept.
type MergePolicy string

// The merge policies.
const (
	// MergeSum adds the quantities (capped at MaxQuantity).
	MergeSum MergePolicy = "sum"
	// MergeMax keeps the larger quantity.
	MergeMax MergePolicy = "max"
	// MergeKeepUser keeps the user's line as it is.
	MergeKeepUser MergePolicy = "keep-user"
)

// ParseMergePolicy accepts "sum", "max" or "keep-user".
func ParseMergePolicy(s string) (MergePolicy, error) {
	switch p := MergePolicy(s); p {
	case MergeSum, MergeMax, MergeKeepUser:
		return p, nil
	}
	return "", fmt.Errorf("%w: merge policy %q: want sum, max or keep-user", ErrInvalid, s)
}

// Policy bounds carts and reservations.
type Policy struct {
	// GuestTTL is how long a guest cart lives after its last change.
	GuestTTL time.Duration
	// UserTTL is how long a user's cart lives after its last change.
	UserTTL time.Duration
	// ReservationTTL is how long units stay reserved for a cart line after it was last changed or extended.
	ReservationTTL time.Duration
	// Merge is the policy of the session.created merge.
	Merge MergePolicy
	// CheckoutLease is how long a checkout holds its cart before another checkout may take over and resume
	// it (after a crash); it must exceed the longest checkout.
	CheckoutLease time.Duration
	// IdempotencyWindow is how long a merge and each checkout step are remembered (the merge marker, the
	// detached guest cart, the per-SKU order markers): a retry or a redelivered session.created within it
	// repeats nothing.
	IdempotencyWindow time.Duration
	// OrderTTL is how long an order record is kept.
	OrderTTL time.Duration
}

// DefaultPolicy: guest carts 7 days, user carts 30 days, reservations 15 minutes, merge by sum, 30 s
// checkout lease, merges and checkout steps remembered 24 hours, orders kept 30 days.
func DefaultPolicy() Policy {
	return Policy{
		GuestTTL: 7 * 24 * time.Hour, UserTTL: 30 * 24 * time.Hour, ReservationTTL: 15 * time.Minute,
		Merge: MergeSum, CheckoutLease: 30 * time.Second, IdempotencyWindow: 24 * time.Hour, OrderTTL: 30 * 24 * time.Hour,
	}
}

// TTL is the lifetime of a cart of kind k after a change.
func (p Policy) TTL(k Kind) time.Duration {
	if k == KindGuest {
		return p.GuestTTL
	}
	return p.UserTTL
}

// Validate reports every rule the policy breaks.
func (p Policy) Validate() error {
	var errs []error
	atLeast := func(name string, d, min time.Duration) {
		if d < min {
			errs = append(errs, fmt.Errorf("%s %s: must be at least %s", name, d, min))
		}
	}
	atLeast("guest cart ttl", p.GuestTTL, time.Minute)
	atLeast("user cart ttl", p.UserTTL, time.Minute)
	atLeast("reservation ttl", p.ReservationTTL, time.Second)
	atLeast("checkout lease", p.CheckoutLease, time.Second)
	atLeast("idempotency window", p.IdempotencyWindow, time.Minute)
	atLeast("order ttl", p.OrderTTL, time.Minute)
	if _, err := ParseMergePolicy(string(p.Merge)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
