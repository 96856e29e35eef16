package cartflow

import (
	"net/http"
	"testing"
	"time"

	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/tests/testapp"
)

type lineView struct {
	SKU            string     `json:"sku"`
	Quantity       int64      `json:"quantity"`
	UnitPriceCents int64      `json:"unit_price_cents"`
	LineTotalCents int64      `json:"line_total_cents"`
	Reserved       int64      `json:"reserved"`
	ReservedUntil  *time.Time `json:"reserved_until"`
}

type cartView struct {
	Kind       string     `json:"kind"`
	UserID     string     `json:"user_id"`
	CartID     string     `json:"cart_id"`
	Lines      []lineView `json:"lines"`
	Units      int64      `json:"units"`
	TotalCents int64      `json:"total_cents"`
}

type guestCreated struct {
	Token string   `json:"token"`
	Cart  cartView `json:"cart"`
}

type stockView struct {
	SKU        string `json:"sku"`
	OnHand     int64  `json:"on_hand"`
	Reserved   int64  `json:"reserved"`
	Available  int64  `json:"available"`
	Sold       int64  `json:"sold"`
	PriceCents int64  `json:"price_cents"`
}

type orderView struct {
	OrderID    string     `json:"order_id"`
	Lines      []lineView `json:"lines"`
	TotalCents int64      `json:"total_cents"`
}

func (a *app) setStock(sku string, onHand, price int64) {
	a.T.Helper()
	a.Do("PUT", "/v1/inventory/"+sku, admin(), map[string]int64{"on_hand": onHand, "price_cents": price}).
		Expect(a.T, "set stock of "+sku, http.StatusOK, nil)
}

func (a *app) stock(sku string) stockView {
	a.T.Helper()
	var s stockView
	a.Do("GET", "/v1/inventory/"+sku, admin(), nil).Expect(a.T, "stock of "+sku, http.StatusOK, &s)
	return s
}

func (a *app) newGuest() guestCreated {
	a.T.Helper()
	var g guestCreated
	a.Do("POST", "/v1/guest-carts", testapp.Creds{}, nil).Expect(a.T, "create guest cart", http.StatusCreated, &g)
	if g.Token == "" || g.Cart.Kind != "guest" || len(g.Cart.CartID) != 43 {
		a.T.Fatalf("create guest cart = %+v", g)
	}
	return g
}

func (a *app) signIn(userID string, body map[string]any, requestID string) string {
	a.T.Helper()
	var out struct{ Token string }
	a.Do("POST", "/v1/users/"+userID+"/sessions", service().WithRequestID(requestID), body).
		Expect(a.T, "sign in "+userID, http.StatusCreated, &out)
	return out.Token
}

func quantities(c cartView) map[string]int64 {
	out := map[string]int64{}
	for _, l := range c.Lines {
		out[l.SKU] = l.Quantity
	}
	return out
}

