package cartredis_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/cartredis"
	"github.com/statekit/statekit/domain/cart"
)

// merge detaches a guest cart and merges it into user's cart by policy.
func (e env) merge(t *testing.T, guest cart.Ref, user string, p cart.MergePolicy) cart.MergeOutcome {
	t.Helper()
	lines, err := e.carts.DetachGuest(e.ctx, guest.ID, user)
	if err != nil {
		t.Fatalf("DetachGuest: %v", err)
	}
	out, err := e.carts.MergeLines(e.ctx, user, guest.ID, lines, p)
	if err != nil {
		t.Fatalf("MergeLines: %v", err)
	}
	return out
}

func testMergePolicies(t *testing.T, e env) {
	tests := []struct {
		policy cart.MergePolicy
		want   map[string]int64
		merged int
	}{
		{cart.MergeSum, map[string]int64{"a": 5, "b": 1, "c": 4}, 2},
		{cart.MergeMax, map[string]int64{"a": 3, "b": 1, "c": 4}, 2},
		{cart.MergeKeepUser, map[string]int64{"a": 2, "b": 1, "c": 4}, 1},
	}
	for _, tc := range tests {
		user := "user-" + string(tc.policy)
		u := cart.UserCart(user)
		e.add(t, u, "a", 2, 100)
		e.add(t, u, "b", 1, 200)
		g := e.guest(t)
		e.add(t, g, "a", 3, 90)
		e.add(t, g, "c", 4, 50)
		e.clock.Advance(time.Second)
		out := e.merge(t, g, user, tc.policy)
		if !out.Fresh || out.Published || out.LinesMerged != tc.merged || !out.MergedAt.Equal(e.clock.Now()) {
			t.Errorf("%s: outcome = %+v, want fresh, unpublished, %d merged at %s", tc.policy, out, tc.merged, e.clock.Now())
		}
		wantQuantities(t, string(tc.policy)+": user cart", e.quantities(t, u), tc.want)
		after := map[string]int64{}
		for _, l := range out.Lines {
			after[l.SKU] = l.Quantity
		}
		wantQuantities(t, string(tc.policy)+": outcome lines", after, map[string]int64{"a": tc.want["a"], "c": 4})
		c, err := e.carts.Get(e.ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range c.Lines {
			if want := map[string]int64{"a": 100, "b": 200, "c": 50}[l.SKU]; l.UnitPriceCents != want {
				t.Errorf("%s: line %s price %d, want %d (the user's snapshot wins, the guest's for new lines)",
					tc.policy, l.SKU, l.UnitPriceCents, want)
			}
		}
		// The guest cart is gone: its token finds nothing.
		_, err = e.carts.Get(e.ctx, g)
		wantErr(t, string(tc.policy)+": guest cart after merge", err, cart.ErrNotFound)
	}
}

func testMergeOnce(t *testing.T, e env) {
	u := cart.UserCart("alice")
	e.add(t, u, "a", 1, 100)
	g := e.guest(t)
	e.add(t, g, "a", 2, 100)
	first := e.merge(t, g, "alice", cart.MergeSum)

	// Redelivered before completion: the detached copy is found again, the marker stops a second merge.
	again := e.merge(t, g, "alice", cart.MergeSum)
	if again.Fresh || again.Published || again.LinesMerged != first.LinesMerged || !again.MergedAt.Equal(first.MergedAt) {
		t.Errorf("second merge = %+v, want the first's figures, not fresh, not published", again)
	}
	wantQuantities(t, "user cart after two merges", e.quantities(t, u), map[string]int64{"a": 3})

	// Another user cannot take the detached cart.
	_, err := e.carts.DetachGuest(e.ctx, g.ID, "mallory")
	wantErr(t, "DetachGuest for another user", err, cart.ErrNotFound)

	if err := e.carts.CompleteMerge(e.ctx, "alice", g.ID); err != nil {
		t.Fatalf("CompleteMerge: %v", err)
	}
	if err := e.carts.CompleteMerge(e.ctx, "alice", g.ID); err != nil {
		t.Fatalf("CompleteMerge again: %v", err)
	}
	out, err := e.carts.MergeLines(e.ctx, "alice", g.ID, nil, cart.MergeSum)
	if err != nil || out.Fresh || !out.Published {
		t.Errorf("MergeLines after completion = %+v, %v; want not fresh and published", out, err)
	}
	_, err = e.carts.DetachGuest(e.ctx, g.ID, "alice")
	wantErr(t, "DetachGuest after completion", err, cart.ErrNotFound)
	if n, _ := e.tg.Client.Exists(e.ctx, cartredis.DetachedKey(e.tg.Prefix, g.ID)).Result(); n != 0 {
		t.Error("the detached guest cart outlived CompleteMerge")
	}
	marker := cartredis.MarkerKey(e.tg.Prefix, "alice", g.ID)
	e.wantTTL(t, marker, testPolicy.IdempotencyWindow)
	wantQuantities(t, "user cart after completion", e.quantities(t, u), map[string]int64{"a": 3})
}

func testMergeLineLimit(t *testing.T, e env) {
	u := cart.UserCart("full")
	for i := range cart.MaxLines - 1 {
		e.add(t, u, fmt.Sprintf("u-%03d", i), 1, 1)
	}
	e.add(t, u, "shared", cart.MaxQuantity-1, 1)
	g := e.guest(t)
	e.add(t, g, "shared", 5, 1)
	e.add(t, g, "g-1", 1, 1)
	e.add(t, g, "g-2", 1, 1)
	out := e.merge(t, g, "full", cart.MergeSum)
	q := e.quantities(t, u)
	if len(q) != cart.MaxLines || q["shared"] != cart.MaxQuantity || out.LinesMerged != 1 {
		t.Errorf("merge into a full cart: %d lines, shared=%d, merged %d; want %d lines, shared capped at %d, 1 merged",
			len(q), q["shared"], out.LinesMerged, cart.MaxLines, cart.MaxQuantity)
	}
}

func testCheckoutFreezes(t *testing.T, e env) {
	ref := e.guest(t)
	e.add(t, ref, "a", 2, 150)
	const first, second = "AAAAAAAAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBBBBBBBB"
	c, err := e.carts.BeginCheckout(e.ctx, ref, first)
	if err != nil || c.PendingOrder != first || len(c.Lines) != 1 || c.Lines[0].Quantity != 2 {
		t.Fatalf("BeginCheckout = %+v, %v", c, err)
	}
	_, err = e.carts.AddLine(e.ctx, ref, "b", 1, 1)
	wantErr(t, "AddLine while frozen", err, cart.ErrCheckoutPending)
	_, err = e.carts.RemoveLine(e.ctx, ref, "a")
	wantErr(t, "RemoveLine while frozen", err, cart.ErrCheckoutPending)
	_, err = e.carts.DetachGuest(e.ctx, ref.ID, "alice")
	wantErr(t, "DetachGuest while frozen", err, cart.ErrCheckoutPending)
	_, err = e.carts.BeginCheckout(e.ctx, ref, second)
	wantErr(t, "BeginCheckout within the lease", err, cart.ErrCheckoutPending)

	// After the lease, a new checkout resumes the same order.
	e.clock.Advance(testPolicy.CheckoutLease)
	c, err = e.carts.BeginCheckout(e.ctx, ref, second)
	if err != nil || c.PendingOrder != first {
		t.Fatalf("BeginCheckout after the lease = %+v, %v; want order %s resumed", c, err, first)
	}
	_, _, err = e.carts.FinishCheckout(e.ctx, cart.Order{ID: second, Cart: ref, Lines: c.Lines})
	wantErr(t, "FinishCheckout by an order not holding the cart", err, cart.ErrCheckoutPending)
	if err := e.carts.AbortCheckout(e.ctx, ref, second); err != nil {
		t.Fatal(err)
	}
	if c, _ := e.carts.Get(e.ctx, ref); c.PendingOrder != first {
		t.Errorf("AbortCheckout by another order unfroze the cart: %+v", c)
	}

	order := cart.Order{ID: first, Cart: ref, Lines: c.Lines}
	at, fresh, err := e.carts.FinishCheckout(e.ctx, order)
	if err != nil || !fresh || !at.Equal(e.clock.Now()) {
		t.Fatalf("FinishCheckout = %s, %t, %v", at, fresh, err)
	}
	e.clock.Advance(time.Second)
	again, fresh, err := e.carts.FinishCheckout(e.ctx, order)
	if err != nil || fresh || !again.Equal(at) {
		t.Errorf("FinishCheckout again = %s, %t, %v; want the recorded %s, not fresh", again, fresh, err, at)
	}
	c, err = e.carts.Get(e.ctx, ref)
	if err != nil || len(c.Lines) != 0 || c.PendingOrder != "" {
		t.Errorf("cart after checkout = %+v, %v; want empty and unfrozen", c, err)
	}
	e.add(t, ref, "b", 1, 1) // unfrozen

	// Abort unfreezes.
	c, err = e.carts.BeginCheckout(e.ctx, ref, second)
	if err != nil || c.PendingOrder != second {
		t.Fatalf("BeginCheckout = %+v, %v", c, err)
	}
	if err := e.carts.AbortCheckout(e.ctx, ref, second); err != nil {
		t.Fatal(err)
	}
	e.add(t, ref, "b", 1, 1)
}
