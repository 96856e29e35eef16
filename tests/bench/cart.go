package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/cartredis"
	"github.com/statekit/statekit/app/cartapp"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/ports"
)

// The cart scenarios: add-item and guest-cart merge at 16 goroutines, statekit's cart service (Lua scripts,
// reservations, one slot per script) against the fewest raw go-redis commands that store the same data.
func init() { scenarios["cart"] = runCart }

const (
	cartConc     = 16
	cartAddOps   = 40_000
	cartMerges   = 8_000
	cartSKUs     = 8
	cartsPerGo   = 64
	memCarts     = 10_000
	cartPrefix   = "bench"
	benchTimeout = 5 * time.Minute
)

// countingPublisher stands in for the event bus: it counts what would be published.
type countingPublisher struct{ n atomic.Int64 }

func (p *countingPublisher) Publish(_ context.Context, events ...ports.Event) error {
	p.n.Add(int64(len(events)))
	return nil
}

func runCart() error {
	srv, err := StartRedis()
	if err != nil {
		return err
	}
	defer srv.Stop()
	c := srv.Client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()

	ours, peer, err := Alternate(srv.Flush, func() (float64, error) { return cartAddOurs(ctx, c) },
		func() (float64, error) { return cartAddPeer(ctx, c) })
	if err != nil {
		return Fail("cart.add_item", err)
	}
	mem, peerMem, err := cartMemory(ctx, srv, c)
	if err != nil {
		return Fail("cart.add_item", err)
	}
	Line("cart.add_item", cartConc, ours, "raw-redis", peer,
		fmt.Sprintf("bytes_per_cart=%d", mem), fmt.Sprintf("peer_bytes_per_cart=%d", peerMem))

	ours, peer, err = Alternate(srv.Flush, func() (float64, error) { return cartMergeOurs(ctx, c) },
		func() (float64, error) { return cartMergePeer(ctx, c) })
	if err != nil {
		return Fail("cart.merge", err)
	}
	Line("cart.merge", cartConc, ours, "raw-redis", peer)
	return nil
}

func newCartService(c redis.UniversalClient, pub ports.EventPublisher) *cartapp.Service {
	p := cart.DefaultPolicy()
	return cartapp.NewService(cartredis.New(c, cartPrefix, p, nil), cartredis.NewInventory(c, cartPrefix, p, nil), pub, p)
}

func sku(i int) string { return "sku-" + strconv.Itoa(i%cartSKUs) }

