package jobredis_test

import (
	"errors"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/jobredis"
	"github.com/statekit/statekit/domain/job"
)

func testLeaseExpiry(t *testing.T, e env) {
	sp := e.spec(t, "t", nil) // two retries
	e.enqueue(t, sp)
	a := e.lease(t, "worker-a")
	e.clock.Advance(testLease - time.Millisecond)
	if r := e.exchange(t, "worker-b", 0); len(r.Expired) != 0 {
		t.Fatalf("a lease was reclaimed before it expired: %+v", r.Expired)
	}
	e.clock.Advance(time.Millisecond)
	// Worker A died: the next exchange of anyone returns its job, the attempt counted.
	r := e.exchange(t, "worker-b", 0)
	if len(r.Expired) != 1 {
		t.Fatalf("Expired = %+v, want the dead worker's job", r.Expired)
	}
	if x := r.Expired[0]; x.ID != sp.ID || x.Type != "t" || x.Outcome != job.OutcomeExpired || x.Attempts != 1 || x.Error != "lease expired" {
		t.Errorf("expired = %+v", x)
	}
	j := e.get(t, sp.ID)
	if j.State != job.StatePending || j.LastError != "lease expired" || j.Attempts != 1 {
		t.Errorf("Get after expiry = %+v", j)
	}
	if s := e.stats(t); s.Failed != 1 || s.Active != 0 || s.Pending != 1 {
		t.Errorf("stats after expiry = %+v", s)
	}
	b := e.lease(t, "worker-b")
	if b.ID != sp.ID || b.Run != 2 || b.Attempts != 2 {
		t.Fatalf("second lease = %+v, want run 2, attempt 2", b)
	}
	wantTime(t, "ReadyAt after expiry", b.ReadyAt, e.clock.Now())
	// Worker A comes back from its pause: its outcome and its extensions are refused.
	if r := e.exchange(t, "worker-a", 0, completed(a, "")); r.Settled[0].Outcome != job.OutcomeStale {
		t.Errorf("settle of the expired run = %+v, want stale", r.Settled[0])
	}
	lost, err := e.store.Extend(e.ctx, e.q, []job.Lease{a.Lease(), b.Lease()}, testLease, testGrace)
	if err != nil || len(lost) != 1 || lost[0] != a.Lease() {
		t.Errorf("Extend(expired run, live run) lost %v, %v; want the expired run only", lost, err)
	}
	e.exchange(t, "worker-b", 0, completed(b, `"ok"`))
	if j := e.get(t, sp.ID); j.State != job.StateCompleted || string(j.Result) != `"ok"` || j.Attempts != 2 {
		t.Errorf("Get after completion = %+v", j)
	}
}

func testLeaseExpiryOnLastAttempt(t *testing.T, e env) {
	zero := 0
	sp := e.spec(t, "t", func(n *job.NewJob) { n.MaxRetries = &zero })
	e.enqueue(t, sp)
	e.lease(t, "w")
	e.clock.Advance(testLease)
	r := e.exchange(t, "w", 1)
	if len(r.Expired) != 1 || r.Expired[0].Outcome != job.OutcomeDead || len(r.Jobs) != 0 {
		t.Fatalf("exchange = %+v, want the job dead-lettered", r)
	}
	if j := e.get(t, sp.ID); j.State != job.StateDead || j.LastError != "lease expired" {
		t.Errorf("Get = %+v", j)
	}
}

func testLeaseExtension(t *testing.T, e env) {
	long := e.spec(t, "t", nil) // one-minute timeout: extensions are bound by the lease alone
	short := e.spec(t, "t", func(n *job.NewJob) { n.Timeout = 6 * time.Second })
	e.enqueue(t, long, short)
	r := e.exchange(t, "w", 2)
	if len(r.Jobs) != 2 {
		t.Fatalf("leased %d", len(r.Jobs))
	}
	t0 := e.clock.Now()
	e.clock.Advance(4 * time.Second)
	lost, err := e.store.Extend(e.ctx, e.q, []job.Lease{r.Jobs[0].Lease(), r.Jobs[1].Lease()}, testLease, testGrace)
	if err != nil || len(lost) != 0 {
		t.Fatalf("Extend: lost %v, %v", lost, err)
	}
	if j := e.get(t, long.ID); !j.LeaseExpiresAt.Equal(t0.Add(9 * time.Second)) {
		t.Errorf("extended lease = %s, want +9s", j.LeaseExpiresAt.Sub(t0))
	}
	if j := e.get(t, short.ID); !j.LeaseExpiresAt.Equal(t0.Add(7 * time.Second)) {
		t.Errorf("lease of a 6s job = %s, want capped at timeout + grace = +7s", j.LeaseExpiresAt.Sub(t0))
	}
	e.clock.Advance(4 * time.Second) // +8s: past the first lease, within the extended one
	r2 := e.exchange(t, "other", 0)
	if len(r2.Expired) != 1 || r2.Expired[0].ID != short.ID {
		t.Fatalf("Expired = %+v, want only the job past its timeout + grace", r2.Expired)
	}
	if j := e.get(t, long.ID); j.State != job.StateActive {
		t.Errorf("the extended job = %+v, want still active", j)
	}
}

