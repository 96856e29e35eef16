package semaphoreredis_test

import (
	"testing"
	"time"

	"github.com/statekit/statekit/domain/semaphore"
	"github.com/statekit/statekit/tests/harness"
)

// contract is the ports.Semaphore contract suite, observed only through the port.
var contract = []struct {
	name string
	run  func(t *testing.T, e env)
}{
	{"AcquireRefreshRelease", testAcquireRefreshRelease},
	{"NoPool", testNoPool},
	{"Weighted", testWeighted},
	{"FIFONoOvertaking", testFIFONoOvertaking},
	{"ExpiredPermitReclaimed", testExpiredPermitReclaimed},
	{"CapacityChange", testCapacityChange},
	{"ShrinkBelowQueuedWeight", testShrinkBelowQueuedWeight},
	{"Leave", testLeave},
	{"Delete", testDelete},
}

func TestSemaphoreContract(t *testing.T) {
	t.Parallel()
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			harness.Each(t, func(t *testing.T, tg harness.Target) { c.run(t, newEnv(t, tg)) })
		})
	}
}

func testAcquireRefreshRelease(t *testing.T, e env) {
	a, b, c := id(t), id(t), id(t)
	e.take(t, req("db", a, 1, time.Minute, 2))
	e.take(t, req("db", b, 1, time.Minute, 0))
	if retry := e.refused(t, req("db", c, 1, time.Minute, 0)); retry <= 0 || retry > time.Minute {
		t.Errorf("RetryIn = %s, want the first holder's remaining lease", retry)
	}
	wantStats(t, e.stats(t, "db"), 2, 2, 2, 0)
	// Taking it again with the same id is an idempotent retry, not a second permit.
	e.take(t, req("db", a, 1, time.Minute, 0))
	wantStats(t, e.stats(t, "db"), 2, 2, 2, 0)
	noErr(t, "Refresh", e.store.Refresh(e.ctx, "db", a, 2*time.Minute))
	wantErr(t, "Refresh of a stranger", e.store.Refresh(e.ctx, "db", c, time.Minute), semaphore.ErrNotHeld)
	noErr(t, "Release", e.store.Release(e.ctx, "db", a))
	wantErr(t, "Release twice", e.store.Release(e.ctx, "db", a), semaphore.ErrNotHeld)
	e.take(t, req("db", c, 1, time.Minute, 0))
	// A capacity given by a later request does not change the pool.
	e.refused(t, req("db", id(t), 1, time.Minute, 10))
	wantStats(t, e.stats(t, "db"), 2, 2, 2, 0)
}

func testNoPool(t *testing.T, e env) {
	_, err := e.store.Acquire(e.ctx, req("none", id(t), 1, time.Minute, 0))
	wantErr(t, "Acquire without a pool", err, semaphore.ErrNoPool)
	_, err = e.store.Stats(e.ctx, "none")
	wantErr(t, "Stats without a pool", err, semaphore.ErrNoPool)
	st, err := e.store.SetCapacity(e.ctx, "none", 3)
	noErr(t, "SetCapacity", err)
	wantStats(t, st, 3, 0, 0, 0)
	e.take(t, req("none", id(t), 1, time.Minute, 0))
}

func testWeighted(t *testing.T, e env) {
	a, b, c := id(t), id(t), id(t)
	e.take(t, req("w", a, 3, time.Minute, 5))
	e.refused(t, req("w", b, 3, time.Minute, 0))
	e.take(t, req("w", c, 2, time.Minute, 0))
	wantStats(t, e.stats(t, "w"), 5, 5, 2, 0)
	_, err := e.store.Acquire(e.ctx, req("w", id(t), 6, time.Minute, 0))
	wantErr(t, "weight over capacity", err, semaphore.ErrTooHeavy)
	noErr(t, "Release a", e.store.Release(e.ctx, "w", a))
	wantStats(t, e.stats(t, "w"), 5, 2, 1, 0)
	e.take(t, req("w", b, 3, time.Minute, 0))
}

func testFIFONoOvertaking(t *testing.T, e env) {
	a, b := id(t), id(t)
	e.take(t, req("fifo", a, 1, time.Minute, 2))
	e.take(t, req("fifo", b, 1, time.Minute, 0))
	heavy, light := id(t), id(t)
	wHeavy := e.queued(t, req("fifo", heavy, 2, time.Minute, 0))
	wLight := e.queued(t, req("fifo", light, 1, time.Minute, 0))
	wantStats(t, e.stats(t, "fifo"), 2, 2, 2, 2)
	noErr(t, "Release a", e.store.Release(e.ctx, "fifo", a))
	// One permit is free: enough for the light waiter, but it queued after the heavy one.
	silent(t, "heavy waiter with one free permit", wHeavy)
	silent(t, "light waiter behind the heavy one", wLight)
	e.refused(t, req("fifo", id(t), 1, time.Minute, 0)) // nor may a newcomer take it
	noErr(t, "Release b", e.store.Release(e.ctx, "fifo", b))
	if w := wake(t, "heavy waiter", wHeavy); !w.Granted {
		t.Fatalf("heavy waiter: %+v", w)
	}
	silent(t, "light waiter while the heavy one holds both", wLight)
	e.take(t, req("fifo", heavy, 2, time.Minute, 0)) // its repeated attempt confirms the grant
	noErr(t, "Release heavy", e.store.Release(e.ctx, "fifo", heavy))
	if w := wake(t, "light waiter", wLight); !w.Granted {
		t.Fatalf("light waiter: %+v", w)
	}
	wantStats(t, e.stats(t, "fifo"), 2, 1, 1, 0)
}

