package cartapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/statekit/statekit/app/cartapp"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/ports/mocks"
)

var errDown = errors.New("redis down")

type fixture struct {
	ctx   context.Context
	carts *mocks.MockCartStore
	inv   *mocks.MockInventory
	pub   *mocks.MockEventPublisher
	svc   *cartapp.Service
}

// newFixture returns a service on mocks with no expectations: any call a test did not expect fails it.
func newFixture(t *testing.T) fixture {
	ctrl := gomock.NewController(t)
	f := fixture{ctx: context.Background(), carts: mocks.NewMockCartStore(ctrl), inv: mocks.NewMockInventory(ctrl),
		pub: mocks.NewMockEventPublisher(ctrl)}
	p := cart.DefaultPolicy()
	p.Merge = cart.MergeMax // not the default, so the tests see the service hand its own policy on
	f.svc = cartapp.NewService(f.carts, f.inv, f.pub, p)
	return f
}

func guestID(t *testing.T) string {
	t.Helper()
	tok, err := cart.NewGuestToken()
	if err != nil {
		t.Fatal(err)
	}
	return tok.ID()
}

func wantErr(t *testing.T, what string, err error, want ...error) {
	t.Helper()
	for _, w := range want {
		if !errors.Is(err, w) {
			t.Errorf("%s: error %v, want %v", what, err, w)
		}
	}
}

func TestRejectsBadInputWithoutTouchingStores(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	user, guest := cart.UserCart("alice"), cart.GuestCart(guestID(t))
	calls := map[string]func() error{
		"user id with colon": func() error { _, err := f.svc.Get(f.ctx, cart.UserCart("a:b")); return err },
		"user id with brace": func() error { _, err := f.svc.Get(f.ctx, cart.UserCart("{a}")); return err },
		"guest id too short": func() error { _, err := f.svc.Get(f.ctx, cart.GuestCart("abc")); return err },
		"unknown kind":       func() error { _, err := f.svc.Get(f.ctx, cart.Ref{Kind: "x", ID: "a"}); return err },
		"sku with star": func() error {
			_, _, err := f.svc.AddItem(f.ctx, user, "sku*", 1)
			return err
		},
		"sku with colon": func() error { _, _, err := f.svc.AddItem(f.ctx, guest, "a:b", 1); return err },
		"empty sku":      func() error { _, _, err := f.svc.AddItem(f.ctx, user, "", 1); return err },
		"long sku": func() error {
			_, _, err := f.svc.AddItem(f.ctx, user, string(make([]byte, cart.MaxSKULen+1)), 1)
			return err
		},
		"zero quantity":     func() error { _, _, err := f.svc.AddItem(f.ctx, user, "a", 0); return err },
		"negative quantity": func() error { _, _, err := f.svc.AddItem(f.ctx, user, "a", -3); return err },
		"absurd quantity":   func() error { _, _, err := f.svc.AddItem(f.ctx, user, "a", 1<<40); return err },
		"negative set":      func() error { _, _, err := f.svc.SetQuantity(f.ctx, user, "a", -1); return err },
		"remove bad sku":    func() error { _, err := f.svc.RemoveItem(f.ctx, user, "{a}"); return err },
		"negative stock":    func() error { _, err := f.svc.SetStock(f.ctx, "a", -1, 100); return err },
		"absurd stock":      func() error { _, err := f.svc.SetStock(f.ctx, "a", cart.MaxStock+1, 100); return err },
		"negative price":    func() error { _, err := f.svc.SetStock(f.ctx, "a", 1, -100); return err },
		"absurd price":      func() error { _, err := f.svc.SetStock(f.ctx, "a", 1, cart.MaxPriceCents+1); return err },
		"zero adjustment":   func() error { _, err := f.svc.AdjustStock(f.ctx, "a", 0); return err },
		"stock bad sku":     func() error { _, err := f.svc.Stock(f.ctx, "a*"); return err },
		"checkout bad ref":  func() error { _, err := f.svc.Checkout(f.ctx, cart.UserCart("")); return err },
		"merge bad policy": func() error {
			_, err := f.svc.MergeGuest(f.ctx, "alice", guest.ID, "most")
			return err
		},
		"merge bad guest id": func() error {
			_, err := f.svc.MergeGuest(f.ctx, "alice", "cart-42", cart.MergeSum)
			return err
		},
	}
	for name, call := range calls {
		wantErr(t, name, call(), cart.ErrInvalid)
	}
}

