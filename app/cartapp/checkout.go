package cartapp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/statekit/statekit/domain/cart"
)

// Checkout sells the cart's lines and publishes cart.checked_out.
//
// A cart and the stock of its SKUs live in different hash slots, so no single script can do it all. The
// guarantee instead: stock never goes below zero (each SKU's sale is one atomic step that takes the cart's
// reservation first, then available units); the checkout is all or nothing (when a SKU cannot be sold,
// the SKUs already sold go back to the cart as reservations and the cart is left as it was, with
// cart.ErrInsufficientStock naming the SKUs); and it is resumable (the cart is frozen under an order id
// for the lease; each per-SKU step is idempotent by that id, so a checkout that died half-way is finished
// by the next call after the lease, never selling a line twice).
//
// Round trips: begin (1), sell every SKU (1, pipelined), record the order and empty the cart (1), plus the
// publish; a failed checkout spends 2 more to undo.
func (s *Service) Checkout(ctx context.Context, ref cart.Ref) (cart.Order, error) {
	if err := ref.Validate(); err != nil {
		return cart.Order{}, err
	}
	id, err := cart.NewOrderID()
	if err != nil {
		return cart.Order{}, err
	}
	c, err := s.carts.BeginCheckout(ctx, ref, id)
	if err != nil {
		return cart.Order{}, err
	}
	order := cart.Order{ID: c.PendingOrder, Cart: ref, Lines: c.Lines}
	short, err := s.inv.Commit(ctx, ref, order.ID, order.Lines)
	if err != nil {
		return cart.Order{}, err // the cart stays frozen; the next checkout after the lease resumes
	}
	if len(short) > 0 {
		return cart.Order{}, s.undo(ctx, order, short)
	}
	at, fresh, err := s.carts.FinishCheckout(ctx, order)
	if err != nil {
		return cart.Order{}, err
	}
	order.CheckedOutAt = at
	if fresh {
		if err := s.events.Publish(ctx, order.Event()); err != nil {
			return order, fmt.Errorf("%w: %w", ErrEventNotPublished, err)
		}
	}
	return order, nil
}

// undo gives back what a failed checkout sold and unfreezes the cart.
func (s *Service) undo(ctx context.Context, o cart.Order, short []string) error {
	ctx = context.WithoutCancel(ctx) // an undo half done would leave the cart frozen until the lease ends
	var sold []cart.Line
	for _, l := range o.Lines {
		if !slices.Contains(short, l.SKU) {
			sold = append(sold, l)
		}
	}
	cause := fmt.Errorf("%w: %s", cart.ErrInsufficientStock, strings.Join(short, ", "))
	if err := s.inv.Uncommit(ctx, o.Cart, o.ID, sold); err != nil {
		return errors.Join(cause, err)
	}
	return errors.Join(cause, s.carts.AbortCheckout(ctx, o.Cart, o.ID))
}
