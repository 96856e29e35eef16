package cartflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/cartredis"
	"github.com/statekit/statekit/app/cartapp"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/testapp"
)

// clock is a simulated ports.Clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fixture is the real cart service on real Redis with a recording publisher and a simulated clock.
type fixture struct {
	ctx   context.Context
	svc   *cartapp.Service
	pub   *testapp.Recorder
	clock *clock
}

func newFixture(t *testing.T, tg harness.Target) fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	p := cart.DefaultPolicy()
	clk := &clock{now: time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)}
	pub := &testapp.Recorder{}
	svc := cartapp.NewService(cartredis.New(tg.Client, tg.Prefix, p, clk), cartredis.NewInventory(tg.Client, tg.Prefix, p, clk), pub, p)
	return fixture{ctx: ctx, svc: svc, pub: pub, clock: clk}
}

func (f fixture) must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func (f fixture) quantities(t *testing.T, ref cart.Ref) map[string][2]int64 {
	t.Helper()
	v, err := f.svc.Get(f.ctx, ref)
	f.must(t, "Get", err)
	out := map[string][2]int64{}
	for i, l := range v.Lines {
		out[l.SKU] = [2]int64{l.Quantity, v.Reservations[i].Quantity}
	}
	return out
}

func createdEnvelope(t *testing.T, userID, guestID string) ports.Envelope {
	t.Helper()
	raw, err := json.Marshal(session.Created{SessionID: "s", UserID: userID, GuestCartID: guestID, CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return ports.Envelope{ID: "evt-1", Name: "session.created", Version: 1, Payload: raw}
}

// TestMergeOnceUnderRedelivery: the same session.created handled twice, and again after a publish that
// failed half-way, merges the guest cart once, moves its reservations once and publishes cart.merged once.
func TestMergeOnceUnderRedelivery(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		f := newFixture(t, tg)
		_, err := f.svc.SetStock(f.ctx, "mug", 10, 1299)
		f.must(t, "SetStock", err)
		_, err = f.svc.SetStock(f.ctx, "tea", 10, 450)
		f.must(t, "SetStock", err)
		alice := cart.UserCart("alice")
		_, _, err = f.svc.AddItem(f.ctx, alice, "mug", 1)
		f.must(t, "AddItem", err)

		handle := f.svc.MergeHandler().Handle
		for round, failFirst := range []bool{false, true} {
			tok, c, err := f.svc.NewGuestCart(f.ctx)
			f.must(t, "NewGuestCart", err)
			_, _, err = f.svc.AddItem(f.ctx, tok.Ref(), "mug", 2)
			f.must(t, "AddItem", err)
			_, _, err = f.svc.AddItem(f.ctx, tok.Ref(), "tea", 1)
			f.must(t, "AddItem", err)
			env := createdEnvelope(t, "alice", c.Ref.ID)
			if failFirst {
				f.pub.FailNext(1)
				if err := handle(f.ctx, env); !errors.Is(err, cartapp.ErrEventNotPublished) {
					t.Fatalf("round %d: first delivery with the bus down = %v, want ErrEventNotPublished", round, err)
				}
			}
			for range 2 {
				if err := handle(f.ctx, env); err != nil {
					t.Fatalf("round %d: Handle: %v", round, err)
				}
			}
			if n := len(f.pub.Named("cart.merged")); n != round+1 {
				t.Errorf("round %d: %d cart.merged published in all, want %d", round, n, round+1)
			}
			_, err = f.svc.Get(f.ctx, tok.Ref())
			if !errors.Is(err, cart.ErrNotFound) {
				t.Errorf("round %d: guest cart after the merge: %v, want ErrNotFound", round, err)
			}
		}
		// Two guest carts of 2 mugs and 1 tea each, merged once each into 1 mug, all reserved for alice.
		got := f.quantities(t, alice)
		if got["mug"] != [2]int64{5, 5} || got["tea"] != [2]int64{2, 2} || len(got) != 2 {
			t.Errorf("alice's cart (quantity, reserved) = %v, want mug 5/5, tea 2/2", got)
		}
		for _, sku := range []string{"mug", "tea"} {
			s, err := f.svc.Stock(f.ctx, sku)
			f.must(t, "Stock", err)
			if s.Reserved != got[sku][1] {
				t.Errorf("%s: %d reserved in stock, alice holds %d; the guest's reservations must have moved", sku, s.Reserved, got[sku][1])
			}
		}
	})
}

