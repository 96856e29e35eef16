package cartredis

import (
	"fmt"
	"time"

	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/domain/cart"
)

// The decoders of the scripts' replies: each checks the reply's shape and returns an error wrapping
// reply.ErrBadReply when it is not the one its script returns. A cart script's reply starts with a status
// (cartReply); what follows depends on it.

// status reads the status that starts a reply, and turns a failing one into the domain error.
func status(d *reply.Decoder, ref cart.Ref, sku string, res any) (int64, error) {
	code := d.Array(res, 1)[0]
	n := d.Int64(code)
	if err := d.Err(); err != nil {
		return 0, err
	}
	return n, cartReply(n, ref, sku)
}

// changeReply reads change.lua's {status, quantity, unit price cents, added ms}.
func changeReply(ref cart.Ref, sku string, res any) (cart.Line, error) {
	d := reply.New("change cart line")
	if _, err := status(&d, ref, sku, res); err != nil {
		return cart.Line{}, err
	}
	a := d.Int64s(res, 4)
	if err := d.Err(); err != nil {
		return cart.Line{}, err
	}
	return cart.Line{SKU: sku, Quantity: a[1], UnitPriceCents: a[2], AddedAt: time.UnixMilli(a[3])}, nil
}

// linesReply reads the {status, sku, encoded line, ...} of the script named op (remove.lua, detach.lua).
func linesReply(op string, ref cart.Ref, sku string, res any) ([]cart.Line, error) {
	d := reply.New(op)
	if _, err := status(&d, ref, sku, res); err != nil {
		return nil, err
	}
	return decodeLines(&d, d.Array(res, 1)[1:])
}

// mergeReply reads merge.lua's {1, lines merged, merged ms, sku, encoded line, ...} or {2, lines merged,
// merged ms, published}.
func mergeReply(user cart.Ref, res any) (cart.MergeOutcome, error) {
	d := reply.New("merge cart")
	code, err := status(&d, user, "", res)
	if err != nil {
		return cart.MergeOutcome{}, err
	}
	a := d.Array(res, 3)
	out := cart.MergeOutcome{Fresh: code == replyOK, LinesMerged: d.Int(a[1]), MergedAt: time.UnixMilli(d.Int64(a[2]))}
	if !out.Fresh {
		out.Published = d.Bool(d.Exactly(res, 4)[3])
		return out, d.Err()
	}
	out.Lines, err = decodeLines(&d, a[3:])
	return out, err
}

// checkoutReply reads checkout_begin.lua's {status, order id, sku, encoded line, ...}.
func checkoutReply(ref cart.Ref, res any) (cart.Cart, error) {
	d := reply.New("begin checkout")
	if _, err := status(&d, ref, "", res); err != nil {
		return cart.Cart{}, err
	}
	a := d.Array(res, 2)
	order := d.String(a[1])
	lines, err := decodeLines(&d, a[2:])
	if err != nil {
		return cart.Cart{}, err
	}
	return cart.Cart{Ref: ref, Lines: lines, PendingOrder: order}, nil
}

// cartReply turns a cart script's error code into the domain error.
func cartReply(code int64, ref cart.Ref, sku string) error {
	switch code {
	case replyOK, replyBefore:
		return nil
	case replyNone:
		return fmt.Errorf("%w: %s", cart.ErrNotFound, ref)
	case replyPending:
		return fmt.Errorf("%w: %s", cart.ErrCheckoutPending, ref)
	case replyNoLine:
		return fmt.Errorf("%w: %s has no line for %s", cart.ErrLineNotFound, ref, sku)
	case replyLimit:
		return fmt.Errorf("%w: at most %d lines of at most %d units", cart.ErrLimit, cart.MaxLines, cart.MaxQuantity)
	case replyEmpty:
		return fmt.Errorf("%w: %s", cart.ErrEmpty, ref)
	}
	return fmt.Errorf("cart script: %w: status %d", reply.ErrBadReply, code)
}

// decodeLines reads a flat sku, encoded line, ... reply.
func decodeLines(d *reply.Decoder, items any) ([]cart.Line, error) {
	flat := d.Pairs(items)
	if err := d.Err(); err != nil {
		return nil, err
	}
	out := make([]cart.Line, 0, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		l, err := decodeLine(flat[i], flat[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	sortLines(out)
	return out, nil
}

// stockReply reads stock.lua's {status, on hand, reserved, sold, unit price cents}.
func stockReply(sku string, v any) (cart.Stock, error) {
	d := reply.New("stock")
	res := d.Int64s(v, 1)
	if res[0] == replyOK || res[0] == replyConflict {
		res = d.Int64s(v, 5)
	}
	if err := d.Err(); err != nil {
		return cart.Stock{}, err
	}
	switch res[0] {
	case replyOK:
	case replyUnknown:
		return cart.Stock{}, fmt.Errorf("%w: %s", cart.ErrUnknownSKU, sku)
	case replyConflict:
		return cart.Stock{}, fmt.Errorf("%w: %s has %d units reserved", cart.ErrStockConflict, sku, res[2])
	case replyTooMuch:
		return cart.Stock{}, fmt.Errorf("%w: %s would hold more than %d units", cart.ErrInvalid, sku, cart.MaxStock)
	default:
		d.Fail("a stock status", res[0])
		return cart.Stock{}, d.Err()
	}
	return cart.Stock{SKU: sku, OnHand: res[1], Reserved: res[2], Sold: res[3], PriceCents: res[4]}, nil
}

// reservation reads a reserve.lua reply.
func reservation(sku string, v any) (cart.Reservation, error) {
	d := reply.New("reserve")
	res := d.Int64s(v, 1)
	if err := d.Err(); err != nil {
		return cart.Reservation{}, err
	}
	if res[0] == replyOK || res[0] == replyShort {
		res = d.Int64s(v, 5)
	}
	if err := d.Err(); err != nil {
		return cart.Reservation{}, err
	}
	switch res[0] {
	case replyOK:
	case replyUnknown:
		return cart.Reservation{}, fmt.Errorf("%w: %s", cart.ErrUnknownSKU, sku)
	case replyShort:
		return cart.Reservation{}, fmt.Errorf("%w: %s has %d units available", cart.ErrInsufficientStock, sku, max(res[4], 0))
	default:
		d.Fail("a reserve status", res[0])
		return cart.Reservation{}, d.Err()
	}
	r := cart.Reservation{SKU: sku, Quantity: res[1], PriceCents: res[3]}
	if res[2] > 0 {
		r.ExpiresAt = time.UnixMilli(res[2])
	}
	return r, nil
}
