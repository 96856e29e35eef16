package lockredis_test

import (
	"testing"
	"time"

	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/tests/harness"
)

// contract is the ports.Locker contract suite, observed only through the port. The queue and multi-lock
// cases in queue_test.go belong to it too.
var contract = []struct {
	name string
	run  func(t *testing.T, e env)
}{
	{"AcquireExtendRelease", testAcquireExtendRelease},
	{"OnlyTheOwner", testOnlyTheOwner},
	{"LeaseExpires", testLeaseExpires},
	{"FencesIncrease", testFencesIncrease},
	{"SharedAndExclusive", testSharedAndExclusive},
	{"HandOverFIFO", testHandOverFIFO},
	{"WriterNotOvertaken", testWriterNotOvertaken},
	{"ReadersHandedOverTogether", testReadersHandedOverTogether},
	{"Leave", testLeave},
	{"LeaveAfterHandOver", testLeaveAfterHandOver},
	{"ExpiredHolderHandsOverOnNextCall", testExpiredHolderHandsOver},
	{"MultiAllOrNothing", testMultiAllOrNothing},
	{"FencedStore", testFencedStore},
}

// TestLockerContract runs every case on standalone Redis and on Redis Cluster, each with its own prefix.
func TestLockerContract(t *testing.T) {
	t.Parallel()
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			harness.Each(t, func(t *testing.T, tg harness.Target) { c.run(t, newEnv(t, tg)) })
		})
	}
}

func testAcquireExtendRelease(t *testing.T, e env) {
	a := token(t)
	f := e.take(t, req(a, lock.Exclusive, time.Minute, "orders.42"))
	st := e.state(t, "orders.42")
	if !st.Held || st.Mode != lock.Exclusive || st.Holders != 1 || st.Fence != f[0] || st.TTL <= 0 || st.TTL > time.Minute {
		t.Errorf("Inspect held = %+v, want exclusive, 1 holder, fence %d, ttl in (0, 1m]", st, f[0])
	}
	noErr(t, "Extend", e.store.Extend(e.ctx, []string{"orders.42"}, a, 2*time.Minute))
	if st := e.state(t, "orders.42"); st.TTL <= time.Minute {
		t.Errorf("after Extend(2m) ttl = %s, want > 1m", st.TTL)
	}
	// Taking it again with the same token succeeds with the same fence (an idempotent retry).
	if again := e.take(t, req(a, lock.Exclusive, time.Minute, "orders.42")); again[0] != f[0] {
		t.Errorf("re-acquire by the holder: fence %d, want %d", again[0], f[0])
	}
	noErr(t, "Release", e.store.Release(e.ctx, []string{"orders.42"}, a))
	st = e.state(t, "orders.42")
	if st.Held || st.Holders != 0 || st.Fence != f[0] {
		t.Errorf("Inspect after release = %+v, want free with the last fence %d", st, f[0])
	}
	wantErr(t, "Release twice", e.store.Release(e.ctx, []string{"orders.42"}, a), lock.ErrNotHeld)
	wantErr(t, "Extend after release", e.store.Extend(e.ctx, []string{"orders.42"}, a, time.Minute), lock.ErrNotHeld)
}

func testOnlyTheOwner(t *testing.T, e env) {
	a, b := token(t), token(t)
	e.take(t, req(a, lock.Exclusive, time.Minute, "x"))
	if retry := e.refused(t, req(b, lock.Exclusive, time.Minute, "x")); retry <= 0 || retry > time.Minute {
		t.Errorf("RetryIn = %s, want the holder's remaining lease", retry)
	}
	e.refused(t, req(b, lock.Shared, time.Minute, "x"))
	wantErr(t, "Release by another", e.store.Release(e.ctx, []string{"x"}, b), lock.ErrNotHeld)
	wantErr(t, "Extend by another", e.store.Extend(e.ctx, []string{"x"}, b, time.Hour), lock.ErrNotHeld)
	if st := e.state(t, "x"); !st.Held || st.TTL > time.Minute {
		t.Errorf("after another's release/extend: %+v, want still held, lease unchanged", st)
	}
	noErr(t, "Release by the owner", e.store.Release(e.ctx, []string{"x"}, a))
	e.take(t, req(b, lock.Exclusive, time.Minute, "x"))
}

