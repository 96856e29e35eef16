package activityredis_test

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/activityredis"
	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/tests/harness"
)

// contract is the ports.ActivityStore contract suite, observed through the port and a simulated clock.
var contract = []struct {
	name string
	run  func(t *testing.T, e env)
}{
	{"RecordThenFeed", testRecordThenFeed},
	{"FeedIsCapped", testFeedIsCapped},
	{"SessionReplay", testSessionReplay},
	{"IdempotencyKey", testIdempotencyKey},
	{"FailedLoginDetector", testDetector},
	{"RangeForFunnels", testRange},
}

// TestActivityStoreContract runs every contract case on standalone Redis and on Redis Cluster, in parallel.
func TestActivityStoreContract(t *testing.T) {
	t.Parallel()
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			harness.Each(t, func(t *testing.T, tg harness.Target) { c.run(t, newEnv(t, tg)) })
		})
	}
}

func testRecordThenFeed(t *testing.T, e env) {
	empty, err := e.store.Feed(e.ctx, "alice", "", 10)
	if err != nil || len(empty.Items) != 0 || empty.Next != "" {
		t.Fatalf("Feed of a new user = %+v, %v", empty, err)
	}
	first := e.record(t, "alice", "page.view", "")
	if first.Duplicate || first.Detection != nil || !first.Activity.At.Equal(epoch) || first.Activity.Cursor == "" {
		t.Fatalf("Record = %+v", first)
	}
	var want []string
	for i, a := range []string{"search", "product.view", "cart.add"} {
		e.clock.Advance(time.Duration(i+1) * time.Second)
		e.record(t, "alice", a, "")
		e.record(t, "bob", "other."+a, "")
	}
	want = []string{"cart.add", "product.view", "search", "page.view"}

	// Newest first, in pages of 3 then 1.
	p1, err := e.store.Feed(e.ctx, "alice", "", 3)
	if err != nil || p1.Next == "" || !reflect.DeepEqual(actions(p1), want[:3]) {
		t.Fatalf("Feed page 1 = %v next %q, %v", actions(p1), p1.Next, err)
	}
	p2, err := e.store.Feed(e.ctx, "alice", p1.Next, 3)
	if err != nil || p2.Next != "" || !reflect.DeepEqual(actions(p2), want[3:]) {
		t.Fatalf("Feed page 2 = %v next %q, %v", actions(p2), p2.Next, err)
	}
	got := p2.Items[0]
	if got.ID != first.Activity.ID || got.UserID != "alice" || got.Object != "thing/page.view" ||
		!reflect.DeepEqual(got.Properties, first.Activity.Properties) || !got.At.Equal(epoch) || got.Cursor != first.Activity.Cursor {
		t.Errorf("read back %+v, stored %+v", got, first.Activity)
	}
	if p1.Items[0].At.Sub(epoch) != 6*time.Second {
		t.Errorf("newest at %s", p1.Items[0].At)
	}

	// The global feed holds both users, newest first.
	g, err := e.store.Global(e.ctx, "", 100)
	if err != nil || len(g.Items) != 7 || g.Items[0].UserID != "bob" || g.Items[6].Action != "page.view" {
		t.Errorf("Global = %v, %v", actions(g), err)
	}
	// Feeds outlive no longer than the retention.
	ttl, err := e.tg.Client.PTTL(e.ctx, activityredis.FeedKey(e.tg.Prefix, "alice")).Result()
	if err != nil || ttl <= e.policy.Retention-time.Minute || ttl > e.policy.Retention {
		t.Errorf("PTTL of the feed = %s, %v; want about %s", ttl, err, e.policy.Retention)
	}
}

func testFeedIsCapped(t *testing.T, e env) {
	for i := range 12 {
		e.clock.Advance(time.Millisecond)
		e.record(t, "carol", fmt.Sprintf("step.%d", i), "")
	}
	p, err := e.store.Feed(e.ctx, "carol", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"step.11", "step.10", "step.9", "step.8", "step.7"}; !reflect.DeepEqual(actions(p), want) {
		t.Errorf("capped feed = %v, want %v", actions(p), want)
	}
	g, _ := e.store.Global(e.ctx, "", 100)
	if len(g.Items) != 12 {
		t.Errorf("global feed has %d, want all 12", len(g.Items))
	}
}

