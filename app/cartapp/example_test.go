package cartapp_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/statekit/statekit/adapters/redis/cartredis"
	"github.com/statekit/statekit/app/cartapp"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/tests/eventlog"
	"github.com/statekit/statekit/tests/harness"
)

// TestMain stops the redis-server the Example starts.
func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// Adding an item reserves stock for the cart; checkout sells the reserved units and records the order.
func Example() {
	ctx := context.Background()
	rdb, err := harness.Open()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rdb.Client.Close()
	policy := cart.DefaultPolicy()
	svc := cartapp.NewService(cartredis.New(rdb.Client, rdb.Prefix, policy, nil),
		cartredis.NewInventory(rdb.Client, rdb.Prefix, policy, nil), &eventlog.Printer{}, policy)

	if _, err := svc.SetStock(ctx, "mug", 5, 1200); err != nil {
		fmt.Println(err)
		return
	}
	alice := cart.UserCart("alice")
	_, res, err := svc.AddItem(ctx, alice, "mug", 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("reserved:", res.Quantity)
	order, err := svc.Checkout(ctx, alice)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("order total (cents):", order.TotalCents())
	stock, err := svc.Stock(ctx, "mug")
	fmt.Println("sold:", stock.Sold, "available:", stock.Available(), err)
	// Output:
	// reserved: 2
	// event: cart.checked_out
	// order total (cents): 2400
	// sold: 2 available: 3 <nil>
}
