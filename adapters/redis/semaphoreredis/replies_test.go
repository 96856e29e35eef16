package semaphoreredis

import (
	"errors"
	"testing"

	"github.com/statekit/statekit/adapters/redis/reply"
)

func TestHandOverReplyOfTheWrongShape(t *testing.T) {
	s := &Store{} // a reply of the wrong shape is refused before anyone is woken
	for _, res := range []any{"1", []any{int64(1)}, []any{"1", "w"}, []any{int64(1), int64(2)}, []any{int64(1), ""}} {
		if _, err := s.handOver(res); !errors.Is(err, reply.ErrBadReply) {
			t.Errorf("handOver(%v): err = %v, want reply.ErrBadReply", res, err)
		}
	}
}
