package lockredis

import (
	"errors"
	"testing"

	"github.com/statekit/statekit/adapters/redis/reply"
)

func TestRepliesOfTheWrongShape(t *testing.T) {
	for _, res := range []any{nil, []any{"x", int64(1)}, []any{"x", int64(1), int64(2), "3", int64(0)}} {
		if _, err := inspectReply("n", res); !errors.Is(err, reply.ErrBadReply) {
			t.Errorf("inspectReply(%v): err = %v, want reply.ErrBadReply", res, err)
		}
	}
	s := &Store{} // a reply of the wrong shape is refused before anyone is woken
	names, group := []string{"a"}, []int{0}
	for _, res := range []any{"1", []any{}, []any{int64(1), int64(1), "w"}, []any{int64(1), int64(2), "w", int64(5)},
		[]any{int64(1), "1", "w", int64(5)}, []any{int64(1), int64(1), "w", int64(0)}} {
		if _, err := s.handOver(names, group, res); !errors.Is(err, reply.ErrBadReply) {
			t.Errorf("handOver(%v): err = %v, want reply.ErrBadReply", res, err)
		}
	}
}