// TestGuestCartMergedOnSignIn drives the cart's event flow over HTTP: a guest fills a cart, signs in with
// it (session.created carries guest_cart_id), the cart module merges it into the user's cart, and
// cart.merged reaches the bus with the sign-in's correlation id. The reservations follow the lines, the
// guest token stops working, and checkout sells the merged cart and publishes cart.checked_out.
func TestGuestCartMergedOnSignIn(t *testing.T) {
	t.Parallel()
	mergedOpt, merged := testapp.Subscribe("test.cart_merged", "cart.merged")
	soldOpt, sold := testapp.Subscribe("test.cart_checked_out", "cart.checked_out")
	a := newApp(t, mergedOpt, soldOpt)
	a.setStock("mug", 10, 1299)
	a.setStock("tea", 5, 450)

	// alice already has a mug in her cart from an earlier visit.
	earlier := a.signIn("alice", map[string]any{}, "req-cart-earlier")
	a.Do("POST", "/v1/cart/items", user(earlier), map[string]any{"sku": "mug", "quantity": 1}).
		Expect(t, "alice adds a mug", http.StatusOK, nil)

	// As a guest she adds two mugs and three teas.
	g := a.newGuest()
	var line lineView
	a.Do("POST", "/v1/guest-cart/items", guestOf(g.Token), map[string]any{"sku": "mug", "quantity": 2}).
		Expect(t, "guest adds mugs", http.StatusOK, &line)
	if line.Quantity != 2 || line.UnitPriceCents != 1299 || line.Reserved != 2 || line.ReservedUntil == nil {
		t.Errorf("guest line = %+v", line)
	}
	a.Do("POST", "/v1/guest-cart/items", guestOf(g.Token), map[string]any{"sku": "tea", "quantity": 3}).
		Expect(t, "guest adds tea", http.StatusOK, nil)
	if s := a.stock("mug"); s.Reserved != 3 || s.Available != 7 {
		t.Errorf("mug stock before sign-in = %+v, want 3 reserved", s)
	}

	// She signs in with the guest cart: the merge happens on session.created.
	const requestID = "req-cart-signin-01"
	token := a.signIn("alice", map[string]any{"guest_cart_id": g.Cart.CartID}, requestID)
	e := testapp.Next(t, merged, "cart.merged")
	var m cart.Merged
	if err := e.Decode(&m); err != nil {
		t.Fatalf("decode cart.merged %s: %v", e.Payload, err)
	}
	if e.Version != 1 || e.Source != "cart" || e.CorrelationID != requestID {
		t.Errorf("envelope version %d source %q correlation %q; want 1, cart, %q", e.Version, e.Source, e.CorrelationID, requestID)
	}
	if m.UserID != "alice" || m.GuestCartID != g.Cart.CartID || m.LinesMerged != 2 || m.Policy != "sum" ||
		time.Since(m.MergedAt) > time.Minute {
		t.Errorf("cart.merged = %+v", m)
	}

	var c cartView
	a.Do("GET", "/v1/cart", user(token), nil).Expect(t, "alice's cart", http.StatusOK, &c)
	if q := quantities(c); len(q) != 2 || q["mug"] != 3 || q["tea"] != 3 || c.TotalCents != 3*1299+3*450 || c.UserID != "alice" {
		t.Errorf("merged cart = %+v", c)
	}
	for _, l := range c.Lines {
		if l.Reserved != l.Quantity {
			t.Errorf("line %s reserves %d of %d after the merge", l.SKU, l.Reserved, l.Quantity)
		}
	}
	if s := a.stock("mug"); s.Reserved != 3 {
		t.Errorf("mug stock after the merge = %+v, want the same 3 reserved", s)
	}
	a.Do("GET", "/v1/guest-cart", guestOf(g.Token), nil).ExpectProblem(t, "guest cart after the merge", http.StatusNotFound, "cart-not-found")

	// Checkout sells the merged cart.
	var o orderView
	a.Do("POST", "/v1/cart/checkout", user(token).WithRequestID("req-cart-checkout1"), nil).Expect(t, "checkout", http.StatusCreated, &o)
	if o.OrderID == "" || o.TotalCents != 3*1299+3*450 || len(o.Lines) != 2 {
		t.Errorf("order = %+v", o)
	}
	e = testapp.Next(t, sold, "cart.checked_out")
	var out cart.CheckedOut
	if err := e.Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.UserID != "alice" || out.OrderID != o.OrderID || out.TotalCents != o.TotalCents || e.CorrelationID != "req-cart-checkout1" {
		t.Errorf("cart.checked_out = %+v (correlation %q)", out, e.CorrelationID)
	}
	if s := a.stock("mug"); s.OnHand != 7 || s.Reserved != 0 || s.Sold != 3 {
		t.Errorf("mug stock after checkout = %+v", s)
	}
	a.Do("GET", "/v1/cart", user(token), nil).Expect(t, "cart after checkout", http.StatusOK, &c)
	if len(c.Lines) != 0 {
		t.Errorf("cart after checkout = %+v", c)
	}
	a.Do("POST", "/v1/cart/checkout", user(token), nil).ExpectProblem(t, "second checkout", http.StatusConflict, "cart-empty")
}

