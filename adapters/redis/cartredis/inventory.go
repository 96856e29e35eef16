package cartredis

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/ports"
)

// Inventory is the Redis inventory: stock and reservations per SKU.
type Inventory struct {
	rdb    redis.UniversalClient
	keys   keys
	policy cart.Policy
	clock  ports.Clock
}

var _ ports.Inventory = (*Inventory)(nil)

// NewInventory returns an inventory on rdb whose keys start with prefix; reservations last
// policy.ReservationTTL. With a nil clock the scripts read Redis server time; a clock (tests) makes them
// use its time, so reservations can be made to expire.
func NewInventory(rdb redis.UniversalClient, prefix string, policy cart.Policy, clock ports.Clock) *Inventory {
	return &Inventory{rdb: rdb, keys: newKeys(prefix), policy: policy, clock: clock}
}

// SetStock runs stock.lua in set mode: one round trip.
func (inv *Inventory) SetStock(ctx context.Context, sku string, onHand, priceCents int64) (cart.Stock, error) {
	return inv.stock(ctx, sku, "set", onHand, priceCents)
}

// AdjustStock runs stock.lua in adjust mode: one round trip.
func (inv *Inventory) AdjustStock(ctx context.Context, sku string, delta int64) (cart.Stock, error) {
	return inv.stock(ctx, sku, "adjust", delta, 0)
}

// Stock runs stock.lua in get mode (which also returns expired reservations' units): one round trip.
func (inv *Inventory) Stock(ctx context.Context, sku string) (cart.Stock, error) {
	return inv.stock(ctx, sku, "get", 0, 0)
}

func (inv *Inventory) stock(ctx context.Context, sku, mode string, n, price int64) (cart.Stock, error) {
	res, err := stockScript.Run(ctx, inv.rdb, []string{inv.keys.stock(sku), inv.keys.expiries(sku)},
		mode, n, price, nowArg(inv.clock), cart.MaxStock).Result()
	if err != nil {
		return cart.Stock{}, rdb.Wrap("stock "+mode, err)
	}
	return stockReply(sku, res)
}

// Reserve runs reserve.lua in add mode: one round trip.
func (inv *Inventory) Reserve(ctx context.Context, ref cart.Ref, sku string, delta int64) (cart.Reservation, error) {
	r, _, err := inv.reserveOne(ctx, ref, sku, "add", delta)
	return r, err
}

// Hold runs reserve.lua in set mode: one round trip.
func (inv *Inventory) Hold(ctx context.Context, ref cart.Ref, sku string, qty int64) (cart.Reservation, int64, error) {
	return inv.reserveOne(ctx, ref, sku, "set", qty)
}

func (inv *Inventory) reserveOne(ctx context.Context, ref cart.Ref, sku, mode string, n int64) (cart.Reservation, int64, error) {
	c := inv.reserveCall(ref, sku, mode, n)
	res, err := c.script.Run(ctx, inv.rdb, c.keys, c.args...).Result()
	if err != nil {
		return cart.Reservation{}, 0, rdb.Wrap("reserve", err)
	}
	r, err := reservation(sku, res)
	if err != nil {
		return cart.Reservation{}, 0, err
	}
	d := reply.New("reserve")
	before := d.Int64s(res, 6)[5]
	return r, before, d.Err()
}

// Extend pipelines reserve.lua in fit mode, one per line: one round trip.
func (inv *Inventory) Extend(ctx context.Context, ref cart.Ref, lines []cart.Line) ([]cart.Reservation, error) {
	calls := make([]call, len(lines))
	skus := make([]string, len(lines))
	for i, l := range lines {
		calls[i], skus[i] = inv.reserveCall(ref, l.SKU, "fit", l.Quantity), l.SKU
	}
	return inv.reservations(ctx, "extend reservations", skus, calls)
}

// Release pipelines reserve.lua in set mode to zero, one per SKU: one round trip.
func (inv *Inventory) Release(ctx context.Context, ref cart.Ref, skus []string) error {
	calls := make([]call, len(skus))
	for i, sku := range skus {
		calls[i] = inv.reserveCall(ref, sku, "set", 0)
	}
	_, err := runAll(ctx, inv.rdb, calls)
	return rdb.Wrap("release reservations", err)
}