func testLeaseExpires(t *testing.T, e env) {
	a, b := token(t), token(t)
	e.take(t, req(a, lock.Exclusive, 50*time.Millisecond, "short"))
	waitFor(t, "the 50ms lease to lapse", func() bool { return !e.state(t, "short").Held })
	e.take(t, req(b, lock.Exclusive, time.Minute, "short"))
	wantErr(t, "Extend by the expired owner", e.store.Extend(e.ctx, []string{"short"}, a, time.Minute), lock.ErrNotHeld)
	wantErr(t, "Release by the expired owner", e.store.Release(e.ctx, []string{"short"}, a), lock.ErrNotHeld)

	// Shared leases lapse too, each on its own.
	r1, r2 := token(t), token(t)
	e.take(t, req(r1, lock.Shared, 50*time.Millisecond, "shared-short"))
	e.take(t, req(r2, lock.Shared, time.Minute, "shared-short"))
	waitFor(t, "the short shared lease to lapse", func() bool { return e.state(t, "shared-short").Holders == 1 })
	wantErr(t, "Extend a lapsed shared lease", e.store.Extend(e.ctx, []string{"shared-short"}, r1, time.Minute), lock.ErrNotHeld)
	noErr(t, "Extend the live shared lease", e.store.Extend(e.ctx, []string{"shared-short"}, r2, time.Minute))
}

func testFencesIncrease(t *testing.T, e env) {
	var last int64
	for i := 0; i < 20; i++ {
		tok := token(t)
		mode := lock.Exclusive
		if i%3 == 0 {
			mode = lock.Shared
		}
		f := e.take(t, req(tok, mode, time.Minute, "fenced"))[0]
		if f <= last {
			t.Fatalf("acquisition %d: fence %d, want > %d", i, f, last)
		}
		last = f
		noErr(t, "Release", e.store.Release(e.ctx, []string{"fenced"}, tok))
	}
	// Fences of different names are independent but each increases.
	other := e.take(t, req(token(t), lock.Exclusive, time.Minute, "other"))[0]
	if other <= 0 {
		t.Errorf("fence of another name = %d", other)
	}
}

func testSharedAndExclusive(t *testing.T, e env) {
	r1, r2, w := token(t), token(t), token(t)
	f1 := e.take(t, req(r1, lock.Shared, time.Minute, "doc"))[0]
	f2 := e.take(t, req(r2, lock.Shared, time.Minute, "doc"))[0]
	if f2 <= f1 {
		t.Errorf("second reader's fence %d, want > %d", f2, f1)
	}
	if st := e.state(t, "doc"); st.Mode != lock.Shared || st.Holders != 2 {
		t.Errorf("two readers: %+v", st)
	}
	e.refused(t, req(w, lock.Exclusive, time.Minute, "doc"))
	noErr(t, "Release r1", e.store.Release(e.ctx, []string{"doc"}, r1))
	e.refused(t, req(w, lock.Exclusive, time.Minute, "doc"))
	noErr(t, "Release r2", e.store.Release(e.ctx, []string{"doc"}, r2))
	e.take(t, req(w, lock.Exclusive, time.Minute, "doc"))
	e.refused(t, req(r1, lock.Shared, time.Minute, "doc"))
	noErr(t, "Release w", e.store.Release(e.ctx, []string{"doc"}, w))
}

// queued registers tok for wake-ups and queues it behind the holder of name.
func (e env) queued(t *testing.T, tok string, mode lock.Mode, name string) <-chan lock.Wake {
	t.Helper()
	ch, stop, err := e.store.Notify(e.ctx, tok)
	if err != nil {
		t.Fatalf("Notify: %v", err)
	}
	t.Cleanup(stop)
	r := req(tok, mode, time.Minute, name)
	r.Queue = true
	e.refused(t, r)
	return ch
}

func testHandOverFIFO(t *testing.T, e env) {
	holder := token(t)
	last := e.take(t, req(holder, lock.Exclusive, time.Minute, "q"))[0]
	waiters := []string{token(t), token(t), token(t)}
	wakes := make([]<-chan lock.Wake, len(waiters))
	for i, w := range waiters {
		wakes[i] = e.queued(t, w, lock.Exclusive, "q")
	}
	if st := e.state(t, "q"); st.Waiters != 3 {
		t.Errorf("Waiters = %d, want 3", st.Waiters)
	}
	// A newcomer does not overtake the queue, even when it tries right after a release.
	newcomer := token(t)
	prev := holder
	for i, w := range waiters {
		noErr(t, "Release", e.store.Release(e.ctx, []string{"q"}, prev))
		got := wake(t, "hand-over", wakes[i])
		if !got.Granted || got.Name != "q" || got.Fence <= last {
			t.Fatalf("waiter %d woken with %+v, want granted q with a fence > %d", i, got, last)
		}
		for j := i + 1; j < len(waiters); j++ {
			silent(t, "a later waiter", wakes[j])
		}
		e.refused(t, req(newcomer, lock.Exclusive, time.Minute, "q"))
		// The woken waiter holds it: a repeated attempt answers with the handed-over fence.
		if f := e.take(t, req(w, lock.Exclusive, time.Minute, "q"))[0]; f != got.Fence {
			t.Errorf("waiter %d re-acquire: fence %d, want %d", i, f, got.Fence)
		}
		last, prev = got.Fence, w
	}
	noErr(t, "Release last", e.store.Release(e.ctx, []string{"q"}, prev))
	if st := e.state(t, "q"); st.Held || st.Waiters != 0 {
		t.Errorf("after the queue drained: %+v", st)
	}
	e.take(t, req(newcomer, lock.Exclusive, time.Minute, "q"))
}