func testExpiredPermitReclaimed(t *testing.T, e env) {
	dead, waiter := id(t), id(t)
	e.take(t, req("exp", dead, 1, 60*time.Millisecond, 1))
	r := req("exp", waiter, 1, time.Minute, 0)
	r.Queue = true
	deadline := time.Now().Add(5 * time.Second)
	for {
		a, err := e.store.Acquire(e.ctx, r)
		noErr(t, "Acquire", err)
		if a.Acquired {
			break
		}
		if a.RetryIn <= 0 || a.RetryIn > time.Second {
			t.Fatalf("RetryIn = %s, want the dead holder's remaining lease", a.RetryIn)
		}
		if time.Now().After(deadline) {
			t.Fatal("expired permit not reclaimed after 5s")
		}
		time.Sleep(a.RetryIn)
	}
	wantStats(t, e.stats(t, "exp"), 1, 1, 1, 0)
	wantErr(t, "the dead holder's refresh", e.store.Refresh(e.ctx, "exp", dead, time.Minute), semaphore.ErrNotHeld)
	wantErr(t, "the dead holder's release", e.store.Release(e.ctx, "exp", dead), semaphore.ErrNotHeld)
}

func testCapacityChange(t *testing.T, e env) {
	a := id(t)
	e.take(t, req("cap", a, 1, time.Minute, 1))
	w1, w2, w3 := id(t), id(t), id(t)
	c1 := e.queued(t, req("cap", w1, 1, time.Minute, 0))
	c2 := e.queued(t, req("cap", w2, 1, time.Minute, 0))
	c3 := e.queued(t, req("cap", w3, 1, time.Minute, 0))
	st, err := e.store.SetCapacity(e.ctx, "cap", 3)
	noErr(t, "grow", err)
	wantStats(t, st, 3, 3, 3, 1)
	if !wake(t, "w1", c1).Granted || !wake(t, "w2", c2).Granted {
		t.Fatal("growing the pool did not grant the first waiters")
	}
	silent(t, "w3", c3)
	st, err = e.store.SetCapacity(e.ctx, "cap", 1)
	noErr(t, "shrink", err)
	wantStats(t, st, 1, 3, 3, 1) // nothing taken back
	noErr(t, "Release a", e.store.Release(e.ctx, "cap", a))
	noErr(t, "Release w1", e.store.Release(e.ctx, "cap", w1))
	silent(t, "w3 while use is still at the capacity", c3)
	noErr(t, "Release w2", e.store.Release(e.ctx, "cap", w2))
	if !wake(t, "w3", c3).Granted {
		t.Fatal("w3 not granted once use fell below the capacity")
	}
}

func testShrinkBelowQueuedWeight(t *testing.T, e env) {
	e.take(t, req("shrink", id(t), 1, time.Minute, 3))
	heavy := id(t)
	ch := e.queued(t, req("shrink", heavy, 3, time.Minute, 0))
	_, err := e.store.SetCapacity(e.ctx, "shrink", 2)
	noErr(t, "shrink", err)
	if w := wake(t, "heavy waiter", ch); w.Granted {
		t.Fatalf("heavy waiter granted %+v", w)
	}
	_, err = e.store.Acquire(e.ctx, req("shrink", heavy, 3, time.Minute, 0))
	wantErr(t, "heavy waiter looking again", err, semaphore.ErrTooHeavy)
	wantStats(t, e.stats(t, "shrink"), 2, 1, 1, 0)
}

func testLeave(t *testing.T, e env) {
	a, w1, w2 := id(t), id(t), id(t)
	e.take(t, req("leave", a, 1, time.Minute, 1))
	c1 := e.queued(t, req("leave", w1, 1, time.Minute, 0))
	c2 := e.queued(t, req("leave", w2, 1, time.Minute, 0))
	noErr(t, "Leave w1", e.store.Leave(e.ctx, "leave", w1))
	noErr(t, "Release a", e.store.Release(e.ctx, "leave", a))
	silent(t, "w1 after leaving", c1)
	if !wake(t, "w2", c2).Granted {
		t.Fatal("w2 not granted")
	}
	// Leaving after the grant arrived gives the permit back.
	noErr(t, "Leave w2 after its grant", e.store.Leave(e.ctx, "leave", w2))
	wantStats(t, e.stats(t, "leave"), 1, 0, 0, 0)
}

func testDelete(t *testing.T, e env) {
	e.take(t, req("gone", id(t), 1, time.Minute, 1))
	w := id(t)
	ch := e.queued(t, req("gone", w, 1, time.Minute, 0))
	noErr(t, "Delete", e.store.Delete(e.ctx, "gone"))
	if got := wake(t, "waiter of a deleted pool", ch); got.Granted {
		t.Fatalf("waiter granted %+v", got)
	}
	_, err := e.store.Acquire(e.ctx, req("gone", w, 1, time.Minute, 0))
	wantErr(t, "Acquire in a deleted pool", err, semaphore.ErrNoPool)
	wantErr(t, "Delete twice", e.store.Delete(e.ctx, "gone"), semaphore.ErrNoPool)
}
