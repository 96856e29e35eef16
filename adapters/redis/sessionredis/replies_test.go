package sessionredis

import (
	"errors"
	"testing"

	"github.com/statekit/statekit/adapters/redis/reply"
)

// Every decoder answers a reply of the wrong shape with an error wrapping reply.ErrBadReply, never a panic.
func TestRepliesOfTheWrongShape(t *testing.T) {
	for _, c := range []struct {
		name   string
		decode func() error
	}{
		{"create: not an array", func() error { _, _, err := createReply("u", "x"); return err }},
		{"create: short", func() error { _, _, err := createReply("u", []any{int64(1)}); return err }},
		{"create: time as text", func() error { _, _, err := createReply("u", []any{"1", []any{}, []any{}}); return err }},
		{"create: id not a string", func() error {
			_, _, err := createReply("u", []any{int64(1), []any{int64(2)}, []any{}})
			return err
		}},
		{"read: empty", func() error { _, err := readReply("s", []any{}); return err }},
		{"read: expired without user", func() error { _, err := readReply("s", []any{int64(1)}); return err }},
		{"read: odd fields", func() error { _, err := readReply("s", []any{int64(2), "uid"}); return err }},
		{"read: field not a string", func() error { _, err := readReply("s", []any{int64(2), "uid", int64(3)}); return err }},
		{"list: not an array", func() error { _, _, err := listReply("u", int64(1)); return err }},
		{"list: entry not a pair", func() error { _, _, err := listReply("u", []any{[]any{}, []any{"id"}}); return err }},
		{"list: fields not an array", func() error { _, _, err := listReply("u", []any{[]any{}, []any{"id", "x"}}); return err }},
		{"count: count as text", func() error { _, _, err := countReply("u", []any{[]any{}, "3"}); return err }},
		{"found: status as text", func() error { _, err := foundReply("update", "s", []any{"1"}); return err }},
		{"found: nil", func() error { _, err := foundReply("update", "s", nil); return err }},
	} {
		if err := c.decode(); !errors.Is(err, reply.ErrBadReply) {
			t.Errorf("%s: err = %v, want reply.ErrBadReply", c.name, err)
		}
	}
}
