// Package cartapp carries out the cart use cases: carts of guests and users whose lines reserve stock,
// the merge of a guest cart into a user's cart when the guest signs in (on session.created), checkout, and
// inventory administration. It publishes cart.merged and cart.checked_out.
package cartapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/ports"
)

// Service is the cart application service.
type Service struct {
	carts  ports.CartStore
	inv    ports.Inventory
	events ports.EventPublisher
	policy cart.Policy
}

// NewService returns a service on the cart store and inventory enforcing policy.
func NewService(carts ports.CartStore, inv ports.Inventory, events ports.EventPublisher, policy cart.Policy) *Service {
	return &Service{carts: carts, inv: inv, events: events, policy: policy}
}

// ErrEventNotPublished means the change was made and stored but its event could not be sent.
var ErrEventNotPublished = errors.New("change stored, event not published")

// View is a cart with what each line holds in stock right now.
type View struct {
	cart.Cart
	// Reservations has one entry per line, in line order.
	Reservations []cart.Reservation
}

// NewGuestCart draws a guest token and stores an empty guest cart for it. The token is shown once; Redis
// keeps only its hash (the guest cart id). Two round trips: none to draw, one to store.
func (s *Service) NewGuestCart(ctx context.Context) (cart.GuestToken, cart.Cart, error) {
	tok, err := cart.NewGuestToken()
	if err != nil {
		return cart.GuestToken{}, cart.Cart{}, err
	}
	c, err := s.carts.CreateGuest(ctx, tok.ID())
	if err != nil {
		return cart.GuestToken{}, cart.Cart{}, err
	}
	return tok, c, nil
}

// Get returns a cart with the live reservation of each line: two round trips (the cart, then every SKU's
// reservation in one pipeline), one for an empty cart.
func (s *Service) Get(ctx context.Context, ref cart.Ref) (View, error) {
	if err := ref.Validate(); err != nil {
		return View{}, err
	}
	c, err := s.carts.Get(ctx, ref)
	if err != nil || len(c.Lines) == 0 {
		return View{Cart: c}, err
	}
	held, err := s.inv.Held(ctx, ref, skus(c.Lines))
	if err != nil {
		return View{}, err
	}
	return View{Cart: c, Reservations: held}, nil
}

// AddItem adds qty units of sku to the cart at the SKU's current price, reserving them first: if they are
// not available (cart.ErrInsufficientStock) or the SKU is unknown, nothing changes. Two round trips (the
// reservation, the cart); a third gives the units back if the cart refuses the line.
func (s *Service) AddItem(ctx context.Context, ref cart.Ref, sku string, qty int64) (cart.Line, cart.Reservation, error) {
	if err := errors.Join(ref.Validate(), cart.ValidateSKU(sku), cart.ValidateQuantity(qty, false)); err != nil {
		return cart.Line{}, cart.Reservation{}, err
	}
	res, err := s.inv.Reserve(ctx, ref, sku, qty)
	if err != nil {
		return cart.Line{}, cart.Reservation{}, err
	}
	line, err := s.carts.AddLine(ctx, ref, sku, qty, res.PriceCents)
	if err != nil {
		return cart.Line{}, cart.Reservation{}, s.giveBack(ctx, err, func(ctx context.Context) error {
			_, err := s.inv.Reserve(ctx, ref, sku, -qty)
			return err
		})
	}
	return line, res, nil
}

