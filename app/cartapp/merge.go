package cartapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/ports"
)

// MergeHandlerName names the session.created handler, and so its consumer group ("<prefix>.cart.merge_guest").
const MergeHandlerName = "cart.merge_guest"

// MergeHandler is the cart module's consumer of session.created: when the new session carries a guest cart
// id, it merges that guest cart into the user's cart with the configured policy and publishes cart.merged.
// Redelivery is harmless: the merge happens once per guest cart (see MergeGuest).
func (s *Service) MergeHandler() ports.EventHandler {
	return ports.EventHandler{Name: MergeHandlerName, Event: session.Created{}.EventName(), Handle: s.handleSessionCreated}
}

func (s *Service) handleSessionCreated(ctx context.Context, e ports.Envelope) error {
	var ev session.Created
	if err := e.Decode(&ev); err != nil {
		return fmt.Errorf("decode %s: %w", e.Name, err)
	}
	if ev.GuestCartID == "" {
		return nil
	}
	if cart.ValidateGuestID(ev.GuestCartID) != nil || cart.ValidateUserID(ev.UserID) != nil {
		return nil // no cart of this module can have that id: nothing to merge
	}
	_, err := s.MergeGuest(ctx, ev.UserID, ev.GuestCartID, s.policy.Merge)
	if errors.Is(err, cart.ErrNotFound) {
		return nil
	}
	return err
}

// MergeGuest merges a guest cart into a user's cart by policy and publishes cart.merged. It is safe to run
// again for the same guest cart (a redelivered event, a retry after a crash): the lines are merged once,
// and cart.merged is published again only if an earlier run stopped between publishing and recording it.
// cart.ErrNotFound when there is nothing to merge.
//
// Steps (each atomic in one slot): detach the guest cart (its token stops working), merge its lines into
// the user's cart under a marker, move the guest's reservations to the user's lines, publish, record the
// publication and drop the detached copy. Four round trips plus the publish.
func (s *Service) MergeGuest(ctx context.Context, userID, guestID string, policy cart.MergePolicy) (cart.Merged, error) {
	if _, err := cart.ParseMergePolicy(string(policy)); err != nil {
		return cart.Merged{}, err
	}
	if err := errors.Join(cart.ValidateUserID(userID), cart.ValidateGuestID(guestID)); err != nil {
		return cart.Merged{}, err
	}
	lines, err := s.carts.DetachGuest(ctx, guestID, userID)
	if err != nil {
		return cart.Merged{}, err
	}
	out, err := s.carts.MergeLines(ctx, userID, guestID, lines, policy)
	if err != nil {
		return cart.Merged{}, err
	}
	ev := cart.Merged{UserID: userID, GuestCartID: guestID, LinesMerged: out.LinesMerged, Policy: string(policy),
		MergedAt: out.MergedAt.UTC()}
	if out.Fresh && len(out.Lines) > 0 {
		// Reservations only follow a merge done now: later the user may have changed the lines.
		if err := s.inv.Transfer(ctx, cart.GuestCart(guestID), cart.UserCart(userID), out.Lines); err != nil {
			return cart.Merged{}, err
		}
	}
	if !out.Published {
		if err := s.events.Publish(ctx, ev); err != nil {
			return cart.Merged{}, fmt.Errorf("%w: %w", ErrEventNotPublished, err)
		}
	}
	return ev, s.carts.CompleteMerge(ctx, userID, guestID)
}

// MergePolicy is the configured policy of merges.
func (s *Service) MergePolicy() cart.MergePolicy { return s.policy.Merge }
