package activityredis_test

import (
	"fmt"
	"testing"

	"github.com/statekit/statekit/adapters/redis/activityredis"
	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/tests/harness"
)

// TestMemoryPerActivity logs what one activity costs in Redis memory: its entries in the user's feed, the
// session's replay and the global feed (MEMORY USAGE of every stream, all entries sampled). A figure for the
// docs, not a performance assertion: only sanity is checked.
func TestMemoryPerActivity(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	e := newEnv(t, tg)
	p := activity.DefaultPolicy()
	store := activityredis.New(tg.Client, tg.Prefix, p, nil)
	const users, each = 100, 100
	for u := range users {
		for i := range each {
			_, err := store.Record(e.ctx, activity.NewActivity{ID: fmt.Sprintf("u%d-%d", u, i), UserID: fmt.Sprintf("user-%04d@example.com", u),
				Action: "product.view", Object: fmt.Sprintf("product/sku-%d", i), SessionID: fmt.Sprintf("s-%d", u),
				Properties: map[string]string{"ref": "search", "page": "2"}}, false, nil)
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	usage := func(key string) int64 {
		n, err := tg.Client.MemoryUsage(e.ctx, key, 0).Result()
		if err != nil {
			t.Fatalf("MEMORY USAGE %s: %v", key, err)
		}
		return n
	}
	var feeds, sessions int64
	for u := range users {
		user := fmt.Sprintf("user-%04d@example.com", u)
		feeds += usage(activityredis.FeedKey(tg.Prefix, user))
		sessions += usage(activityredis.SessionKey(tg.Prefix, user, fmt.Sprintf("s-%d", u)))
	}
	global := usage(activityredis.GlobalKey(tg.Prefix))
	n := int64(users * each)
	t.Logf("bytes per activity: feed=%d session replay=%d global=%d total=%d (%d activities, %d users)",
		feeds/n, sessions/n, global/n, (feeds+sessions+global)/n, n, users)
	if feeds <= 0 || sessions <= 0 || global <= 0 {
		t.Errorf("memory: feeds %d sessions %d global %d", feeds, sessions, global)
	}
}