// SetQuantity sets a line's quantity (0 removes the line) and makes its reservation match. When the units
// are not available nothing changes. Two round trips; a third restores the reservation if the cart refuses.
func (s *Service) SetQuantity(ctx context.Context, ref cart.Ref, sku string, qty int64) (cart.Line, cart.Reservation, error) {
	if err := errors.Join(ref.Validate(), cart.ValidateSKU(sku), cart.ValidateQuantity(qty, true)); err != nil {
		return cart.Line{}, cart.Reservation{}, err
	}
	if qty == 0 {
		line, err := s.RemoveItem(ctx, ref, sku)
		return line, cart.Reservation{SKU: sku}, err
	}
	res, before, err := s.inv.Hold(ctx, ref, sku, qty)
	if err != nil {
		return cart.Line{}, cart.Reservation{}, err
	}
	line, err := s.carts.SetQuantity(ctx, ref, sku, qty)
	if err != nil {
		return cart.Line{}, cart.Reservation{}, s.giveBack(ctx, err, func(ctx context.Context) error {
			_, _, err := s.inv.Hold(ctx, ref, sku, before)
			return err
		})
	}
	return line, res, nil
}

// RemoveItem removes a line and gives its reserved units back. Two round trips.
func (s *Service) RemoveItem(ctx context.Context, ref cart.Ref, sku string) (cart.Line, error) {
	if err := errors.Join(ref.Validate(), cart.ValidateSKU(sku)); err != nil {
		return cart.Line{}, err
	}
	line, err := s.carts.RemoveLine(ctx, ref, sku)
	if err != nil {
		return cart.Line{}, err
	}
	return line, s.inv.Release(ctx, ref, []string{sku})
}

// Clear removes every line and gives every reservation back. Two round trips, one for an empty cart.
func (s *Service) Clear(ctx context.Context, ref cart.Ref) error {
	if err := ref.Validate(); err != nil {
		return err
	}
	lines, err := s.carts.Clear(ctx, ref)
	if err != nil || len(lines) == 0 {
		return err
	}
	return s.inv.Release(ctx, ref, skus(lines))
}

// ExtendReservations restarts the lifetime of every line's reservation and tops each up to the line's
// quantity as far as stock allows. Two round trips, one for an empty cart.
func (s *Service) ExtendReservations(ctx context.Context, ref cart.Ref) ([]cart.Reservation, error) {
	if err := ref.Validate(); err != nil {
		return nil, err
	}
	c, err := s.carts.Get(ctx, ref)
	if err != nil || len(c.Lines) == 0 {
		return nil, err
	}
	if c.PendingOrder != "" {
		return nil, fmt.Errorf("%w: %s", cart.ErrCheckoutPending, ref)
	}
	return s.inv.Extend(ctx, ref, c.Lines)
}

// giveBack undoes a reservation after the cart refused a change, and returns the cart's error (joined
// with the undo's, should that fail too: the reservation then runs out by itself).
func (s *Service) giveBack(ctx context.Context, cause error, undo func(context.Context) error) error {
	return errors.Join(cause, undo(context.WithoutCancel(ctx)))
}

func skus(lines []cart.Line) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.SKU
	}
	return out
}

// SetStock sets a SKU's units on hand and unit price (creating the SKU). One round trip.
func (s *Service) SetStock(ctx context.Context, sku string, onHand, priceCents int64) (cart.Stock, error) {
	if err := errors.Join(cart.ValidateSKU(sku), cart.ValidateStock(onHand), cart.ValidatePrice(priceCents)); err != nil {
		return cart.Stock{}, err
	}
	return s.inv.SetStock(ctx, sku, onHand, priceCents)
}

// AdjustStock adds delta units (negative: removes) to a SKU's stock on hand. One round trip.
func (s *Service) AdjustStock(ctx context.Context, sku string, delta int64) (cart.Stock, error) {
	if err := errors.Join(cart.ValidateSKU(sku), cart.ValidateAdjustment(delta)); err != nil {
		return cart.Stock{}, err
	}
	return s.inv.AdjustStock(ctx, sku, delta)
}

// Stock reads a SKU's stock. One round trip.
func (s *Service) Stock(ctx context.Context, sku string) (cart.Stock, error) {
	if err := cart.ValidateSKU(sku); err != nil {
		return cart.Stock{}, err
	}
	return s.inv.Stock(ctx, sku)
}
