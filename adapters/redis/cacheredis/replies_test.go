package cacheredis

import (
	"errors"
	"testing"

	"github.com/statekit/statekit/adapters/redis/reply"
)

func TestAcquireReplyOfTheWrongShape(t *testing.T) {
	for _, res := range []any{nil, "x", []any{"v"}, []any{int64(1), int64(0)}, []any{nil, "1"}, []any{nil, int64(2)}} {
		if _, _, err := acquireReply(res); !errors.Is(err, reply.ErrBadReply) {
			t.Errorf("acquireReply(%v): err = %v, want reply.ErrBadReply", res, err)
		}
	}
}
