package cartredis_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/cartredis"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/tests/harness"
)

// contract is the ports.CartStore and ports.Inventory contract suite; the merge, checkout and inventory
// cases in the other contract_*_test.go files belong to it too.
var contract = []struct {
	name string
	run  func(t *testing.T, e env)
}{
	{"GuestCartLifecycle", testGuestCartLifecycle},
	{"UnknownGuestCartChangesNothing", testUnknownGuestCart},
	{"UserCartAppearsOnFirstAdd", testUserCartAppears},
	{"AddSetRemoveClear", testAddSetRemoveClear},
	{"Limits", testLimits},
	{"MergePolicies", testMergePolicies},
	{"MergeOnceAndComplete", testMergeOnce},
	{"MergeRespectsLineLimit", testMergeLineLimit},
	{"CheckoutFreezesAndResumes", testCheckoutFreezes},
	{"StockSetAdjustRead", testStock},
	{"ReserveNeverOversells", testReserveNeverOversells},
	{"ReservationExpiryReturnsStock", testReservationExpiry},
	{"HoldExtendRelease", testHoldExtendRelease},
	{"Transfer", testTransfer},
	{"CommitOnceAndUndo", testCommit},
}

// TestCartContract runs every contract case on standalone Redis and on Redis Cluster, each case with its
// own client, key prefix and clock, all in parallel.
func TestCartContract(t *testing.T) {
	t.Parallel()
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			harness.Each(t, func(t *testing.T, tg harness.Target) { c.run(t, newEnv(t, tg)) })
		})
	}
}