func TestAddItemReservesFirst(t *testing.T) {
	t.Parallel()
	ref := cart.UserCart("alice")
	t.Run("added at the reserved price", func(t *testing.T) {
		f := newFixture(t)
		res := cart.Reservation{SKU: "mug", Quantity: 3, PriceCents: 1299}
		f.inv.EXPECT().Reserve(f.ctx, ref, "mug", int64(2)).Return(res, nil)
		line := cart.Line{SKU: "mug", Quantity: 3, UnitPriceCents: 1299}
		f.carts.EXPECT().AddLine(f.ctx, ref, "mug", int64(2), int64(1299)).Return(line, nil)
		got, gotRes, err := f.svc.AddItem(f.ctx, ref, "mug", 2)
		if err != nil || got != line || gotRes != res {
			t.Errorf("AddItem = %+v, %+v, %v", got, gotRes, err)
		}
	})
	t.Run("not enough stock leaves the cart alone", func(t *testing.T) {
		f := newFixture(t)
		f.inv.EXPECT().Reserve(f.ctx, ref, "mug", int64(2)).Return(cart.Reservation{}, cart.ErrInsufficientStock)
		_, _, err := f.svc.AddItem(f.ctx, ref, "mug", 2)
		wantErr(t, "AddItem", err, cart.ErrInsufficientStock)
	})
	t.Run("a refused line gives the units back", func(t *testing.T) {
		f := newFixture(t)
		gomock.InOrder(
			f.inv.EXPECT().Reserve(f.ctx, ref, "mug", int64(2)).Return(cart.Reservation{Quantity: 2}, nil),
			f.carts.EXPECT().AddLine(f.ctx, ref, "mug", int64(2), int64(0)).Return(cart.Line{}, cart.ErrLimit),
			f.inv.EXPECT().Reserve(gomock.Any(), ref, "mug", int64(-2)).Return(cart.Reservation{}, nil),
		)
		_, _, err := f.svc.AddItem(f.ctx, ref, "mug", 2)
		wantErr(t, "AddItem", err, cart.ErrLimit)
	})
}

func TestSetQuantity(t *testing.T) {
	t.Parallel()
	ref := cart.UserCart("alice")
	t.Run("a refused change restores the reservation", func(t *testing.T) {
		f := newFixture(t)
		gomock.InOrder(
			f.inv.EXPECT().Hold(f.ctx, ref, "mug", int64(5)).Return(cart.Reservation{Quantity: 5}, int64(1), nil),
			f.carts.EXPECT().SetQuantity(f.ctx, ref, "mug", int64(5)).Return(cart.Line{}, cart.ErrLineNotFound),
			f.inv.EXPECT().Hold(gomock.Any(), ref, "mug", int64(1)).Return(cart.Reservation{Quantity: 1}, int64(5), nil),
		)
		_, _, err := f.svc.SetQuantity(f.ctx, ref, "mug", 5)
		wantErr(t, "SetQuantity", err, cart.ErrLineNotFound)
	})
	t.Run("zero removes the line and releases", func(t *testing.T) {
		f := newFixture(t)
		gomock.InOrder(
			f.carts.EXPECT().RemoveLine(f.ctx, ref, "mug").Return(cart.Line{SKU: "mug", Quantity: 2}, nil),
			f.inv.EXPECT().Release(f.ctx, ref, []string{"mug"}).Return(nil),
		)
		if _, _, err := f.svc.SetQuantity(f.ctx, ref, "mug", 0); err != nil {
			t.Fatal(err)
		}
	})
}

func TestClearReleasesEveryLine(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ref := cart.GuestCart(guestID(t))
	f.carts.EXPECT().Clear(f.ctx, ref).Return([]cart.Line{{SKU: "a"}, {SKU: "b"}}, nil)
	f.inv.EXPECT().Release(f.ctx, ref, []string{"a", "b"}).Return(nil)
	if err := f.svc.Clear(f.ctx, ref); err != nil {
		t.Fatal(err)
	}
}

// envelope is session.created as the bus would deliver it.
func envelope(t *testing.T, ev session.Created) ports.Envelope {
	t.Helper()
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return ports.Envelope{ID: "evt-1", Name: ev.EventName(), Version: 1, Payload: raw}
}

