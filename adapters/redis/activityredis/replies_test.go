package activityredis

import (
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/domain/activity"
)

func TestRecordReplyOfTheWrongShape(t *testing.T) {
	det := &activity.Detector{Name: "d", Limit: 3}
	for _, res := range []any{nil, []any{int64(1)}, []any{"1", "5-0"}, []any{int64(1), int64(5)},
		[]any{int64(1), "5-0", int64(0)}, []any{int64(1), "5-0", "1", int64(3), int64(0)}} {
		if _, err := recordReply(activity.NewActivity{}, det, res); !errors.Is(err, reply.ErrBadReply) {
			t.Errorf("recordReply(%v): err = %v, want reply.ErrBadReply", res, err)
		}
	}
	m := redis.XMessage{ID: "5-0", Values: map[string]any{"v": "1", "i": int64(3)}}
	if _, err := decode(m); !errors.Is(err, reply.ErrBadReply) {
		t.Errorf("decode(%v): err = %v, want reply.ErrBadReply", m, err)
	}
}
