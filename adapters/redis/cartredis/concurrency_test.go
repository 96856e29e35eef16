package cartredis_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/tests/harness"
)

const goroutines = 64

// race runs fn on goroutines goroutines released at once and waits for them.
func race(fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range goroutines {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// TestReserveLastUnitsNeverOversells: 64 carts reserve one unit each of a SKU with 10 left. Exactly 10 get
// one; the others are told there is not enough, and the stock ends fully reserved, never below zero.
func TestReserveLastUnitsNeverOversells(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		e := newEnv(t, tg)
		e.stock(t, "last", 10, 999)
		var ok, short atomic.Int64
		race(func(i int) {
			_, err := e.inv.Reserve(e.ctx, cart.UserCart(fmt.Sprintf("buyer-%02d", i)), "last", 1)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, cart.ErrInsufficientStock):
				short.Add(1)
			default:
				t.Errorf("Reserve: %v", err)
			}
		})
		if ok.Load() != 10 || short.Load() != goroutines-10 {
			t.Errorf("reserved %d, refused %d; want 10 and %d", ok.Load(), short.Load(), goroutines-10)
		}
		e.wantLevel(t, "last", 10, 10, 0)
	})
}

// TestSellLastUnitsNeverOversells: 64 orders each try to buy one of the last 10 units with no reservation.
// Exactly 10 sell; stock ends at zero.
func TestSellLastUnitsNeverOversells(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		e := newEnv(t, tg)
		e.stock(t, "last", 10, 999)
		var sold atomic.Int64
		race(func(i int) {
			order := fmt.Sprintf("order-%016d", i) // 22 characters, like a drawn order id
			short, err := e.inv.Commit(e.ctx, cart.UserCart(fmt.Sprintf("buyer-%02d", i)), order,
				[]cart.Line{{SKU: "last", Quantity: 1}})
			if err != nil {
				t.Errorf("Commit: %v", err)
			} else if len(short) == 0 {
				sold.Add(1)
			}
		})
		if sold.Load() != 10 {
			t.Errorf("sold %d, want 10", sold.Load())
		}
		e.wantLevel(t, "last", 0, 0, 10)
	})
}

// TestConcurrentAddsToOneLine: 64 adds of one unit to the same line all count.
func TestConcurrentAddsToOneLine(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		e := newEnv(t, tg)
		ref := e.guest(t)
		race(func(int) {
			if _, err := e.carts.AddLine(e.ctx, ref, "sock", 1, 500); err != nil {
				t.Errorf("AddLine: %v", err)
			}
		})
		wantQuantities(t, "cart", e.quantities(t, ref), map[string]int64{"sock": goroutines})
	})
}

// TestConcurrentMergesOfOneGuestCart: the same guest cart merged by 64 racing deliveries is merged once.
func TestConcurrentMergesOfOneGuestCart(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		e := newEnv(t, tg)
		user := cart.UserCart("erin")
		e.add(t, user, "a", 1, 100)
		g := e.guest(t)
		e.add(t, g, "a", 2, 100)
		e.add(t, g, "b", 1, 100)
		var fresh atomic.Int64
		race(func(int) {
			lines, err := e.carts.DetachGuest(e.ctx, g.ID, "erin")
			if err != nil {
				t.Errorf("DetachGuest: %v", err)
				return
			}
			out, err := e.carts.MergeLines(e.ctx, "erin", g.ID, lines, cart.MergeSum)
			if err != nil {
				t.Errorf("MergeLines: %v", err)
				return
			}
			if out.Fresh {
				fresh.Add(1)
			}
		})
		if fresh.Load() != 1 {
			t.Errorf("%d deliveries merged, want 1", fresh.Load())
		}
		wantQuantities(t, "user cart", e.quantities(t, user), map[string]int64{"a": 3, "b": 1})
	})
}
