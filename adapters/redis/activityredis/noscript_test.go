package activityredis_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/activityredis"
	"github.com/statekit/statekit/tests/harness"
)

// TestRecordWhenOneNodeLostItsScripts: on a cluster the user's feed and the global feed live on different
// nodes. When only one node has lost its script cache (a restart, a failover, SCRIPT FLUSH), the script the
// other node ran must not be sent again: every activity is in each feed exactly once.
//
// Not parallel: it flushes scripts on the shared cluster, which the package's parallel tests must not see
// mid-test (they run only after the sequential tests finish).
func TestRecordWhenOneNodeLostItsScripts(t *testing.T) {
	tg := harness.Cluster(t)
	cc := tg.Client.(*redis.ClusterClient)
	e := newEnv(t, tg)
	e.policy.FeedMaxLen = 1000
	e.store = activityredis.New(tg.Client, tg.Prefix, e.policy, e.clock)
	ctx := e.ctx
	globalNode := masterOf(t, cc, activityredis.GlobalKey(tg.Prefix))
	user := ""
	for i := 0; user == ""; i++ { // a user whose feed is on another node than the global feed
		if u := fmt.Sprintf("user%d", i); masterOf(t, cc, activityredis.FeedKey(tg.Prefix, u)) != globalNode {
			user = u
		}
	}
	userNode := masterOf(t, cc, activityredis.FeedKey(tg.Prefix, user))

	recorded := int64(0)
	for _, lost := range []string{globalNode, userNode, globalNode} {
		e.record(t, user, "warm", "") // both scripts cached on their nodes
		recorded++
		flushScripts(t, cc, lost)
		e.record(t, user, "after.flush", "")
		recorded++
		feed, err := tg.Client.XLen(ctx, activityredis.FeedKey(tg.Prefix, user)).Result()
		if err != nil {
			t.Fatal(err)
		}
		global, err := tg.Client.XLen(ctx, activityredis.GlobalKey(tg.Prefix)).Result()
		if err != nil {
			t.Fatal(err)
		}
		if feed != recorded || global != recorded {
			t.Fatalf("after losing the scripts of %s: feed holds %d, global %d; want %d each", lost, feed, global, recorded)
		}
	}
}

func masterOf(t *testing.T, cc *redis.ClusterClient, key string) string {
	t.Helper()
	node, err := cc.MasterForKey(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return node.Options().Addr
}

func flushScripts(t *testing.T, cc *redis.ClusterClient, addr string) {
	t.Helper()
	err := cc.ForEachMaster(context.Background(), func(ctx context.Context, c *redis.Client) error {
		if c.Options().Addr != addr {
			return nil
		}
		return c.ScriptFlush(ctx).Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}
