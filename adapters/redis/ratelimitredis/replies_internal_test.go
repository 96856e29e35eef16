package ratelimitredis

import (
	"errors"
	"testing"

	"github.com/statekit/statekit/adapters/redis/reply"
)

func TestParseReplyOfTheWrongShape(t *testing.T) {
	for _, res := range []any{nil, int64(1), []any{int64(1), int64(1), int64(5), int64(0)},
		[]any{int64(1), int64(1), "5", int64(0), int64(0)}} {
		if _, err := parse(pol, res); !errors.Is(err, reply.ErrBadReply) {
			t.Errorf("parse(%v): err = %v, want reply.ErrBadReply", res, err)
		}
	}
}