// wantTTL checks a key's remaining lifetime is ttl, give or take the test's own duration.
func (e env) wantTTL(t *testing.T, key string, ttl time.Duration) {
	t.Helper()
	got, err := e.tg.Client.PTTL(e.ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if got > ttl || got < ttl-time.Minute {
		t.Errorf("PTTL %s = %s, want about %s", key, got, ttl)
	}
}

func testGuestCartLifecycle(t *testing.T, e env) {
	tok, err := cart.NewGuestToken()
	if err != nil {
		t.Fatal(err)
	}
	created, err := e.carts.CreateGuest(e.ctx, tok.ID())
	if err != nil {
		t.Fatalf("CreateGuest: %v", err)
	}
	ref := tok.Ref()
	if created.Ref != ref || !created.CreatedAt.Equal(epoch) || len(created.Lines) != 0 {
		t.Errorf("CreateGuest = %+v, want an empty cart %s created at %s", created, ref, epoch)
	}
	key := cartredis.CartKey(e.tg.Prefix, ref)
	e.wantTTL(t, key, testPolicy.GuestTTL)
	if _, err := e.carts.CreateGuest(e.ctx, tok.ID()); err == nil {
		t.Error("CreateGuest with a taken id succeeded")
	}

	// A change restarts the lifetime.
	if err := e.tg.Client.PExpire(e.ctx, key, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	l := e.add(t, ref, "sku-1", 2, 1250)
	if l.Quantity != 2 || l.UnitPriceCents != 1250 || !l.AddedAt.Equal(epoch.Add(time.Second)) || l.TotalCents() != 2500 {
		t.Errorf("AddLine = %+v", l)
	}
	e.wantTTL(t, key, testPolicy.GuestTTL)
	c, err := e.carts.Get(e.ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Lines) != 1 || c.TotalCents() != 2500 || !c.UpdatedAt.Equal(epoch.Add(time.Second)) || !c.CreatedAt.Equal(epoch) {
		t.Errorf("Get = %+v", c)
	}
}

func testUnknownGuestCart(t *testing.T, e env) {
	tok, err := cart.NewGuestToken()
	if err != nil {
		t.Fatal(err)
	}
	ref := tok.Ref()
	_, err = e.carts.Get(e.ctx, ref)
	wantErr(t, "Get", err, cart.ErrNotFound)
	_, err = e.carts.AddLine(e.ctx, ref, "sku-1", 1, 100)
	wantErr(t, "AddLine", err, cart.ErrNotFound)
	_, err = e.carts.SetQuantity(e.ctx, ref, "sku-1", 1)
	wantErr(t, "SetQuantity", err, cart.ErrNotFound)
	_, err = e.carts.RemoveLine(e.ctx, ref, "sku-1")
	wantErr(t, "RemoveLine", err, cart.ErrNotFound)
	_, err = e.carts.Clear(e.ctx, ref)
	wantErr(t, "Clear", err, cart.ErrNotFound)
	_, err = e.carts.BeginCheckout(e.ctx, ref, "AAAAAAAAAAAAAAAAAAAAAA")
	wantErr(t, "BeginCheckout", err, cart.ErrNotFound)
	_, err = e.carts.DetachGuest(e.ctx, ref.ID, "alice")
	wantErr(t, "DetachGuest", err, cart.ErrNotFound)
	if n, err := e.tg.Client.Exists(e.ctx, cartredis.CartKey(e.tg.Prefix, ref)).Result(); err != nil || n != 0 {
		t.Errorf("the unknown guest cart exists after the calls (%d, %v)", n, err)
	}
}

func testUserCartAppears(t *testing.T, e env) {
	ref := cart.UserCart("alice")
	c, err := e.carts.Get(e.ctx, ref)
	if err != nil || len(c.Lines) != 0 {
		t.Fatalf("Get of a user without a cart = %+v, %v; want empty", c, err)
	}
	if lines, err := e.carts.Clear(e.ctx, ref); err != nil || len(lines) != 0 {
		t.Errorf("Clear of a missing user cart = %v, %v", lines, err)
	}
	_, err = e.carts.RemoveLine(e.ctx, ref, "sku-1")
	wantErr(t, "RemoveLine", err, cart.ErrLineNotFound)
	_, err = e.carts.BeginCheckout(e.ctx, ref, "AAAAAAAAAAAAAAAAAAAAAA")
	wantErr(t, "BeginCheckout", err, cart.ErrEmpty)
	e.add(t, ref, "sku-1", 1, 100)
	e.wantTTL(t, cartredis.CartKey(e.tg.Prefix, ref), testPolicy.UserTTL)
}

func testAddSetRemoveClear(t *testing.T, e env) {
	ref := e.guest(t)
	e.add(t, ref, "b", 1, 300)
	e.clock.Advance(time.Millisecond)
	e.add(t, ref, "a", 2, 100)
	e.clock.Advance(time.Millisecond)
	// Adding more of a SKU keeps its place and takes the latest price.
	l := e.add(t, ref, "b", 2, 350)
	if l.Quantity != 3 || l.UnitPriceCents != 350 || !l.AddedAt.Equal(epoch) {
		t.Errorf("AddLine again = %+v, want 3 at 350 added at %s", l, epoch)
	}
	c, err := e.carts.Get(e.ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Lines) != 2 || c.Lines[0].SKU != "b" || c.Lines[1].SKU != "a" || c.TotalCents() != 3*350+2*100 || c.Units() != 5 {
		t.Errorf("Get = %+v, want b then a, total %d", c.Lines, 3*350+2*100)
	}

	l, err = e.carts.SetQuantity(e.ctx, ref, "a", 7)
	if err != nil || l.Quantity != 7 || l.UnitPriceCents != 100 {
		t.Errorf("SetQuantity = %+v, %v", l, err)
	}
	_, err = e.carts.SetQuantity(e.ctx, ref, "zz", 1)
	wantErr(t, "SetQuantity of a missing line", err, cart.ErrLineNotFound)
	removed, err := e.carts.RemoveLine(e.ctx, ref, "b")
	if err != nil || removed.SKU != "b" || removed.Quantity != 3 {
		t.Errorf("RemoveLine = %+v, %v", removed, err)
	}
	_, err = e.carts.RemoveLine(e.ctx, ref, "b")
	wantErr(t, "RemoveLine again", err, cart.ErrLineNotFound)
	wantQuantities(t, "after remove", e.quantities(t, ref), map[string]int64{"a": 7})

	lines, err := e.carts.Clear(e.ctx, ref)
	if err != nil || len(lines) != 1 || lines[0].SKU != "a" {
		t.Errorf("Clear = %+v, %v", lines, err)
	}
	// A cleared guest cart still exists: its token keeps working.
	wantQuantities(t, "after clear", e.quantities(t, ref), map[string]int64{})
}

func testLimits(t *testing.T, e env) {
	ref := cart.UserCart("bulk-buyer")
	for i := range cart.MaxLines {
		e.add(t, ref, fmt.Sprintf("sku-%03d", i), 1, 1)
	}
	before := e.quantities(t, ref)
	_, err := e.carts.AddLine(e.ctx, ref, "one-too-many", 1, 1)
	wantErr(t, "AddLine past MaxLines", err, cart.ErrLimit)
	// Existing lines may still grow, up to MaxQuantity.
	e.add(t, ref, "sku-000", cart.MaxQuantity-1, 1)
	_, err = e.carts.AddLine(e.ctx, ref, "sku-000", 1, 1)
	wantErr(t, "AddLine past MaxQuantity", err, cart.ErrLimit)
	_, err = e.carts.SetQuantity(e.ctx, ref, "sku-001", cart.MaxQuantity+1)
	wantErr(t, "SetQuantity past MaxQuantity", err, cart.ErrLimit)
	after := e.quantities(t, ref)
	before["sku-000"] = cart.MaxQuantity
	wantQuantities(t, "cart after refused changes", after, before)
}