// TestAddAndCheckoutLastUnits: 64 guests each try to add one of the last 10 units and check out. Exactly 10
// orders are made; the others are refused at the add; stock ends at zero, never below.
func TestAddAndCheckoutLastUnits(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		f := newFixture(t, tg)
		_, err := f.svc.SetStock(f.ctx, "last", 10, 100)
		f.must(t, "SetStock", err)
		var orders, refused atomic.Int64
		race(t, func(i int) error {
			tok, _, err := f.svc.NewGuestCart(f.ctx)
			if err != nil {
				return err
			}
			if _, _, err := f.svc.AddItem(f.ctx, tok.Ref(), "last", 1); errors.Is(err, cart.ErrInsufficientStock) {
				refused.Add(1)
				return nil
			} else if err != nil {
				return err
			}
			if _, err := f.svc.Checkout(f.ctx, tok.Ref()); err != nil {
				return err
			}
			orders.Add(1)
			return nil
		})
		if orders.Load() != 10 || refused.Load() != 54 {
			t.Errorf("orders %d, refused %d; want 10 and 54", orders.Load(), refused.Load())
		}
		wantStock(t, f, "last", 0, 0, 10)
		if n := len(f.pub.Named("cart.checked_out")); n != 10 {
			t.Errorf("%d cart.checked_out published, want 10", n)
		}
	})
}

// TestCheckoutRaceAfterReservationsExpired: 64 carts whose reservations have expired race to check out the
// last 10 units. Exactly 10 sell; the other 54 are refused with their cart left as it was and unfrozen.
func TestCheckoutRaceAfterReservationsExpired(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		f := newFixture(t, tg)
		_, err := f.svc.SetStock(f.ctx, "last", 64, 100)
		f.must(t, "SetStock", err)
		_, err = f.svc.SetStock(f.ctx, "spare", 1000, 5)
		f.must(t, "SetStock", err)
		refs := make([]cart.Ref, 64)
		for i := range refs {
			refs[i] = cart.UserCart(fmt.Sprintf("buyer-%02d", i))
			_, _, err := f.svc.AddItem(f.ctx, refs[i], "spare", 1)
			f.must(t, "AddItem spare", err)
			_, _, err = f.svc.AddItem(f.ctx, refs[i], "last", 1)
			f.must(t, "AddItem last", err)
		}
		f.clock.Advance(cart.DefaultPolicy().ReservationTTL)
		_, err = f.svc.AdjustStock(f.ctx, "last", -54) // allowed: the expired reservations hold nothing
		f.must(t, "AdjustStock", err)

		var orders atomic.Int64
		race(t, func(i int) error {
			_, err := f.svc.Checkout(f.ctx, refs[i])
			if errors.Is(err, cart.ErrInsufficientStock) {
				return nil
			}
			if err == nil {
				orders.Add(1)
			}
			return err
		})
		if orders.Load() != 10 {
			t.Errorf("%d orders, want 10", orders.Load())
		}
		wantStock(t, f, "last", 0, 0, 10)
		wantStock(t, f, "spare", 990, 54, 10) // the refused carts got their spare back as a reservation
		emptied := 0
		for _, ref := range refs {
			v, err := f.svc.Get(f.ctx, ref)
			f.must(t, "Get", err)
			switch {
			case len(v.Lines) == 0:
				emptied++
			case len(v.Lines) != 2 || v.PendingOrder != "":
				t.Errorf("refused cart %s = %+v, want both lines and not frozen", ref, v.Cart)
			}
		}
		if emptied != 10 {
			t.Errorf("%d carts emptied by checkout, want 10", emptied)
		}
	})
}

func wantStock(t *testing.T, f fixture, sku string, onHand, reserved, sold int64) {
	t.Helper()
	s, err := f.svc.Stock(f.ctx, sku)
	f.must(t, "Stock", err)
	if s.OnHand != onHand || s.Reserved != reserved || s.Sold != sold || s.Available() < 0 {
		t.Errorf("%s stock = %+v, want on hand %d, reserved %d, sold %d", sku, s, onHand, reserved, sold)
	}
}

// race runs fn on 64 goroutines released at once; an error fails the test.
func race(t *testing.T, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 64 {
		wg.Go(func() {
			<-start
			if err := fn(i); err != nil {
				t.Errorf("goroutine %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
}
