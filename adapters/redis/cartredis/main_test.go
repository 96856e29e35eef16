package cartredis_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/cartredis"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/fakeclock"
	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// epoch is where every simulated clock starts: far from the zero time, which the scripts read as "use TIME".
var epoch = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

// testPolicy gives guest and user carts different lifetimes so the tests can tell them apart.
var testPolicy = func() cart.Policy {
	p := cart.DefaultPolicy()
	p.GuestTTL, p.UserTTL, p.ReservationTTL = time.Hour, 2*time.Hour, 10*time.Minute
	return p
}()

// env is one test's cart store and inventory on their own key prefix with their own simulated clock.
type env struct {
	ctx   context.Context
	carts ports.CartStore
	inv   ports.Inventory
	clock *fakeclock.Clock
	tg    harness.Target
}

func newEnv(t *testing.T, tg harness.Target) env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	clock := fakeclock.New(epoch)
	return env{ctx: ctx, clock: clock, tg: tg,
		carts: cartredis.New(tg.Client, tg.Prefix, testPolicy, clock),
		inv:   cartredis.NewInventory(tg.Client, tg.Prefix, testPolicy, clock)}
}

// guest creates a guest cart and returns its ref.
func (e env) guest(t *testing.T) cart.Ref {
	t.Helper()
	tok, err := cart.NewGuestToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.carts.CreateGuest(e.ctx, tok.ID()); err != nil {
		t.Fatalf("CreateGuest: %v", err)
	}
	return tok.Ref()
}

// add puts qty units of sku at price into a cart, failing the test on error.
func (e env) add(t *testing.T, ref cart.Ref, sku string, qty, price int64) cart.Line {
	t.Helper()
	l, err := e.carts.AddLine(e.ctx, ref, sku, qty, price)
	if err != nil {
		t.Fatalf("AddLine(%s, %s, %d): %v", ref, sku, qty, err)
	}
	return l
}

// quantities returns a cart's lines as sku -> quantity.
func (e env) quantities(t *testing.T, ref cart.Ref) map[string]int64 {
	t.Helper()
	c, err := e.carts.Get(e.ctx, ref)
	if err != nil {
		t.Fatalf("Get(%s): %v", ref, err)
	}
	out := map[string]int64{}
	for _, l := range c.Lines {
		out[l.SKU] = l.Quantity
	}
	return out
}

// stock creates a SKU with units on hand at price.
func (e env) stock(t *testing.T, sku string, onHand, price int64) {
	t.Helper()
	if _, err := e.inv.SetStock(e.ctx, sku, onHand, price); err != nil {
		t.Fatalf("SetStock(%s): %v", sku, err)
	}
}

// level reads a SKU's stock.
func (e env) level(t *testing.T, sku string) cart.Stock {
	t.Helper()
	s, err := e.inv.Stock(e.ctx, sku)
	if err != nil {
		t.Fatalf("Stock(%s): %v", sku, err)
	}
	return s
}

// wantLevel checks a SKU's on-hand, reserved and sold units.
func (e env) wantLevel(t *testing.T, sku string, onHand, reserved, sold int64) {
	t.Helper()
	s := e.level(t, sku)
	if s.OnHand != onHand || s.Reserved != reserved || s.Sold != sold {
		t.Errorf("stock of %s = on hand %d, reserved %d, sold %d; want %d, %d, %d",
			sku, s.OnHand, s.Reserved, s.Sold, onHand, reserved, sold)
	}
}

// held reads what ref holds of sku.
func (e env) held(t *testing.T, ref cart.Ref, sku string) int64 {
	t.Helper()
	list, err := e.inv.Held(e.ctx, ref, []string{sku})
	if err != nil {
		t.Fatalf("Held(%s, %s): %v", ref, sku, err)
	}
	return list[0].Quantity
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func wantQuantities(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", what, got, want)
			return
		}
	}
}
