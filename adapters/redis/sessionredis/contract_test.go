package sessionredis_test

import (
	"testing"
	"time"

	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/tests/harness"
)

// contract is the ports.SessionStore contract suite: what any implementation must do, observed only through
// the port and a simulated clock. The cases in contract_manage_test.go belong to it too.
var contract = []struct {
	name string
	run  func(t *testing.T, e env)
}{
	{"CreateThenTouch", testCreateThenTouch},
	{"GetDoesNotCountActivity", testGetDoesNotCountActivity},
	{"IdleTimeout", testIdleTimeout},
	{"AbsoluteLifetime", testAbsoluteLifetime},
	{"PerUserCap", testPerUserCap},
	{"PerUserCapShrunk", testPerUserCapShrunk},
	{"ListOrderAndPrune", testListOrderAndPrune},
	{"Count", testCount},
	{"Delete", testDelete},
	{"DeleteAllKeepingOne", testDeleteAllKeepingOne},
	{"Update", testUpdate},
	{"Rotate", testRotate},
	{"RotateRejectsOtherUser", testRotateRejectsOtherUser},
}

// TestSessionStoreContract runs every contract case on standalone Redis and on Redis Cluster, each case with
// its own client, key prefix and clock, all in parallel.
func TestSessionStoreContract(t *testing.T) {
	t.Parallel()
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			harness.Each(t, func(t *testing.T, tg harness.Target) { c.run(t, newEnv(t, tg)) })
		})
	}
}

func testCreateThenTouch(t *testing.T, e env) {
	p := testPolicy
	t0 := e.clock.Now()
	tok := newToken(t, "alice")
	in := session.NewSession{UserID: "alice", IP: "198.51.100.4", Device: map[string]string{"os": "ios", "app": "1.2"}}
	sess, ended, err := e.store.Create(e.ctx, tok, in, p)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if len(ended) != 0 {
		t.Errorf("Create ended %+v, want none", ended)
	}
	if sess.ID != tok.ID() || sess.UserID != "alice" || sess.IP != "198.51.100.4" || sess.ActivityCount != 0 {
		t.Errorf("Create = %+v, want id %s, user alice, the IP and no activity", sess, tok.ID())
	}
	if len(sess.Device) != 2 || sess.Device["os"] != "ios" || sess.Device["app"] != "1.2" || len(sess.Data) != 0 {
		t.Errorf("Create device %v data %v, want the device and no data", sess.Device, sess.Data)
	}
	wantTime(t, "Create CreatedAt", sess.CreatedAt, t0)
	wantTime(t, "Create LastActivity", sess.LastActivity, t0)
	wantTime(t, "Create IdleExpiresAt", sess.IdleExpiresAt, t0.Add(p.IdleTimeout))
	wantTime(t, "Create AbsExpiresAt", sess.AbsExpiresAt, t0.Add(p.AbsoluteLifetime))

	for i := 1; i <= 3; i++ {
		now := e.clock.Advance(10 * time.Minute)
		got := e.touchOK(t, tok, p)
		if got.ActivityCount != int64(i) {
			t.Errorf("touch %d: ActivityCount = %d, want %d", i, got.ActivityCount, i)
		}
		if got.ID != tok.ID() || got.UserID != "alice" || got.IP != in.IP || got.Device["os"] != "ios" || len(got.Device) != 2 {
			t.Errorf("touch %d: = %+v, want the stored session", i, got)
		}
		wantTime(t, "Touch CreatedAt", got.CreatedAt, t0)
		wantTime(t, "Touch LastActivity", got.LastActivity, now)
		wantTime(t, "Touch IdleExpiresAt", got.IdleExpiresAt, now.Add(p.IdleTimeout))
		wantTime(t, "Touch AbsExpiresAt", got.AbsExpiresAt, t0.Add(p.AbsoluteLifetime))
	}

	_, err = e.store.Touch(e.ctx, newToken(t, "alice"), p)
	wantErr(t, "Touch(unknown token)", err, session.ErrNotFound)
	if err != nil && errorsIsExpired(err) {
		t.Errorf("Touch(unknown token) = %v, want plain ErrNotFound, not ErrExpired", err)
	}
}