func TestMergeHandler(t *testing.T) {
	t.Parallel()
	g := guestID(t)
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	lines := []cart.Line{{SKU: "a", Quantity: 2}}
	merged := cart.Merged{UserID: "alice", GuestCartID: g, LinesMerged: 1, Policy: "max", MergedAt: at}

	t.Run("subscribes to session.created in its own group", func(t *testing.T) {
		h := newFixture(t).svc.MergeHandler()
		if h.Event != "session.created" || h.Name != cartapp.MergeHandlerName || h.FanOut {
			t.Errorf("handler = %+v", h)
		}
	})
	t.Run("no guest cart, unknown form, bad payload", func(t *testing.T) {
		f := newFixture(t)
		h := f.svc.MergeHandler()
		for _, ev := range []session.Created{{UserID: "alice"}, {UserID: "alice", GuestCartID: "cart-42"}} {
			if err := h.Handle(f.ctx, envelope(t, ev)); err != nil {
				t.Errorf("Handle(%+v) = %v, want nil and no store call", ev, err)
			}
		}
		if err := h.Handle(f.ctx, ports.Envelope{Name: "session.created", Payload: []byte("{")}); err == nil {
			t.Error("Handle of a broken payload succeeded")
		}
	})
	t.Run("nothing to merge", func(t *testing.T) {
		f := newFixture(t)
		f.carts.EXPECT().DetachGuest(f.ctx, g, "alice").Return(nil, cart.ErrNotFound)
		if err := f.svc.MergeHandler().Handle(f.ctx, envelope(t, session.Created{UserID: "alice", GuestCartID: g})); err != nil {
			t.Errorf("Handle = %v", err)
		}
	})
	t.Run("fresh merge moves reservations, publishes, completes", func(t *testing.T) {
		f := newFixture(t)
		after := []cart.Line{{SKU: "a", Quantity: 3}}
		gomock.InOrder(
			f.carts.EXPECT().DetachGuest(f.ctx, g, "alice").Return(lines, nil),
			f.carts.EXPECT().MergeLines(f.ctx, "alice", g, lines, cart.MergeMax).
				Return(cart.MergeOutcome{Fresh: true, LinesMerged: 1, Lines: after, MergedAt: at}, nil),
			f.inv.EXPECT().Transfer(f.ctx, cart.GuestCart(g), cart.UserCart("alice"), after).Return(nil),
			f.pub.EXPECT().Publish(f.ctx, gomock.Eq([]ports.Event{merged})).Return(nil),
			f.carts.EXPECT().CompleteMerge(f.ctx, "alice", g).Return(nil),
		)
		if err := f.svc.MergeHandler().Handle(f.ctx, envelope(t, session.Created{UserID: "alice", GuestCartID: g})); err != nil {
			t.Errorf("Handle = %v", err)
		}
	})
	t.Run("redelivered after completion merges and publishes nothing", func(t *testing.T) {
		f := newFixture(t)
		gomock.InOrder(
			f.carts.EXPECT().DetachGuest(f.ctx, g, "alice").Return(lines, nil),
			f.carts.EXPECT().MergeLines(f.ctx, "alice", g, lines, cart.MergeMax).
				Return(cart.MergeOutcome{Published: true, LinesMerged: 1, MergedAt: at}, nil),
			f.carts.EXPECT().CompleteMerge(f.ctx, "alice", g).Return(nil),
		)
		if err := f.svc.MergeHandler().Handle(f.ctx, envelope(t, session.Created{UserID: "alice", GuestCartID: g})); err != nil {
			t.Errorf("Handle = %v", err)
		}
	})
	t.Run("redelivered after a lost publish publishes once more", func(t *testing.T) {
		f := newFixture(t)
		gomock.InOrder(
			f.carts.EXPECT().DetachGuest(f.ctx, g, "alice").Return(lines, nil),
			f.carts.EXPECT().MergeLines(f.ctx, "alice", g, lines, cart.MergeMax).
				Return(cart.MergeOutcome{LinesMerged: 1, MergedAt: at}, nil),
			f.pub.EXPECT().Publish(f.ctx, gomock.Eq([]ports.Event{merged})).Return(nil),
			f.carts.EXPECT().CompleteMerge(f.ctx, "alice", g).Return(nil),
		)
		if err := f.svc.MergeHandler().Handle(f.ctx, envelope(t, session.Created{UserID: "alice", GuestCartID: g})); err != nil {
			t.Errorf("Handle = %v", err)
		}
	})
	t.Run("a failed publish is retried by the bus, not recorded", func(t *testing.T) {
		f := newFixture(t)
		gomock.InOrder(
			f.carts.EXPECT().DetachGuest(f.ctx, g, "alice").Return(lines, nil),
			f.carts.EXPECT().MergeLines(f.ctx, "alice", g, lines, cart.MergeMax).
				Return(cart.MergeOutcome{Fresh: true, LinesMerged: 1, MergedAt: at}, nil),
			f.pub.EXPECT().Publish(f.ctx, gomock.Any()).Return(errDown),
		)
		err := f.svc.MergeHandler().Handle(f.ctx, envelope(t, session.Created{UserID: "alice", GuestCartID: g}))
		wantErr(t, "Handle", err, cartapp.ErrEventNotPublished, errDown)
	})
}