// TestCartEndpoints walks the rest of the surface once: set, remove, extend, clear, merge on demand,
// insufficient stock, inventory adjustments.
func TestCartEndpoints(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	a.setStock("pen", 3, 200)
	g := a.newGuest()
	tok := guestOf(g.Token)
	a.Do("POST", "/v1/guest-cart/items", tok, map[string]any{"sku": "pen", "quantity": 4}).
		ExpectProblem(t, "more than in stock", http.StatusConflict, "insufficient-stock")
	a.Do("POST", "/v1/guest-cart/items", tok, map[string]any{"sku": "pen", "quantity": 2}).Expect(t, "add", http.StatusOK, nil)
	a.Do("PUT", "/v1/guest-cart/items/pen", tok, map[string]any{"quantity": 3}).Expect(t, "set", http.StatusOK, nil)
	a.Do("PUT", "/v1/guest-cart/items/ink", tok, map[string]any{"quantity": 1}).
		ExpectProblem(t, "set an unknown SKU", http.StatusNotFound, "sku-not-found")
	if s := a.stock("pen"); s.Reserved != 3 || s.Available != 0 {
		t.Errorf("pen stock = %+v", s)
	}
	var ext struct {
		Reservations []struct {
			SKU      string `json:"sku"`
			Reserved int64  `json:"reserved"`
		} `json:"reservations"`
	}
	a.Do("POST", "/v1/guest-cart/reservations/extend", tok, nil).Expect(t, "extend", http.StatusOK, &ext)
	if len(ext.Reservations) != 1 || ext.Reservations[0].Reserved != 3 {
		t.Errorf("extend = %+v", ext)
	}
	a.Do("PUT", "/v1/guest-cart/items/pen", tok, map[string]any{"quantity": 0}).Expect(t, "set to 0", http.StatusNoContent, nil)
	a.Do("DELETE", "/v1/guest-cart/items/pen", tok, nil).ExpectProblem(t, "remove a removed line", http.StatusNotFound, "cart-line-not-found")
	if s := a.stock("pen"); s.Reserved != 0 {
		t.Errorf("pen stock after removal = %+v", s)
	}
	a.Do("POST", "/v1/guest-cart/items", tok, map[string]any{"sku": "pen", "quantity": 1}).Expect(t, "add again", http.StatusOK, nil)
	a.Do("DELETE", "/v1/guest-cart", tok, nil).Expect(t, "clear", http.StatusNoContent, nil)
	if s := a.stock("pen"); s.Reserved != 0 {
		t.Errorf("pen stock after clear = %+v", s)
	}

	// Merge on demand, twice: the second finds nothing.
	a.Do("POST", "/v1/guest-cart/items", tok, map[string]any{"sku": "pen", "quantity": 2}).Expect(t, "add", http.StatusOK, nil)
	bob := a.signIn("bob", map[string]any{}, "")
	a.Do("POST", "/v1/cart/merge", user(bob), map[string]any{"guest_token": g.Token}).Expect(t, "merge", http.StatusOK, nil)
	a.Do("POST", "/v1/cart/merge", user(bob), map[string]any{"guest_token": g.Token}).
		ExpectProblem(t, "merge again", http.StatusNotFound, "cart-not-found")
	var c cartView
	a.Do("GET", "/v1/cart", user(bob), nil).Expect(t, "bob's cart", http.StatusOK, &c)
	if q := quantities(c); q["pen"] != 2 || c.Lines[0].Reserved != 2 {
		t.Errorf("bob's cart = %+v", c)
	}

	// Inventory administration.
	var s stockView
	a.Do("POST", "/v1/inventory/pen/adjust", admin(), map[string]int64{"delta": 5}).Expect(t, "restock", http.StatusOK, &s)
	if s.OnHand != 8 || s.Reserved != 2 || s.Available != 6 {
		t.Errorf("after restock = %+v", s)
	}
	a.Do("POST", "/v1/inventory/pen/adjust", admin(), map[string]int64{"delta": -7}).
		ExpectProblem(t, "below reserved", http.StatusConflict, "stock-conflict")
	a.Do("GET", "/v1/inventory/pen", service(), nil).ExpectProblem(t, "inventory without admin", http.StatusForbidden, "forbidden")
	a.Do("GET", "/v1/inventory/pen", user(bob), nil).ExpectProblem(t, "inventory as a user", http.StatusForbidden, "forbidden")
}