func testWriterNotOvertaken(t *testing.T, e env) {
	r1, w, r2 := token(t), token(t), token(t)
	e.take(t, req(r1, lock.Shared, time.Minute, "rw"))
	ww := e.queued(t, w, lock.Exclusive, "rw")
	// A reader arriving after a queued writer waits behind it, though readers share.
	rw := e.queued(t, r2, lock.Shared, "rw")
	noErr(t, "Release r1", e.store.Release(e.ctx, []string{"rw"}, r1))
	if got := wake(t, "writer", ww); !got.Granted {
		t.Fatalf("writer woken with %+v", got)
	}
	silent(t, "reader behind the writer", rw)
	noErr(t, "Release w", e.store.Release(e.ctx, []string{"rw"}, w))
	if got := wake(t, "reader", rw); !got.Granted {
		t.Fatalf("reader woken with %+v", got)
	}
	if st := e.state(t, "rw"); st.Mode != lock.Shared || st.Holders != 1 {
		t.Errorf("after hand-over to the reader: %+v", st)
	}
}

func testReadersHandedOverTogether(t *testing.T, e env) {
	w1 := token(t)
	e.take(t, req(w1, lock.Exclusive, time.Minute, "batch"))
	ra, rb, w2, rc := token(t), token(t), token(t), token(t)
	wa := e.queued(t, ra, lock.Shared, "batch")
	wb := e.queued(t, rb, lock.Shared, "batch")
	ww := e.queued(t, w2, lock.Exclusive, "batch")
	wc := e.queued(t, rc, lock.Shared, "batch")
	noErr(t, "Release w1", e.store.Release(e.ctx, []string{"batch"}, w1))
	ga, gb := wake(t, "reader a", wa), wake(t, "reader b", wb)
	if !ga.Granted || !gb.Granted || gb.Fence <= ga.Fence {
		t.Fatalf("readers woken with %+v %+v, want both granted, in order", ga, gb)
	}
	silent(t, "writer behind the readers", ww)
	silent(t, "reader behind the writer", wc)
	if st := e.state(t, "batch"); st.Mode != lock.Shared || st.Holders != 2 || st.Waiters != 2 {
		t.Errorf("state = %+v, want 2 readers and 2 waiters", st)
	}
	noErr(t, "Release a", e.store.Release(e.ctx, []string{"batch"}, ra))
	silent(t, "writer while a reader remains", ww)
	noErr(t, "Release b", e.store.Release(e.ctx, []string{"batch"}, rb))
	if g := wake(t, "writer", ww); !g.Granted {
		t.Fatalf("writer: %+v", g)
	}
	noErr(t, "Release w2", e.store.Release(e.ctx, []string{"batch"}, w2))
	if g := wake(t, "reader c", wc); !g.Granted {
		t.Fatalf("reader c: %+v", g)
	}
}

func testLeave(t *testing.T, e env) {
	holder, w1, w2 := token(t), token(t), token(t)
	e.take(t, req(holder, lock.Exclusive, time.Minute, "l"))
	c1 := e.queued(t, w1, lock.Exclusive, "l")
	c2 := e.queued(t, w2, lock.Exclusive, "l")
	noErr(t, "Leave", e.store.Leave(e.ctx, "l", w1))
	if st := e.state(t, "l"); st.Waiters != 1 {
		t.Errorf("Waiters after Leave = %d, want 1", st.Waiters)
	}
	noErr(t, "Release", e.store.Release(e.ctx, []string{"l"}, holder))
	silent(t, "the waiter that left", c1)
	if g := wake(t, "the remaining waiter", c2); !g.Granted {
		t.Fatalf("%+v", g)
	}
}