func TestCheckout(t *testing.T) {
	t.Parallel()
	ref := cart.GuestCart(guestID(t))
	lines := []cart.Line{{SKU: "a", Quantity: 2, UnitPriceCents: 150}, {SKU: "b", Quantity: 1, UnitPriceCents: 1000}}
	begun := cart.Cart{Ref: ref, Lines: lines, PendingOrder: "OOOOOOOOOOOOOOOOOOOOOO"}
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

	t.Run("sold, recorded, published", func(t *testing.T) {
		f := newFixture(t)
		order := cart.Order{ID: begun.PendingOrder, Cart: ref, Lines: lines}
		withTime := order
		withTime.CheckedOutAt = at
		gomock.InOrder(
			f.carts.EXPECT().BeginCheckout(f.ctx, ref, gomock.Any()).Return(begun, nil),
			f.inv.EXPECT().Commit(f.ctx, ref, begun.PendingOrder, lines).Return(nil, nil),
			f.carts.EXPECT().FinishCheckout(f.ctx, order).Return(at, true, nil),
			f.pub.EXPECT().Publish(f.ctx, gomock.Eq([]ports.Event{withTime.Event()})).Return(nil),
		)
		got, err := f.svc.Checkout(f.ctx, ref)
		if err != nil || got.ID != begun.PendingOrder || got.TotalCents() != 1300 || !got.CheckedOutAt.Equal(at) {
			t.Errorf("Checkout = %+v, %v", got, err)
		}
		ev := withTime.Event()
		if ev.CartID != ref.ID || ev.UserID != "" || ev.TotalCents != 1300 || len(ev.Lines) != 2 || ev.Lines[0].LineTotalCents != 300 {
			t.Errorf("cart.checked_out = %+v", ev)
		}
	})
	t.Run("a short SKU undoes the others and unfreezes", func(t *testing.T) {
		f := newFixture(t)
		gomock.InOrder(
			f.carts.EXPECT().BeginCheckout(f.ctx, ref, gomock.Any()).Return(begun, nil),
			f.inv.EXPECT().Commit(f.ctx, ref, begun.PendingOrder, lines).Return([]string{"b"}, nil),
			f.inv.EXPECT().Uncommit(gomock.Any(), ref, begun.PendingOrder, lines[:1]).Return(nil),
			f.carts.EXPECT().AbortCheckout(gomock.Any(), ref, begun.PendingOrder).Return(nil),
		)
		_, err := f.svc.Checkout(f.ctx, ref)
		wantErr(t, "Checkout", err, cart.ErrInsufficientStock)
	})
	t.Run("a failed sale leaves the cart frozen for a resume", func(t *testing.T) {
		f := newFixture(t)
		gomock.InOrder(
			f.carts.EXPECT().BeginCheckout(f.ctx, ref, gomock.Any()).Return(begun, nil),
			f.inv.EXPECT().Commit(f.ctx, ref, begun.PendingOrder, lines).Return(nil, errDown),
		)
		_, err := f.svc.Checkout(f.ctx, ref)
		wantErr(t, "Checkout", err, errDown)
	})
	t.Run("an order recorded before is not published again", func(t *testing.T) {
		f := newFixture(t)
		gomock.InOrder(
			f.carts.EXPECT().BeginCheckout(f.ctx, ref, gomock.Any()).Return(begun, nil),
			f.inv.EXPECT().Commit(f.ctx, ref, begun.PendingOrder, lines).Return(nil, nil),
			f.carts.EXPECT().FinishCheckout(f.ctx, gomock.Any()).Return(at, false, nil),
		)
		if _, err := f.svc.Checkout(f.ctx, ref); err != nil {
			t.Fatal(err)
		}
	})
}