func testGetDoesNotCountActivity(t *testing.T, e env) {
	p := testPolicy
	c := e.mustCreate(t, "alice", p)
	touched := e.touchOK(t, c.tok, p)
	e.clock.Advance(5 * time.Minute)
	for i := range 3 {
		got, err := e.store.Get(e.ctx, "alice", c.id())
		if err != nil {
			t.Fatalf("Get %d: %v", i, err)
		}
		if got.ActivityCount != 1 {
			t.Errorf("Get %d: ActivityCount = %d, want 1 (Get must not count)", i, got.ActivityCount)
		}
		wantTime(t, "Get LastActivity", got.LastActivity, touched.LastActivity)
		wantTime(t, "Get IdleExpiresAt", got.IdleExpiresAt, touched.IdleExpiresAt)
		if got.ID != c.id() || got.UserID != "alice" || got.IP != c.sess.IP || len(got.Device) != 3 {
			t.Errorf("Get %d = %+v, want the stored session", i, got)
		}
	}
	if got := e.touchOK(t, c.tok, p); got.ActivityCount != 2 {
		t.Errorf("Touch after Gets: ActivityCount = %d, want 2", got.ActivityCount)
	}

	_, err := e.store.Get(e.ctx, "alice", newToken(t, "alice").ID())
	wantErr(t, "Get(unknown id)", err, session.ErrNotFound)
	_, err = e.store.Get(e.ctx, otherShardUser(t, "alice"), c.id())
	wantErr(t, "Get(other user, alice's id)", err, session.ErrNotFound)
	_, err = e.store.Get(e.ctx, sameShardUser(t, "alice"), c.id())
	wantErr(t, "Get(same-shard user, alice's id)", err, session.ErrNotFound)
}