// parallel runs total ops on cartConc goroutines (op gets the goroutine and its op number) and returns
// ops per second.
func parallel(total int, op func(g, i int) error) (float64, error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	per := total / cartConc
	start := time.Now()
	for g := range cartConc {
		wg.Go(func() {
			for i := range per {
				if err := op(g, i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	return float64(per*cartConc) / elapsed.Seconds(), nil
}

// cartAddOurs: each goroutine adds one unit at a time to its own 64 user carts, round robin over the SKUs.
// An add reserves the unit (reserve.lua on the SKU's slot) and adds it to the line (change.lua on the
// cart's slot): two round trips. Verified: every unit is in a cart line and reserved.
func cartAddOurs(ctx context.Context, c redis.UniversalClient) (float64, error) {
	svc := newCartService(c, &countingPublisher{})
	for i := range cartSKUs {
		if _, err := svc.SetStock(ctx, sku(i), cart.MaxStock, 199+int64(i)); err != nil {
			return 0, err
		}
	}
	rate, err := parallel(cartAddOps, func(g, i int) error {
		_, _, err := svc.AddItem(ctx, cart.UserCart(fmt.Sprintf("u%d-%d", g, i%cartsPerGo)), sku(i/cartsPerGo), 1)
		return err
	})
	if err != nil {
		return 0, err
	}
	var units int64
	for g := range cartConc {
		for k := range cartsPerGo {
			v, err := svc.Get(ctx, cart.UserCart(fmt.Sprintf("u%d-%d", g, k)))
			if err != nil {
				return 0, err
			}
			for i, l := range v.Lines {
				units += l.Quantity
				if v.Reservations[i].Quantity != l.Quantity {
					return 0, fmt.Errorf("verify add: line %s reserves %d of %d", l.SKU, v.Reservations[i].Quantity, l.Quantity)
				}
			}
		}
	}
	var reserved int64
	for i := range cartSKUs {
		s, err := svc.Stock(ctx, sku(i))
		if err != nil {
			return 0, err
		}
		reserved += s.Reserved
	}
	if want := int64(cartAddOps / cartConc * cartConc); units != want || reserved != want {
		return 0, fmt.Errorf("verify add: %d units in carts, %d reserved; want %d", units, reserved, want)
	}
	return rate, nil
}

// cartAddPeer: the same adds with the fewest raw commands, pipelined in one round trip: HINCRBY the SKU's
// reserved count and the cart's reservation, ZADD the reservation's expiry, HINCRBY the cart line, PEXPIRE
// the cart. No stock check (it can oversell), no price snapshot, no return of expired reservations.
// Verified like ours.
func cartAddPeer(ctx context.Context, c redis.UniversalClient) (float64, error) {
	p := cart.DefaultPolicy()
	rate, err := parallel(cartAddOps, func(g, i int) error {
		holder := fmt.Sprintf("u%d-%d", g, i%cartsPerGo)
		key, stock := "peer:cart:{"+holder+"}", "peer:stock:{"+sku(i/cartsPerGo)+"}"
		_, err := c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.HIncrBy(ctx, stock, "reserved", 1)
			pipe.HIncrBy(ctx, stock, "r:"+holder, 1)
			pipe.ZAdd(ctx, stock+":exp", redis.Z{Score: float64(time.Now().Add(p.ReservationTTL).UnixMilli()), Member: holder})
			pipe.HIncrBy(ctx, key, sku(i/cartsPerGo), 1)
			pipe.PExpire(ctx, key, p.UserTTL)
			return nil
		})
		return err
	})
	if err != nil {
		return 0, err
	}
	var units int64
	for g := range cartConc {
		for k := range cartsPerGo {
			h, err := c.HGetAll(ctx, fmt.Sprintf("peer:cart:{u%d-%d}", g, k)).Result()
			if err != nil {
				return 0, err
			}
			for _, v := range h {
				n, _ := strconv.ParseInt(v, 10, 64)
				units += n
			}
		}
	}
	if want := int64(cartAddOps / cartConc * cartConc); units != want {
		return 0, fmt.Errorf("verify peer add: %d units, want %d", units, want)
	}
	return rate, nil
}

// cartMemory measures Redis bytes per cart (INFO used_memory delta over 10,000 user carts of three lines,
// without reservations) for statekit's layout and for a raw hash of sku -> quantity and price.
func cartMemory(ctx context.Context, srv *Server, c redis.UniversalClient) (int64, int64, error) {
	measure := func(fill func(i int) error) (int64, error) {
		if err := srv.Flush(); err != nil {
			return 0, err
		}
		before, err := srv.UsedMemory()
		if err != nil {
			return 0, err
		}
		for i := range memCarts {
			if err := fill(i); err != nil {
				return 0, err
			}
		}
		after, err := srv.UsedMemory()
		return (after - before) / memCarts, err
	}
	store := cartredis.New(c, cartPrefix, cart.DefaultPolicy(), nil)
	ours, err := measure(func(i int) error {
		ref := cart.UserCart(fmt.Sprintf("user-%06d@example.com", i))
		for l := range 3 {
			if _, err := store.AddLine(ctx, ref, fmt.Sprintf("SKU-%05d", (i+l*7)%1000), int64(1+l), 1999); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	peer, err := measure(func(i int) error {
		key := fmt.Sprintf("peer:cart:{user-%06d@example.com}", i)
		args := []any{}
		for l := range 3 {
			args = append(args, fmt.Sprintf("SKU-%05d", (i+l*7)%1000), fmt.Sprintf("%d,1999", 1+l))
		}
		if err := c.HSet(ctx, key, args...).Err(); err != nil {
			return err
		}
		return c.PExpire(ctx, key, cart.DefaultPolicy().UserTTL).Err()
	})
	return ours, peer, err
}

// mergeSetup fills cartMerges guest carts of three lines, and a two-line cart for each user to merge into
// (in parallel, untimed). fill adds units to a cart: merge number, user (true for the user's cart), sku,
// quantity.
func mergeSetup(fill func(i int, user bool, sku string, q int64) error) error {
	per := cartMerges / cartConc
	_, err := parallel(cartMerges, func(g, i int) error {
		n := g*per + i
		for l := range 3 {
			if err := fill(n, false, sku(n+l), int64(1+l)); err != nil {
				return err
			}
		}
		for l := range 2 {
			if err := fill(n, true, sku(n+l), 1); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// cartMergeOurs: each op is cartapp's MergeGuest with the sum policy: detach the guest cart (1 round
// trip), merge under the marker (1), move its reservations (1, pipelined), publish (counted, not sent),
// record the publication and drop the detached copy (1). Verified: every user cart holds the sums, every
// guest cart is gone, one cart.merged per merge.
func cartMergeOurs(ctx context.Context, c redis.UniversalClient) (float64, error) {
	pub := &countingPublisher{}
	svc := newCartService(c, pub)
	for i := range cartSKUs {
		if _, err := svc.SetStock(ctx, sku(i), cart.MaxStock, 250); err != nil {
			return 0, err
		}
	}
	guests := make([]string, cartMerges)
	for i := range guests {
		tok, err := cart.NewGuestToken()
		if err != nil {
			return 0, err
		}
		guests[i] = tok.ID()
	}
	per := cartMerges / cartConc
	if _, err := parallel(cartMerges, func(g, i int) error {
		_, err := cartredis.New(c, cartPrefix, cart.DefaultPolicy(), nil).CreateGuest(ctx, guests[g*per+i])
		return err
	}); err != nil {
		return 0, err
	}
	err := mergeSetup(func(i int, user bool, s string, q int64) error {
		ref := cart.GuestCart(guests[i])
		if user {
			ref = cart.UserCart("m" + strconv.Itoa(i))
		}
		_, _, err := svc.AddItem(ctx, ref, s, q)
		return err
	})
	if err != nil {
		return 0, err
	}
	rate, err := parallel(cartMerges, func(g, i int) error {
		n := g*per + i
		_, err := svc.MergeGuest(ctx, "m"+strconv.Itoa(n), guests[n], cart.MergeSum)
		return err
	})
	if err != nil {
		return 0, err
	}
	for i := range cartMerges {
		v, err := svc.Get(ctx, cart.UserCart("m"+strconv.Itoa(i)))
		if err != nil {
			return 0, err
		}
		if v.Units() != 1+2+3+2 || len(v.Lines) != 3 {
			return 0, fmt.Errorf("verify merge: user cart %d holds %d units in %d lines, want 8 in 3", i, v.Units(), len(v.Lines))
		}
		if _, err := svc.Get(ctx, cart.GuestCart(guests[i])); !errors.Is(err, cart.ErrNotFound) {
			return 0, fmt.Errorf("verify merge: guest cart %d still there (%v)", i, err)
		}
	}
	if pub.n.Load() != cartMerges {
		return 0, fmt.Errorf("verify merge: %d cart.merged, want %d", pub.n.Load(), cartMerges)
	}
	return rate, nil
}

// cartMergePeer: the same merge with the fewest raw commands. Round trip 1: HGETALL the guest cart. 2: one
// pipeline of HINCRBY per guest line into the user's cart, PEXPIRE, DEL of the guest cart, SET NX of a
// marker, and HGET of the guest's reservation of each SKU. 3: one pipeline moving each reservation
// (HDEL, HINCRBY, ZREM, ZADD). Not atomic (a concurrent guest change can be lost or merged twice, a crash
// between the round trips loses reservations). Verified like ours.
func cartMergePeer(ctx context.Context, c redis.UniversalClient) (float64, error) {
	p := cart.DefaultPolicy()
	err := mergeSetup(func(i int, user bool, s string, q int64) error {
		holder := "g" + strconv.Itoa(i)
		if user {
			holder = "m" + strconv.Itoa(i)
		}
		stock := "peer:stock:{" + s + "}"
		_, err := c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.HIncrBy(ctx, stock, "reserved", q)
			pipe.HIncrBy(ctx, stock, "r:"+holder, q)
			pipe.ZAdd(ctx, stock+":exp", redis.Z{Score: float64(time.Now().Add(p.ReservationTTL).UnixMilli()), Member: holder})
			pipe.HIncrBy(ctx, "peer:cart:{"+holder+"}", s, q)
			return nil
		})
		return err
	})
	if err != nil {
		return 0, err
	}
	per := cartMerges / cartConc
	rate, err := parallel(cartMerges, func(g, i int) error {
		n := strconv.Itoa(g*per + i)
		gh, uh := "g"+n, "m"+n
		guest, user := "peer:cart:{"+gh+"}", "peer:cart:{"+uh+"}"
		lines, err := c.HGetAll(ctx, guest).Result()
		if err != nil {
			return err
		}
		held := map[string]*redis.StringCmd{}
		_, err = c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for s, q := range lines {
				n, _ := strconv.ParseInt(q, 10, 64)
				pipe.HIncrBy(ctx, user, s, n)
				held[s] = pipe.HGet(ctx, "peer:stock:{"+s+"}", "r:"+gh)
			}
			pipe.PExpire(ctx, user, p.UserTTL)
			pipe.Del(ctx, guest)
			pipe.SetNX(ctx, "peer:merged:{"+uh+"}:"+gh, 1, p.IdempotencyWindow)
			return nil
		})
		if err != nil {
			return err
		}
		expires := float64(time.Now().Add(p.ReservationTTL).UnixMilli())
		_, err = c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for s, cmd := range held {
				q, _ := cmd.Int64()
				stock := "peer:stock:{" + s + "}"
				pipe.HDel(ctx, stock, "r:"+gh)
				pipe.HIncrBy(ctx, stock, "r:"+uh, q)
				pipe.ZRem(ctx, stock+":exp", gh)
				pipe.ZAdd(ctx, stock+":exp", redis.Z{Score: expires, Member: uh})
			}
			return nil
		})
		return err
	})
	if err != nil {
		return 0, err
	}
	for i := range cartMerges {
		h, err := c.HGetAll(ctx, "peer:cart:{m"+strconv.Itoa(i)+"}").Result()
		if err != nil {
			return 0, err
		}
		var units int64
		for _, v := range h {
			n, _ := strconv.ParseInt(v, 10, 64)
			units += n
		}
		if units != 8 || len(h) != 3 {
			return 0, fmt.Errorf("verify peer merge: user cart %d holds %d units in %d lines", i, units, len(h))
		}
	}
	return rate, nil
}
