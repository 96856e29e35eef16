package activityapp

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/ports"
)

// CartMergedHandlerName names the consumer group of the cart.merged handler; it never changes.
const CartMergedHandlerName = "activity.cart_merged"

// CartMergedHandler records every cart.merged as a "cart.merged" activity of the user and so publishes
// activity.recorded. It runs in its own consumer group, shared by the instances. The event's id is the
// activity's idempotency key, so a redelivered event stores nothing new (and publishes activity.recorded
// again with the same activity id).
func CartMergedHandler(svc *Service) ports.EventHandler {
	return ports.EventHandler{Name: CartMergedHandlerName, Event: cart.Merged{}.EventName(),
		Handle: func(ctx context.Context, e ports.Envelope) error {
			var m cart.Merged
			if err := e.Decode(&m); err != nil {
				return fmt.Errorf("decode %s %s: %w", e.Name, e.ID, err)
			}
			props := map[string]string{
				"guest_cart_id": m.GuestCartID,
				"lines_merged":  strconv.Itoa(m.LinesMerged),
				"policy":        m.Policy,
			}
			if !m.MergedAt.IsZero() {
				props["merged_at"] = m.MergedAt.UTC().Format(time.RFC3339Nano)
			}
			_, err := svc.Record(ctx, activity.NewActivity{
				ID: e.ID, UserID: m.UserID, Action: activity.ActionCartMerged, Object: "cart/" + m.GuestCartID,
				Properties: props,
			})
			if err != nil {
				return fmt.Errorf("%s %s: %w", e.Name, e.ID, err)
			}
			return nil
		}}
}
