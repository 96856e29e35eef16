package cart_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/domain/cart"
)

func TestValidateSKU(t *testing.T) {
	t.Parallel()
	good := []string{"a", "SKU-1", "mug_blue.xl", strings.Repeat("x", cart.MaxSKULen)}
	bad := []string{"", "a:b", "{a}", "a*", "a b", "a/b", "ä", strings.Repeat("x", cart.MaxSKULen+1), "a\n"}
	for _, s := range good {
		if err := cart.ValidateSKU(s); err != nil {
			t.Errorf("ValidateSKU(%q) = %v", s, err)
		}
	}
	for _, s := range bad {
		if err := cart.ValidateSKU(s); !errors.Is(err, cart.ErrInvalid) {
			t.Errorf("ValidateSKU(%q) = %v, want ErrInvalid", s, err)
		}
	}
}

func TestValidateNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		ok   bool
	}{
		{"quantity 1", cart.ValidateQuantity(1, false), true},
		{"quantity max", cart.ValidateQuantity(cart.MaxQuantity, false), true},
		{"quantity 0", cart.ValidateQuantity(0, false), false},
		{"quantity 0 where allowed", cart.ValidateQuantity(0, true), true},
		{"quantity -1", cart.ValidateQuantity(-1, true), false},
		{"quantity max+1", cart.ValidateQuantity(cart.MaxQuantity+1, false), false},
		{"price 0", cart.ValidatePrice(0), true},
		{"price -1", cart.ValidatePrice(-1), false},
		{"price max+1", cart.ValidatePrice(cart.MaxPriceCents + 1), false},
		{"stock 0", cart.ValidateStock(0), true},
		{"stock -1", cart.ValidateStock(-1), false},
		{"stock max+1", cart.ValidateStock(cart.MaxStock + 1), false},
		{"adjust -5", cart.ValidateAdjustment(-5), true},
		{"adjust 0", cart.ValidateAdjustment(0), false},
		{"adjust huge", cart.ValidateAdjustment(-cart.MaxStock - 1), false},
	}
	for _, tc := range tests {
		if tc.ok != (tc.err == nil) || (tc.err != nil && !errors.Is(tc.err, cart.ErrInvalid)) {
			t.Errorf("%s: error %v, want ok=%t", tc.name, tc.err, tc.ok)
		}
	}
}

func TestRefs(t *testing.T) {
	t.Parallel()
	tok, err := cart.NewGuestToken()
	if err != nil {
		t.Fatal(err)
	}
	g := tok.Ref()
	if err := g.Validate(); err != nil || g.Kind != cart.KindGuest || g.Holder() != "g:"+tok.ID() {
		t.Errorf("guest ref %+v: %v, holder %q", g, err, g.Holder())
	}
	if u := cart.UserCart("alice@example.com"); u.Validate() != nil || u.Holder() != "u:alice@example.com" {
		t.Errorf("user ref %+v", u)
	}
	for _, r := range []cart.Ref{cart.UserCart("a:b"), cart.UserCart(""), cart.UserCart("*"), cart.GuestCart("short"),
		cart.GuestCart(tok.ID()[:42] + ":"), {Kind: "admin", ID: "x"}} {
		if err := r.Validate(); !errors.Is(err, cart.ErrInvalid) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalid", r, err)
		}
	}
}