// Held pipelines reserve.lua in get mode, one per SKU: one round trip.
func (inv *Inventory) Held(ctx context.Context, ref cart.Ref, skus []string) ([]cart.Reservation, error) {
	calls := make([]call, len(skus))
	for i, sku := range skus {
		calls[i] = inv.reserveCall(ref, sku, "get", 0)
	}
	return inv.reservations(ctx, "read reservations", skus, calls)
}

func (inv *Inventory) reservations(ctx context.Context, op string, skus []string, calls []call) ([]cart.Reservation, error) {
	cmds, err := runAll(ctx, inv.rdb, calls)
	if err != nil {
		return nil, rdb.Wrap(op, err)
	}
	out := make([]cart.Reservation, len(cmds))
	for i, cmd := range cmds {
		if out[i], err = reservation(skus[i], cmd.Val()); errors.Is(err, cart.ErrUnknownSKU) {
			out[i] = cart.Reservation{SKU: skus[i]} // the SKU is gone: nothing is held
		} else if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (inv *Inventory) reserveCall(ref cart.Ref, sku, mode string, n int64) call {
	return call{script: reserveScript, keys: []string{inv.keys.stock(sku), inv.keys.expiries(sku)},
		args: []any{ref.Holder(), mode, n, ms(inv.policy.ReservationTTL), nowArg(inv.clock)}}
}

// Transfer pipelines transfer.lua, one per line: one round trip.
func (inv *Inventory) Transfer(ctx context.Context, from, to cart.Ref, lines []cart.Line) error {
	calls := make([]call, len(lines))
	for i, l := range lines {
		calls[i] = call{script: transferScript, keys: []string{inv.keys.stock(l.SKU), inv.keys.expiries(l.SKU)},
			args: []any{from.Holder(), to.Holder(), l.Quantity, ms(inv.policy.ReservationTTL), nowArg(inv.clock)}}
	}
	_, err := runAll(ctx, inv.rdb, calls)
	return rdb.Wrap("transfer reservations", err)
}

// Commit pipelines commit.lua, one per line: one round trip.
func (inv *Inventory) Commit(ctx context.Context, ref cart.Ref, orderID string, lines []cart.Line) ([]string, error) {
	cmds, err := runAll(ctx, inv.rdb, inv.orderCalls(commitScript, ref, orderID, lines, inv.policy.IdempotencyWindow))
	if err != nil {
		return nil, rdb.Wrap("commit sale", err)
	}
	var short []string
	for i, cmd := range cmds {
		d := reply.New("commit sale")
		switch code := d.Int64(cmd.Val()); {
		case d.Err() != nil:
			return nil, d.Err()
		case code == replyOK, code == replyBefore:
		case code == replyUnknown, code == replyShort:
			short = append(short, lines[i].SKU)
		default:
			d.Fail("a commit status", code)
			return nil, d.Err()
		}
	}
	return short, nil
}

// Uncommit pipelines uncommit.lua, one per line: one round trip.
func (inv *Inventory) Uncommit(ctx context.Context, ref cart.Ref, orderID string, lines []cart.Line) error {
	_, err := runAll(ctx, inv.rdb, inv.orderCalls(uncommitScript, ref, orderID, lines, inv.policy.ReservationTTL))
	return rdb.Wrap("undo sale", err)
}

func (inv *Inventory) orderCalls(s *redis.Script, ref cart.Ref, orderID string, lines []cart.Line, window time.Duration) []call {
	calls := make([]call, len(lines))
	for i, l := range lines {
		calls[i] = call{script: s, keys: []string{inv.keys.stock(l.SKU), inv.keys.expiries(l.SKU), inv.keys.orders(l.SKU)},
			args: []any{ref.Holder(), l.Quantity, orderID, nowArg(inv.clock), ms(window)}}
	}
	return calls
}