func testRelease(t *testing.T, e env) {
	first, second := e.spec(t, "t", nil), e.spec(t, "t", nil)
	e.enqueue(t, first)
	l := e.lease(t, "w")
	e.enqueue(t, second)
	if err := e.store.Release(e.ctx, e.q, []job.Lease{l.Lease(), {ID: second.ID, Run: 7}}); err != nil {
		t.Fatal(err)
	}
	j := e.get(t, first.ID)
	if j.State != job.StatePending || j.Attempts != 0 {
		t.Errorf("released job = %+v, want pending with the attempt not counted", j)
	}
	e.wantCounts(t, "after release", 2, 0, 0, 0, 0, 0)
	again := e.lease(t, "w2")
	if again.ID != first.ID || again.Attempts != 1 || again.Run != 2 {
		t.Errorf("after release leased %+v, want the released job first, attempt 1, run 2", again)
	}
	if r := e.exchange(t, "w", 0, completed(l, "")); r.Settled[0].Outcome != job.OutcomeStale {
		t.Errorf("settle of the released run = %+v, want stale", r.Settled[0])
	}
}

const inbox = "inbox0123abcd"

func testWakeAndHandOff(t *testing.T, e env) {
	// With no worker registered, an enqueue leaves a wake-up token.
	sp := e.spec(t, "t", nil)
	e.enqueue(t, sp)
	w, err := e.store.Wait(e.ctx, e.q, inbox, time.Second)
	if err != nil || !w.Woken || w.Job != nil {
		t.Fatalf("Wait after enqueue = %+v, %v; want a wake-up", w, err)
	}
	// A worker that wanted more than there was registers as idle...
	r := e.exchangeIdle(t, 3)
	if len(r.Jobs) != 1 || r.Jobs[0].ID != sp.ID {
		t.Fatalf("leased %+v", r.Jobs)
	}
	// ... so the next job is leased to it at enqueue time and waits in its inbox.
	next := e.spec(t, "t", func(n *job.NewJob) { n.Priority = 2 })
	next.CorrelationID = "req-handoff"
	e.enqueue(t, next)
	e.wantCounts(t, "after the hand-off", 0, 0, 2, 0, 0, 0)
	w, err = e.store.Wait(e.ctx, e.q, inbox, time.Second)
	if err != nil || w.Job == nil {
		t.Fatalf("Wait = %+v, %v; want the handed-off job", w, err)
	}
	if h := *w.Job; h.ID != next.ID || h.Run != 1 || h.Attempts != 1 || h.Type != "t" || string(h.Payload) != `{"n":1}` ||
		h.Priority != 2 || h.Timeout != time.Minute || !h.StartedAt.Equal(e.clock.Now()) || h.CorrelationID != "req-handoff" ||
		!h.LeaseExpiresAt.Equal(e.clock.Now().Add(testLease)) {
		t.Errorf("handed-off job = %+v", h)
	}
	if j := e.get(t, next.ID); j.State != job.StateActive || j.Worker != "idle-worker" {
		t.Errorf("Get handed-off job = %+v", j)
	}
	// The registration was used up: the next job waits in the queue with a wake-up.
	third := e.spec(t, "t", nil)
	e.enqueue(t, third)
	if j := e.get(t, third.ID); j.State != job.StatePending {
		t.Errorf("a job enqueued after the registration was used = %+v, want pending", j)
	}
	// A worker that got all it wanted is no longer idle.
	r = e.exchangeIdle(t, 1)
	if len(r.Jobs) != 1 {
		t.Fatalf("leased %d", len(r.Jobs))
	}
	fourth := e.spec(t, "t", nil)
	e.enqueue(t, fourth)
	if j := e.get(t, fourth.ID); j.State != job.StatePending {
		t.Errorf("job after a full lease = %+v, want pending (worker not idle)", j)
	}
	// Unregister returns a job handed over but never taken, attempt not counted.
	e.exchangeIdle(t, 2) // takes the fourth job, stays idle
	fifth := e.spec(t, "t", nil)
	e.enqueue(t, fifth)
	n, err := e.store.Unregister(e.ctx, e.q, inbox)
	if err != nil || n != 1 {
		t.Fatalf("Unregister = %d, %v; want 1 job returned", n, err)
	}
	if j := e.get(t, fifth.ID); j.State != job.StatePending || j.Attempts != 0 {
		t.Errorf("returned job = %+v, want pending, no attempt", j)
	}
	if e.exists(t, jobredis.InboxKey(e.tg.Prefix, e.q, inbox)) {
		t.Error("inbox left behind")
	}
	sixth := e.spec(t, "t", nil)
	e.enqueue(t, sixth)
	if j := e.get(t, sixth.ID); j.State != job.StatePending {
		t.Errorf("job after Unregister = %+v, want pending", j)
	}
	if _, err := e.store.Wait(e.ctx, e.q, "bad:inbox", time.Second); err == nil {
		t.Error("Wait accepted an inbox id with a colon")
	}
}