func TestGuestTokens(t *testing.T) {
	t.Parallel()
	a, err := cart.NewGuestToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := cart.NewGuestToken()
	if a.String() == b.String() || a.ID() == b.ID() {
		t.Error("two drawn tokens are equal")
	}
	if !strings.HasPrefix(a.String(), "g.") || len(a.String()) != 45 || len(a.ID()) != 43 || a.ID() == a.String()[2:] {
		t.Errorf("token %q id %q: want g.<43 chars> and a different 43-char id", a, a.ID())
	}
	parsed, err := cart.ParseGuestToken(a.String())
	if err != nil || parsed.ID() != a.ID() {
		t.Errorf("ParseGuestToken(%q) = %v, %v", a, parsed, err)
	}
	for _, s := range []string{"", a.ID(), "x" + a.String()[1:], a.String() + "A", a.String()[:44] + "*", "g." + strings.Repeat("{", 43)} {
		if _, err := cart.ParseGuestToken(s); !errors.Is(err, cart.ErrInvalidToken) {
			t.Errorf("ParseGuestToken(%q) = %v, want ErrInvalidToken", s, err)
		}
	}
	id, err := cart.NewOrderID()
	if err != nil || cart.ValidateOrderID(id) != nil || cart.ValidateOrderID(id+"x") == nil {
		t.Errorf("order id %q: %v", id, err)
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	if err := cart.DefaultPolicy().Validate(); err != nil {
		t.Errorf("DefaultPolicy: %v", err)
	}
	for _, s := range []string{"sum", "max", "keep-user"} {
		if p, err := cart.ParseMergePolicy(s); err != nil || string(p) != s {
			t.Errorf("ParseMergePolicy(%q) = %q, %v", s, p, err)
		}
	}
	if _, err := cart.ParseMergePolicy("SUM"); !errors.Is(err, cart.ErrInvalid) {
		t.Errorf("ParseMergePolicy(SUM) = %v", err)
	}
	p := cart.DefaultPolicy()
	p.ReservationTTL, p.Merge = 0, "avg"
	err := p.Validate()
	if err == nil || !strings.Contains(err.Error(), "reservation ttl") || !strings.Contains(err.Error(), "avg") {
		t.Errorf("Validate of a bad policy = %v", err)
	}
	if p := cart.DefaultPolicy(); p.TTL(cart.KindGuest) != p.GuestTTL || p.TTL(cart.KindUser) != p.UserTTL {
		t.Error("TTL does not tell guest from user carts")
	}
}

func TestTotalsAndEvent(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 5, 6, 7, 8, 9, 0, time.FixedZone("x", 3600))
	o := cart.Order{ID: "o1", Cart: cart.UserCart("alice"), CheckedOutAt: at, Lines: []cart.Line{
		{SKU: "a", Quantity: 3, UnitPriceCents: 199}, {SKU: "b", Quantity: 1, UnitPriceCents: cart.MaxPriceCents}}}
	if got := o.TotalCents(); got != 597+cart.MaxPriceCents {
		t.Errorf("TotalCents = %d", got)
	}
	ev := o.Event()
	if ev.UserID != "alice" || ev.CartID != "" || ev.OrderID != "o1" || ev.TotalCents != 597+cart.MaxPriceCents ||
		len(ev.Lines) != 2 || ev.Lines[0].LineTotalCents != 597 || ev.CheckedOutAt.Location() != time.UTC ||
		ev.EventName() != "cart.checked_out" || ev.EventVersion() != 1 {
		t.Errorf("Event = %+v", ev)
	}
	if (cart.Merged{}).EventName() != "cart.merged" || (cart.Merged{}).EventVersion() != 1 {
		t.Error("cart.merged name or version changed")
	}
	c := cart.Cart{Lines: o.Lines}
	if c.Units() != 4 || c.TotalCents() != o.TotalCents() {
		t.Errorf("Units %d TotalCents %d", c.Units(), c.TotalCents())
	}
	s := cart.Stock{OnHand: 5, Reserved: 3}
	if s.Available() != 2 {
		t.Errorf("Available = %d", s.Available())
	}
}

// FuzzParseGuestToken: whatever is presented, a token that parses has the exact issued form, and its id is
// a valid guest cart id (so it can sit inside a key).
func FuzzParseGuestToken(f *testing.F) {
	tok, _ := cart.NewGuestToken()
	for _, s := range []string{tok.String(), "", "g.", "g." + strings.Repeat("A", 43), "g." + strings.Repeat(":", 43)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := cart.ParseGuestToken(s)
		if err != nil {
			return
		}
		if tok.String() != s || cart.ValidateGuestID(tok.ID()) != nil || strings.ContainsAny(s, ":{}*") {
			t.Errorf("ParseGuestToken(%q) accepted a token of the wrong form", s)
		}
	})
}
