package cartredis_test

import (
	"testing"
	"time"

	"github.com/statekit/statekit/domain/cart"
)

func testStock(t *testing.T, e env) {
	_, err := e.inv.Stock(e.ctx, "nope")
	wantErr(t, "Stock of an unknown SKU", err, cart.ErrUnknownSKU)
	_, err = e.inv.AdjustStock(e.ctx, "nope", 5)
	wantErr(t, "AdjustStock of an unknown SKU", err, cart.ErrUnknownSKU)

	s, err := e.inv.SetStock(e.ctx, "mug", 10, 1299)
	if err != nil || s != (cart.Stock{SKU: "mug", OnHand: 10, PriceCents: 1299}) {
		t.Fatalf("SetStock = %+v, %v", s, err)
	}
	s, err = e.inv.AdjustStock(e.ctx, "mug", -4)
	if err != nil || s.OnHand != 6 || s.Available() != 6 || s.PriceCents != 1299 {
		t.Errorf("AdjustStock(-4) = %+v, %v", s, err)
	}
	if _, err := e.inv.Reserve(e.ctx, cart.UserCart("a"), "mug", 5); err != nil {
		t.Fatal(err)
	}
	_, err = e.inv.AdjustStock(e.ctx, "mug", -2)
	wantErr(t, "AdjustStock below reserved", err, cart.ErrStockConflict)
	_, err = e.inv.SetStock(e.ctx, "mug", 4, 1299)
	wantErr(t, "SetStock below reserved", err, cart.ErrStockConflict)
	_, err = e.inv.AdjustStock(e.ctx, "mug", cart.MaxStock)
	wantErr(t, "AdjustStock past MaxStock", err, cart.ErrInvalid)
	e.wantLevel(t, "mug", 6, 5, 0)
	s, err = e.inv.SetStock(e.ctx, "mug", 5, 999)
	if err != nil || s.OnHand != 5 || s.Reserved != 5 || s.Available() != 0 || s.PriceCents != 999 {
		t.Errorf("SetStock to the reserved units = %+v, %v", s, err)
	}
}

func testReserveNeverOversells(t *testing.T, e env) {
	e.stock(t, "lamp", 3, 4500)
	a, b := cart.UserCart("a"), e.guest(t)
	r, err := e.inv.Reserve(e.ctx, a, "lamp", 2)
	if err != nil || r.Quantity != 2 || r.PriceCents != 4500 || !r.ExpiresAt.Equal(epoch.Add(testPolicy.ReservationTTL)) {
		t.Fatalf("Reserve = %+v, %v", r, err)
	}
	_, err = e.inv.Reserve(e.ctx, b, "lamp", 2)
	wantErr(t, "Reserve past the available units", err, cart.ErrInsufficientStock)
	_, _, err = e.inv.Hold(e.ctx, b, "lamp", 2)
	wantErr(t, "Hold past the available units", err, cart.ErrInsufficientStock)
	_, err = e.inv.Reserve(e.ctx, b, "ghost", 1)
	wantErr(t, "Reserve of an unknown SKU", err, cart.ErrUnknownSKU)
	e.wantLevel(t, "lamp", 3, 2, 0)
	if r, err := e.inv.Reserve(e.ctx, b, "lamp", 1); err != nil || r.Quantity != 1 {
		t.Fatalf("Reserve the last unit = %+v, %v", r, err)
	}
	if r, err := e.inv.Reserve(e.ctx, a, "lamp", 1); err == nil {
		t.Fatalf("Reserve with nothing available = %+v", r)
	}
	// Giving back never goes below zero.
	if r, err := e.inv.Reserve(e.ctx, a, "lamp", -5); err != nil || r.Quantity != 0 {
		t.Errorf("Reserve(-5) = %+v, %v", r, err)
	}
	e.wantLevel(t, "lamp", 3, 1, 0)
}