func testSessionReplay(t *testing.T, e env) {
	for i, a := range []string{"login", "search", "view", "cart.add", "checkout", "logout"} {
		e.clock.Advance(time.Second)
		e.record(t, "dave", a, "s1")
		if i%2 == 0 {
			e.record(t, "dave", "other."+a, "s2")
		}
	}
	e.record(t, "dave", "no.session", "")
	var got []string
	after := ""
	for {
		p, err := e.store.Replay(e.ctx, "dave", "s1", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, actions(p)...)
		for _, a := range p.Items {
			if a.SessionID != "s1" {
				t.Errorf("replay of s1 holds %+v", a)
			}
		}
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	// The replay keeps the session's last SessionMaxLen (4), oldest first.
	if want := []string{"view", "cart.add", "checkout", "logout"}; !reflect.DeepEqual(got, want) {
		t.Errorf("replay = %v, want %v", got, want)
	}
	other, _ := e.store.Replay(e.ctx, "dave", "s2", "", 10)
	if want := []string{"other.login", "other.view", "other.checkout"}; !reflect.DeepEqual(actions(other), want) {
		t.Errorf("replay of s2 = %v", actions(other))
	}
	none, err := e.store.Replay(e.ctx, "dave", "s9", "", 10)
	if err != nil || len(none.Items) != 0 {
		t.Errorf("replay of an unknown session = %+v, %v", none, err)
	}
}

func testIdempotencyKey(t *testing.T, e env) {
	in := activity.NewActivity{ID: "evt-42", UserID: "erin", Action: "cart.merged", Object: "cart/g1"}
	const tries = 16
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		fresh int
		seen  = map[string]bool{}
	)
	for range tries {
		wg.Go(func() {
			s, err := e.store.Record(e.ctx, in, true, nil)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if !s.Duplicate {
				fresh++
			}
			seen[s.Activity.Cursor] = true
		})
	}
	wg.Wait()
	if fresh != 1 || len(seen) != 1 {
		t.Errorf("%d concurrent records of one key: %d fresh, %d distinct cursors; want 1 and 1", tries, fresh, len(seen))
	}
	feed, _ := e.store.Feed(e.ctx, "erin", "", 10)
	global, _ := e.store.Global(e.ctx, "", 10)
	if len(feed.Items) != 1 || len(global.Items) != 1 || feed.Items[0].ID != "evt-42" || global.Items[0].ID != "evt-42" {
		t.Errorf("feed %v, global %v; want one activity each", actions(feed), actions(global))
	}
	// The same key for another user is another activity; without dedupe nothing is remembered.
	in.UserID = "fred"
	if s, err := e.store.Record(e.ctx, in, true, nil); err != nil || s.Duplicate {
		t.Errorf("same key, other user: %+v, %v", s, err)
	}
	if global, _ := e.store.Global(e.ctx, "", 10); len(global.Items) != 2 || global.Items[0].UserID != "fred" {
		t.Errorf("global feed after the same key for another user = %+v", global.Items)
	}
}

func testDetector(t *testing.T, e env) {
	d := e.policy.DetectorFor(activity.ActionLoginFailed)
	fail := func() activity.Stored {
		t.Helper()
		return e.record(t, "gina", activity.ActionLoginFailed, "")
	}
	start := e.clock.Now()
	for i := range 2 {
		if s := fail(); s.Detection != nil {
			t.Fatalf("failure %d fired: %+v", i+1, s.Detection)
		}
		e.clock.Advance(time.Minute)
	}
	e.record(t, "gina", "page.view", "") // other actions do not count
	third := fail()
	if third.Detection == nil {
		t.Fatal("third failure within the window did not fire")
	}
	det := *third.Detection
	if det.Detector != d.Name || det.UserID != "gina" || det.Count != 3 || !det.FirstAt.Equal(start) ||
		!det.LastAt.Equal(start.Add(2*time.Minute)) || det.Window != d.Window {
		t.Errorf("detection = %+v", det)
	}
	// It fires once per window, however many failures follow.
	e.clock.Advance(time.Minute)
	if s := fail(); s.Detection != nil {
		t.Errorf("fourth failure fired again: %+v", s.Detection)
	}
	// Another user is counted apart.
	if s := e.record(t, "hugo", activity.ActionLoginFailed, ""); s.Detection != nil {
		t.Errorf("hugo's first failure fired: %+v", s.Detection)
	}
	// A whole window later, old failures have left the window: it takes three new ones to fire again.
	e.clock.Advance(d.Window + time.Minute)
	for i := range 2 {
		if s := fail(); s.Detection != nil {
			t.Fatalf("failure %d of the next window fired: %+v", i+1, s.Detection)
		}
	}
	if s := fail(); s.Detection == nil || s.Detection.Count != 3 {
		t.Errorf("third failure of the next window: %+v", s.Detection)
	}
}

func testRange(t *testing.T, e env) {
	var cursors []string
	for i := range 10 {
		s := e.record(t, fmt.Sprintf("u%d", i%3), fmt.Sprintf("act.%d", i), "")
		cursors = append(cursors, s.Activity.Cursor)
		e.clock.Advance(time.Minute)
	}
	from, to := epoch.Add(2*time.Minute), epoch.Add(7*time.Minute) // activities 2..6
	var got, gotCursors []string
	after := ""
	for {
		p, err := e.store.Range(e.ctx, from, to, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, actions(p)...)
		for _, a := range p.Items {
			gotCursors = append(gotCursors, a.Cursor)
		}
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	if want := []string{"act.2", "act.3", "act.4", "act.5", "act.6"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Range = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(gotCursors, cursors[2:7]) {
		t.Errorf("Range cursors = %v, want %v", gotCursors, cursors[2:7])
	}
	if p, err := e.store.Range(e.ctx, epoch.Add(time.Hour), epoch.Add(2*time.Hour), "", 10); err != nil || len(p.Items) != 0 {
		t.Errorf("empty range = %+v, %v", p, err)
	}
}

// TestServerTime records without a clock: the scripts read Redis TIME and ids stay increasing.
func TestServerTime(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		e := newEnv(t, tg)
		store := activityredis.New(tg.Client, tg.Prefix, testPolicy(), nil)
		start := time.Now()
		var last string
		for i := range 3 {
			s, err := store.Record(e.ctx, activity.NewActivity{ID: fmt.Sprint(i), UserID: "ivy", Action: "tick", SessionID: "s"}, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := s.Activity.At.Sub(start); d < -time.Minute || d > time.Minute {
				t.Errorf("recorded at %s, want about now", s.Activity.At)
			}
			if s.Activity.Cursor <= last && len(s.Activity.Cursor) <= len(last) {
				t.Errorf("cursor %s after %s", s.Activity.Cursor, last)
			}
			last = s.Activity.Cursor
		}
		p, err := store.Replay(e.ctx, "ivy", "s", "", 10)
		if err != nil || len(p.Items) != 3 {
			t.Errorf("replay = %+v, %v", p, err)
		}
	})
}