// exchangeIdle is an exchange of worker "idle-worker" with an inbox.
func (e env) exchangeIdle(t *testing.T, want int) job.ExchangeResult {
	t.Helper()
	r, err := e.store.Exchange(e.ctx, e.q, job.Exchange{Want: want, Worker: "idle-worker", Lease: testLease,
		Grace: testGrace, Inbox: inbox, IdleTTL: 7 * time.Second, Retention: keepAll})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return r
}

func testHandOffSkips(t *testing.T, e env) {
	e.exchangeIdle(t, 1) // registered for 7s
	if err := e.store.SetPaused(e.ctx, e.q, true); err != nil {
		t.Fatal(err)
	}
	paused := e.spec(t, "t", nil)
	e.enqueue(t, paused)
	if j := e.get(t, paused.ID); j.State != job.StatePending {
		t.Errorf("job enqueued to a paused queue = %+v, want pending, not handed off", j)
	}
	if err := e.store.SetPaused(e.ctx, e.q, false); err != nil {
		t.Fatal(err)
	}
	// Resuming hands the waiting job to the idle worker.
	w, err := e.store.Wait(e.ctx, e.q, inbox, time.Second)
	if err != nil || w.Job == nil || w.Job.ID != paused.ID {
		t.Fatalf("Wait after resume = %+v, %v; want the job handed over", w, err)
	}
	e.exchangeIdle(t, 1) // registers again (nothing ready)
	e.clock.Advance(8 * time.Second)
	lapsed := e.spec(t, "t", nil)
	e.enqueue(t, lapsed)
	if j := e.get(t, lapsed.ID); j.State != job.StatePending {
		t.Errorf("job after the registration lapsed = %+v, want pending", j)
	}
}

func testPauseResume(t *testing.T, e env) {
	if err := e.store.SetPaused(e.ctx, e.q, true); err != nil {
		t.Fatal(err)
	}
	e.enqueue(t, e.spec(t, "t", nil))
	r := e.exchange(t, "w", 5)
	if !r.Paused || len(r.Jobs) != 0 {
		t.Fatalf("exchange on a paused queue = %+v", r)
	}
	if s := e.stats(t); !s.Paused || s.Pending != 1 {
		t.Errorf("stats = %+v, want paused with 1 pending", s)
	}
	if err := e.store.SetPaused(e.ctx, e.q, false); err != nil {
		t.Fatal(err)
	}
	if w, err := e.store.Wait(e.ctx, e.q, inbox, time.Second); err != nil || !w.Woken {
		t.Errorf("Wait after resume = %+v, %v; want a wake-up", w, err)
	}
	if r := e.exchange(t, "w", 5); r.Paused || len(r.Jobs) != 1 {
		t.Errorf("exchange after resume = %+v", r)
	}
	if s := e.stats(t); s.Paused {
		t.Error("still paused")
	}
	if qs, err := e.store.Queues(e.ctx); err != nil || len(qs) != 1 || qs[0] != e.q {
		t.Errorf("Queues = %v, %v", qs, err)
	}
	if err := e.store.SetPaused(e.ctx, e.q, true); err != nil {
		t.Fatal(err)
	}
	_, err := e.store.Exchange(e.ctx, e.q, job.Exchange{Settles: []job.Settle{{Outcome: job.OutcomeExpired}}})
	if err == nil || errors.Is(err, job.ErrNotFound) {
		t.Errorf("Exchange with a settle of outcome expired: %v, want a refusal", err)
	}
}