func testReservationExpiry(t *testing.T, e env) {
	e.stock(t, "tent", 3, 10000)
	a, b := e.guest(t), cart.UserCart("b")
	if _, err := e.inv.Reserve(e.ctx, a, "tent", 3); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(testPolicy.ReservationTTL - time.Millisecond)
	_, err := e.inv.Reserve(e.ctx, b, "tent", 1)
	wantErr(t, "Reserve 1 ms before the expiry", err, cart.ErrInsufficientStock)
	if got := e.held(t, a, "tent"); got != 3 {
		t.Errorf("held 1 ms before expiry = %d, want 3", got)
	}

	// The reservation returns its units by itself: the next script that looks at the SKU sees them.
	e.clock.Advance(time.Millisecond)
	if got := e.held(t, a, "tent"); got != 0 {
		t.Errorf("held at expiry = %d, want 0", got)
	}
	e.wantLevel(t, "tent", 3, 0, 0)
	if r, err := e.inv.Reserve(e.ctx, b, "tent", 3); err != nil || r.Quantity != 3 {
		t.Fatalf("Reserve after the expiry = %+v, %v", r, err)
	}
	// The expired holder reserving again starts from nothing.
	_, err = e.inv.Reserve(e.ctx, a, "tent", 1)
	wantErr(t, "Reserve by the expired holder", err, cart.ErrInsufficientStock)
	e.wantLevel(t, "tent", 3, 3, 0)

	// Extending restarts the lifetime.
	e.clock.Advance(testPolicy.ReservationTTL / 2)
	if _, err := e.inv.Extend(e.ctx, b, []cart.Line{{SKU: "tent", Quantity: 3}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(testPolicy.ReservationTTL - time.Millisecond)
	if got := e.held(t, b, "tent"); got != 3 {
		t.Errorf("held after an extension = %d, want 3", got)
	}
}

func testHoldExtendRelease(t *testing.T, e env) {
	e.stock(t, "cup", 5, 300)
	e.stock(t, "plate", 2, 500)
	ref := e.guest(t)
	r, before, err := e.inv.Hold(e.ctx, ref, "cup", 4)
	if err != nil || r.Quantity != 4 || before != 0 {
		t.Fatalf("Hold(4) = %+v, before %d, %v", r, before, err)
	}
	if r, before, err = e.inv.Hold(e.ctx, ref, "cup", 2); err != nil || r.Quantity != 2 || before != 4 {
		t.Fatalf("Hold(2) = %+v, before %d, %v", r, before, err)
	}
	e.wantLevel(t, "cup", 5, 2, 0)
	if _, err := e.inv.Reserve(e.ctx, cart.UserCart("other"), "plate", 1); err != nil {
		t.Fatal(err)
	}
	// Extend tops up as far as stock allows and never fails for lack of it.
	list, err := e.inv.Extend(e.ctx, ref, []cart.Line{{SKU: "cup", Quantity: 3}, {SKU: "plate", Quantity: 2}, {SKU: "gone", Quantity: 1}})
	if err != nil || len(list) != 3 || list[0].Quantity != 3 || list[1].Quantity != 1 || list[2].Quantity != 0 {
		t.Fatalf("Extend = %+v, %v; want cup 3, plate 1, gone 0", list, err)
	}
	held, err := e.inv.Held(e.ctx, ref, []string{"cup", "plate", "gone"})
	if err != nil || held[0].Quantity != 3 || held[1].Quantity != 1 || held[2].Quantity != 0 {
		t.Errorf("Held = %+v, %v", held, err)
	}
	if err := e.inv.Release(e.ctx, ref, []string{"cup", "plate", "gone"}); err != nil {
		t.Fatal(err)
	}
	e.wantLevel(t, "cup", 5, 0, 0)
	e.wantLevel(t, "plate", 2, 1, 0)
}

func testTransfer(t *testing.T, e env) {
	e.stock(t, "hat", 10, 2000)
	e.stock(t, "scarf", 3, 1500)
	guest, user := e.guest(t), cart.UserCart("carol")
	for _, r := range []struct {
		ref cart.Ref
		sku string
		n   int64
	}{{guest, "hat", 2}, {user, "hat", 3}, {guest, "scarf", 2}, {user, "scarf", 1}} {
		if _, err := e.inv.Reserve(e.ctx, r.ref, r.sku, r.n); err != nil {
			t.Fatal(err)
		}
	}
	// hat: the user should hold 4 of the 5 both hold (one goes back); scarf: 3 (sum, all there is).
	if err := e.inv.Transfer(e.ctx, guest, user, []cart.Line{{SKU: "hat", Quantity: 4}, {SKU: "scarf", Quantity: 3}, {SKU: "gone", Quantity: 1}}); err != nil {
		t.Fatal(err)
	}
	if g, u := e.held(t, guest, "hat"), e.held(t, user, "hat"); g != 0 || u != 4 {
		t.Errorf("hat held by guest %d, user %d; want 0, 4", g, u)
	}
	if g, u := e.held(t, guest, "scarf"), e.held(t, user, "scarf"); g != 0 || u != 3 {
		t.Errorf("scarf held by guest %d, user %d; want 0, 3", g, u)
	}
	e.wantLevel(t, "hat", 10, 4, 0)
	e.wantLevel(t, "scarf", 3, 3, 0)
}

func testCommit(t *testing.T, e env) {
	e.stock(t, "pen", 5, 200)
	e.stock(t, "ink", 1, 800)
	ref, other := e.guest(t), cart.UserCart("dave")
	if _, err := e.inv.Reserve(e.ctx, ref, "pen", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.inv.Reserve(e.ctx, other, "ink", 1); err != nil {
		t.Fatal(err)
	}
	const order = "CCCCCCCCCCCCCCCCCCCCCC"
	// pen: 2 reserved + 1 available; ink: the only unit is someone else's; ghost: unknown.
	lines := []cart.Line{{SKU: "pen", Quantity: 3}, {SKU: "ink", Quantity: 1}, {SKU: "ghost", Quantity: 1}}
	short, err := e.inv.Commit(e.ctx, ref, order, lines)
	if err != nil || len(short) != 2 || short[0] != "ink" || short[1] != "ghost" {
		t.Fatalf("Commit = short %v, %v; want ink and ghost short", short, err)
	}
	e.wantLevel(t, "pen", 2, 0, 3)
	e.wantLevel(t, "ink", 1, 1, 0)
	// Committing the same order again sells nothing more.
	if short, err := e.inv.Commit(e.ctx, ref, order, lines[:1]); err != nil || len(short) != 0 {
		t.Fatalf("Commit again = %v, %v", short, err)
	}
	e.wantLevel(t, "pen", 2, 0, 3)

	// Undo returns the units to the cart as a reservation, once.
	for range 2 {
		if err := e.inv.Uncommit(e.ctx, ref, order, lines[:1]); err != nil {
			t.Fatal(err)
		}
	}
	e.wantLevel(t, "pen", 5, 3, 0)
	if got := e.held(t, ref, "pen"); got != 3 {
		t.Errorf("held after undo = %d, want 3", got)
	}
	// Uncommitting a SKU the order never sold changes nothing.
	if err := e.inv.Uncommit(e.ctx, ref, order, lines[1:2]); err != nil {
		t.Fatal(err)
	}
	e.wantLevel(t, "ink", 1, 1, 0)

	// A sale after the reservation expired takes available units if there are any.
	e.clock.Advance(testPolicy.ReservationTTL)
	if short, err := e.inv.Commit(e.ctx, ref, "DDDDDDDDDDDDDDDDDDDDDD", lines[:1]); err != nil || len(short) != 0 {
		t.Fatalf("Commit after expiry = %v, %v", short, err)
	}
	e.wantLevel(t, "pen", 2, 0, 3)
}