func testLeaveAfterHandOver(t *testing.T, e env) {
	holder, w1, w2 := token(t), token(t), token(t)
	e.take(t, req(holder, lock.Exclusive, time.Minute, "lh"))
	c1 := e.queued(t, w1, lock.Exclusive, "lh")
	c2 := e.queued(t, w2, lock.Exclusive, "lh")
	noErr(t, "Release", e.store.Release(e.ctx, []string{"lh"}, holder))
	wake(t, "w1", c1)
	// w1 gave up just as the lock reached it: leaving releases it, and it passes on.
	noErr(t, "Leave after hand-over", e.store.Leave(e.ctx, "lh", w1))
	if g := wake(t, "w2", c2); !g.Granted {
		t.Fatalf("%+v", g)
	}
	wantErr(t, "w1 releasing what it left", e.store.Release(e.ctx, []string{"lh"}, w1), lock.ErrNotHeld)
}

func testExpiredHolderHandsOver(t *testing.T, e env) {
	holder, w := token(t), token(t)
	e.take(t, req(holder, lock.Exclusive, 60*time.Millisecond, "dead"))
	cw := e.queued(t, w, lock.Exclusive, "dead")
	waitFor(t, "the dead holder's lease to lapse", func() bool {
		// Nothing publishes when a lease lapses; the waiter's own next look (a queued attempt) takes it.
		r := req(w, lock.Exclusive, time.Minute, "dead")
		r.Queue = true
		a, err := e.store.Acquire(e.ctx, r)
		noErr(t, "Acquire", err)
		return a.Acquired
	})
	silent(t, "the waiter that took it itself", cw)
	wantErr(t, "the dead holder's release", e.store.Release(e.ctx, []string{"dead"}, holder), lock.ErrNotHeld)
}

func testMultiAllOrNothing(t *testing.T, e env) {
	names := []string{"acct.1", "acct.2", "acct.3", "acct.4"}
	blocker, multi := token(t), token(t)
	e.take(t, req(blocker, lock.Exclusive, time.Minute, "acct.3"))
	e.refused(t, req(multi, lock.Exclusive, time.Minute, names...))
	for _, n := range []string{"acct.1", "acct.2", "acct.4"} {
		if st := e.state(t, n); st.Held {
			t.Errorf("%s held after a failed multi-lock: nothing may be taken", n)
		}
	}
	noErr(t, "Release blocker", e.store.Release(e.ctx, []string{"acct.3"}, blocker))
	fences := e.take(t, req(multi, lock.Exclusive, time.Minute, names...))
	for i, n := range names {
		if st := e.state(t, n); !st.Held || st.Fence != fences[i] {
			t.Errorf("%s: %+v, want held with fence %d", n, st, fences[i])
		}
	}
	e.refused(t, req(blocker, lock.Exclusive, time.Minute, "acct.1", "acct.9"))
	noErr(t, "Extend all", e.store.Extend(e.ctx, names, multi, 2*time.Minute))
	wantErr(t, "Extend with an extra name", e.store.Extend(e.ctx, append(names, "acct.9"), multi, time.Minute), lock.ErrNotHeld)
	noErr(t, "Release all", e.store.Release(e.ctx, names, multi))
	for _, n := range names {
		if e.state(t, n).Held {
			t.Errorf("%s still held after the multi release", n)
		}
	}
	// A shared multi-lock shares with other readers.
	e.take(t, req(token(t), lock.Shared, time.Minute, "acct.1", "acct.2"))
	e.take(t, req(token(t), lock.Shared, time.Minute, "acct.2", "acct.3"))
}

func testFencedStore(t *testing.T, e env) {
	if _, _, found, err := e.store.Get(e.ctx, "balance"); err != nil || found {
		t.Fatalf("Get before any write: found %v, %v", found, err)
	}
	noErr(t, "Set fence 5", e.store.Set(e.ctx, "balance", "100", 5, 0))
	noErr(t, "Set fence 5 again", e.store.Set(e.ctx, "balance", "110", 5, 0))
	wantErr(t, "Set fence 4", e.store.Set(e.ctx, "balance", "999", 4, 0), lock.ErrStaleFence)
	v, f, found, err := e.store.Get(e.ctx, "balance")
	if err != nil || !found || v != "110" || f != 5 {
		t.Errorf("Get = %q, %d, %v, %v; want 110, 5", v, f, found, err)
	}
	big := int64(1_764_000_000_000_123) // a clock-floored fence in microseconds
	noErr(t, "Set a large fence", e.store.Set(e.ctx, "balance", "120", big, time.Minute))
	wantErr(t, "Set one below it", e.store.Set(e.ctx, "balance", "x", big-1, 0), lock.ErrStaleFence)
	if _, f, _, _ := e.store.Get(e.ctx, "balance"); f != big {
		t.Errorf("fence = %d, want %d exactly", f, big)
	}
}
