package cartredis

import (
	"errors"
	"testing"

	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/domain/cart"
)

// Every decoder answers a reply of the wrong shape with an error wrapping reply.ErrBadReply, never a panic.
func TestRepliesOfTheWrongShape(t *testing.T) {
	ref := cart.UserCart("u1")
	for _, c := range []struct {
		name   string
		decode func() error
	}{
		{"change: not an array", func() error { _, err := changeReply(ref, "s", "x"); return err }},
		{"change: ok without the line", func() error { _, err := changeReply(ref, "s", []any{int64(1), int64(2)}); return err }},
		{"change: unknown status", func() error { _, err := changeReply(ref, "s", []any{int64(42)}); return err }},
		{"lines: status as text", func() error { _, err := linesReply("remove", ref, "", []any{"1"}); return err }},
		{"lines: odd list", func() error { _, err := linesReply("remove", ref, "", []any{int64(1), "sku"}); return err }},
		{"lines: line not a string", func() error {
			_, err := linesReply("remove", ref, "", []any{int64(1), "sku", int64(3)})
			return err
		}},
		{"merge: fresh without counts", func() error { _, err := mergeReply(ref, []any{int64(1)}); return err }},
		{"merge: before without published", func() error {
			_, err := mergeReply(ref, []any{int64(2), int64(1), int64(5)})
			return err
		}},
		{"checkout: order id missing", func() error { _, err := checkoutReply(ref, []any{int64(1)}); return err }},
		{"checkout: order id an integer", func() error { _, err := checkoutReply(ref, []any{int64(1), int64(7)}); return err }},
		{"stock: ok without counts", func() error { _, err := stockReply("s", []any{int64(1)}); return err }},
		{"stock: empty", func() error { _, err := stockReply("s", []any{}); return err }},
		{"stock: unknown status", func() error { _, err := stockReply("s", []any{int64(9)}); return err }},
		{"reservation: short", func() error { _, err := reservation("s", []any{int64(-6), int64(1)}); return err }},
		{"reservation: nil", func() error { _, err := reservation("s", nil); return err }},
		{"reservation: unknown status", func() error { _, err := reservation("s", []any{int64(7)}); return err }},
	} {
		if err := c.decode(); !errors.Is(err, reply.ErrBadReply) {
			t.Errorf("%s: err = %v, want reply.ErrBadReply", c.name, err)
		}
	}
}
