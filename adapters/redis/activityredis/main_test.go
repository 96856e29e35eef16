package activityredis_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/activityredis"
	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/tests/fakeclock"
	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

var epoch = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

// testPolicy keeps small feeds so caps are cheap to reach.
func testPolicy() activity.Policy {
	p := activity.DefaultPolicy()
	p.FeedMaxLen, p.SessionMaxLen, p.GlobalMaxLen = 5, 4, 1000
	p.Detectors = []activity.Detector{activity.FailedLogins(3, 10*time.Minute)}
	return p
}

type env struct {
	ctx    context.Context
	store  *activityredis.Store
	clock  *fakeclock.Clock
	policy activity.Policy
	tg     harness.Target
}

func newEnv(t *testing.T, tg harness.Target) env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	clock := fakeclock.New(epoch)
	p := testPolicy()
	return env{ctx: ctx, store: activityredis.New(tg.Client, tg.Prefix, p, clock), clock: clock, policy: p, tg: tg}
}

var seq atomic.Int64

// record stores an activity with a fresh id and no dedupe, failing the test on error.
func (e env) record(t *testing.T, user, action, session string) activity.Stored {
	t.Helper()
	n := seq.Add(1)
	a := activity.NewActivity{ID: fmt.Sprintf("a%d", n), UserID: user, Action: action, SessionID: session,
		Object: "thing/" + action, Properties: map[string]string{"n": fmt.Sprint(n)}}
	s, err := e.store.Record(e.ctx, a, false, e.policy.DetectorFor(action))
	if err != nil {
		t.Fatalf("Record(%s, %s): %v", user, action, err)
	}
	return s
}

func actions(p activity.Page) []string {
	out := make([]string, len(p.Items))
	for i, a := range p.Items {
		out[i] = a.Action
	}
	return out
}