func testIdleTimeout(t *testing.T, e env) {
	p := testPolicy
	c := e.mustCreate(t, "alice", p)
	idler := e.mustCreate(t, "alice", p)

	// Activity just inside the idle timeout keeps the session alive and slides its expiry.
	for range 3 {
		e.clock.Advance(p.IdleTimeout - time.Millisecond)
		e.touchOK(t, c.tok, p)
	}
	// idler saw no activity: it was reaped on the way, by Count.
	n, ended, err := e.store.Count(e.ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
	wantEnded(t, "Count", ended, "alice", session.EndExpired, idler.id())
	_, err = e.store.Touch(e.ctx, idler.tok, p)
	wantErr(t, "Touch(idle session already pruned)", err, session.ErrNotFound)

	// Exactly the idle timeout after the last activity, the session is over.
	e.clock.Advance(p.IdleTimeout)
	got, err := e.store.Touch(e.ctx, c.tok, p)
	wantErr(t, "Touch after idle timeout", err, session.ErrExpired)
	wantErr(t, "Touch after idle timeout", err, session.ErrNotFound)
	if got.UserID != "alice" || got.ID != c.id() {
		t.Errorf("Touch after idle timeout = %+v, want ID %s and UserID alice", got, c.id())
	}
	// It is gone: no longer expired but unknown, and absent from the index.
	_, err = e.store.Touch(e.ctx, c.tok, p)
	wantErr(t, "second Touch after idle timeout", err, session.ErrNotFound)
	if errorsIsExpired(err) {
		t.Errorf("second Touch after expiry = %v, want plain ErrNotFound", err)
	}
	if got := e.listIDs(t, "alice"); len(got) != 0 {
		t.Errorf("List after idle timeout = %v, want empty", got)
	}

	// A session found dead by Create is reported as expired there.
	old := e.mustCreate(t, "alice", p)
	e.clock.Advance(p.IdleTimeout)
	fresh, ended := e.create(t, "alice", p)
	wantEnded(t, "Create", ended, "alice", session.EndExpired, old.id())
	if got := e.listIDs(t, "alice"); !equalStrings(got, []string{fresh.id()}) {
		t.Errorf("List = %v, want [%s]", got, fresh.id())
	}
}

func testAbsoluteLifetime(t *testing.T, e env) {
	p := session.Policy{IdleTimeout: 30 * time.Minute, AbsoluteLifetime: 2 * time.Hour, MaxPerUser: 3}
	c := e.mustCreate(t, "alice", p)
	// Busy all along: a touch every 20 minutes never lets the idle timeout pass.
	for e.elapsed()+20*time.Minute < p.AbsoluteLifetime {
		e.clock.Advance(20 * time.Minute)
		got := e.touchOK(t, c.tok, p)
		wantTime(t, "AbsExpiresAt while active", got.AbsExpiresAt, epoch.Add(p.AbsoluteLifetime))
	}
	if e.elapsed() != 100*time.Minute {
		t.Fatalf("test drifted: elapsed %s", e.elapsed())
	}
	e.clock.Advance(20 * time.Minute) // now exactly the absolute lifetime
	got, err := e.store.Touch(e.ctx, c.tok, p)
	wantErr(t, "Touch at absolute lifetime", err, session.ErrExpired)
	if got.UserID != "alice" || got.ID != c.id() {
		t.Errorf("Touch at absolute lifetime = %+v, want ID %s and UserID alice", got, c.id())
	}
	if n, _, err := e.store.Count(e.ctx, "alice"); err != nil || n != 0 {
		t.Errorf("Count after absolute lifetime = %d, %v; want 0", n, err)
	}

	// Get and List see the absolute limit too, not only Touch.
	c2 := e.mustCreate(t, "alice", p)
	for range 5 {
		e.clock.Advance(20 * time.Minute)
		e.touchOK(t, c2.tok, p)
	}
	e.clock.Advance(20 * time.Minute)
	list, ended, err := e.store.List(e.ctx, "alice")
	if err != nil || len(list) != 0 {
		t.Errorf("List at absolute lifetime = %v, %v; want empty", ids(list), err)
	}
	wantEnded(t, "List at absolute lifetime", ended, "alice", session.EndExpired, c2.id())
	_, err = e.store.Get(e.ctx, "alice", c2.id())
	wantErr(t, "Get after absolute lifetime", err, session.ErrNotFound)
}

func testPerUserCap(t *testing.T, e env) {
	p := testPolicy
	bob := e.mustCreate(t, "bob", p)
	// The clock does not move: creation order must hold within one millisecond.
	var all []created
	var evicted []session.Ended
	for i := range p.MaxPerUser + 2 {
		c, ended := e.create(t, "alice", p)
		if i < p.MaxPerUser && len(ended) != 0 {
			t.Errorf("Create %d (under the cap) ended %+v", i, ended)
		}
		all = append(all, c)
		evicted = append(evicted, ended...)
	}
	wantEnded(t, "Creates over the cap", evicted, "alice", session.EndEvicted, all[0].id(), all[1].id())
	for _, c := range all[:2] {
		_, err := e.store.Touch(e.ctx, c.tok, p)
		wantErr(t, "Touch(evicted)", err, session.ErrNotFound)
		if errorsIsExpired(err) {
			t.Errorf("Touch(evicted) = %v, want plain ErrNotFound", err)
		}
	}
	want := []string{all[2].id(), all[3].id(), all[4].id()}
	if got := e.listIDs(t, "alice"); !equalStrings(got, want) {
		t.Errorf("List after the cap = %v, want %v", got, want)
	}
	for _, c := range all[2:] {
		e.touchOK(t, c.tok, p)
	}
	e.touchOK(t, bob.tok, p) // another user's sessions are not counted against alice
	if got := e.listIDs(t, "bob"); !equalStrings(got, []string{bob.id()}) {
		t.Errorf("List(bob) = %v, want [%s]", got, bob.id())
	}
}

// testPerUserCapShrunk lowers the cap between creates: one Create evicts several, oldest first.
func testPerUserCapShrunk(t *testing.T, e env) {
	wide := session.Policy{IdleTimeout: time.Hour, AbsoluteLifetime: 8 * time.Hour, MaxPerUser: 5}
	var all []created
	for range 4 {
		all = append(all, e.mustCreate(t, "alice", wide))
		e.clock.Advance(time.Second)
	}
	narrow := wide
	narrow.MaxPerUser = 2
	c, ended := e.create(t, "alice", narrow)
	wantEnded(t, "Create with a smaller cap", ended, "alice", session.EndEvicted, all[0].id(), all[1].id(), all[2].id())
	if got, want := e.listIDs(t, "alice"), []string{all[3].id(), c.id()}; !equalStrings(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
}

func testListOrderAndPrune(t *testing.T, e env) {
	p := testPolicy
	var all []created
	for i := range 3 {
		if i > 0 {
			e.clock.Advance(10 * time.Minute)
		}
		all = append(all, e.mustCreate(t, "alice", p))
	}
	list, ended, err := e.store.List(e.ctx, "alice")
	if err != nil || len(ended) != 0 {
		t.Fatalf("List = %v, %v, %v", ids(list), ended, err)
	}
	if want := []string{all[0].id(), all[1].id(), all[2].id()}; !equalStrings(ids(list), want) {
		t.Fatalf("List = %v, want oldest first %v", ids(list), want)
	}
	for i, s := range list {
		if s.UserID != "alice" || s.IP != all[i].sess.IP || len(s.Device) != 3 || s.ActivityCount != 0 {
			t.Errorf("List[%d] = %+v, want the stored session", i, s)
		}
		wantTime(t, "List CreatedAt", s.CreatedAt, all[i].sess.CreatedAt)
		wantTime(t, "List IdleExpiresAt", s.IdleExpiresAt, all[i].sess.IdleExpiresAt)
	}

	// Timeline: created at +0, +10m, +20m; the oldest is touched at +20m, so it outlives the middle one.
	e.touchOK(t, all[0].tok, p) // idle until +50m; all[1] until +40m; all[2] until +50m
	e.clock.Advance(25 * time.Minute)
	list, ended, err = e.store.List(e.ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	wantEnded(t, "List at +45m", ended, "alice", session.EndExpired, all[1].id())
	// Order stays creation order, not activity order.
	if want := []string{all[0].id(), all[2].id()}; !equalStrings(ids(list), want) {
		t.Errorf("List at +45m = %v, want %v", ids(list), want)
	}
	if list[0].ActivityCount != 1 || list[1].ActivityCount != 0 {
		t.Errorf("List activity counts = %d, %d; want 1, 0", list[0].ActivityCount, list[1].ActivityCount)
	}
	// Pruned entries are reported once.
	if got := e.listIDs(t, "alice"); !equalStrings(got, []string{all[0].id(), all[2].id()}) {
		t.Errorf("second List = %v", got)
	}
	e.clock.Advance(5 * time.Minute)
	list, ended, err = e.store.List(e.ctx, "alice")
	if err != nil || len(list) != 0 {
		t.Errorf("List at +50m = %v, %v; want empty", ids(list), err)
	}
	wantEnded(t, "List at +50m", ended, "alice", session.EndExpired, all[0].id(), all[2].id())
}

func testCount(t *testing.T, e env) {
	p := testPolicy
	if n, ended, err := e.store.Count(e.ctx, "nobody"); err != nil || n != 0 || len(ended) != 0 {
		t.Errorf("Count(nobody) = %d, %v, %v; want 0", n, ended, err)
	}
	a := e.mustCreate(t, "alice", p)
	e.clock.Advance(10 * time.Minute)
	b := e.mustCreate(t, "alice", p)
	e.mustCreate(t, "bob", p)
	if n, ended, err := e.store.Count(e.ctx, "alice"); err != nil || n != 2 || len(ended) != 0 {
		t.Errorf("Count(alice) = %d, %v, %v; want 2", n, ended, err)
	}
	e.clock.Advance(p.IdleTimeout - 5*time.Minute) // a idle for 25m+10m, b for 25m
	n, ended, err := e.store.Count(e.ctx, "alice")
	if err != nil || n != 1 {
		t.Errorf("Count(alice) after a's idle timeout = %d, %v; want 1", n, err)
	}
	wantEnded(t, "Count", ended, "alice", session.EndExpired, a.id())
	if got := e.listIDs(t, "alice"); !equalStrings(got, []string{b.id()}) {
		t.Errorf("List = %v, want [%s]", got, b.id())
	}
}
