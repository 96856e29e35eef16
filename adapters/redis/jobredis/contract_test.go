package jobredis_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/jobredis"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/tests/harness"
)

// contract is the ports.JobQueue / ports.JobBroker contract suite: every state transition, observed through
// the ports and a simulated clock. The cases in contract_lease_test.go and contract_admin_test.go belong to
// it too.
var contract = []struct {
	name string
	run  func(t *testing.T, e env)
}{
	{"EnqueueLeaseComplete", testEnqueueLeaseComplete},
	{"CompleteWithoutRetention", testCompleteWithoutRetention},
	{"FailRetryThenDead", testFailRetryThenDead},
	{"NoRetryDiesAtOnce", testNoRetry},
	{"DelayAndRunAt", testDelayAndRunAt},
	{"Priorities", testPriorities},
	{"UniqueKeys", testUniqueKeys},
	{"PeriodicTicks", testPeriodicTicks},
	{"Throughput", testThroughput},
	{"LeaseExpiry", testLeaseExpiry},
	{"LeaseExpiryOnLastAttempt", testLeaseExpiryOnLastAttempt},
	{"LeaseExtension", testLeaseExtension},
	{"Release", testRelease},
	{"WakeAndHandOff", testWakeAndHandOff},
	{"HandOffSkipsPausedAndLapsed", testHandOffSkips},
	{"PauseResume", testPauseResume},
	{"ListAndGet", testListAndGet},
	{"RunNowDeleteAndPurge", testRunNowDeleteAndPurge},
	{"RetentionTrim", testRetentionTrim},
}

// TestJobStoreContract runs every contract case on standalone Redis, Redis Cluster and the embedded
// miniredis, each case with its own client, key prefix and clock, all in parallel.
func TestJobStoreContract(t *testing.T) {
	t.Parallel()
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			each(t, func(t *testing.T, tg harness.Target) { c.run(t, newEnv(t, tg)) })
		})
	}
}

func testEnqueueLeaseComplete(t *testing.T, e env) {
	t0 := e.clock.Now()
	sp := e.spec(t, "mail.send", func(n *job.NewJob) { n.Priority = 4; n.Timeout = 90 * time.Second })
	sp.CorrelationID = "req-1234abcd"
	res := e.enqueue(t, sp)
	if res[0].ID != sp.ID || res[0].Queue != e.q || res[0].State != job.StatePending {
		t.Fatalf("Enqueue = %+v, want %s pending", res[0], sp.ID)
	}
	e.wantCounts(t, "after enqueue", 1, 0, 0, 0, 0, 0)
	j := e.get(t, sp.ID)
	if j.State != job.StatePending || j.Type != "mail.send" || string(j.Payload) != `{"n":1}` || j.Priority != 4 ||
		j.MaxRetries != 2 || j.Timeout != 90*time.Second || j.Attempts != 0 || j.CorrelationID != "req-1234abcd" {
		t.Errorf("Get pending = %+v", j)
	}
	wantTime(t, "CreatedAt", j.CreatedAt, t0)

	e.clock.Advance(3 * time.Second)
	l := e.lease(t, "w1")
	if l.ID != sp.ID || l.Run != 1 || l.Attempts != 1 || l.Type != "mail.send" || string(l.Payload) != `{"n":1}` ||
		l.Timeout != 90*time.Second || l.MaxRetries != 2 || l.Priority != 4 || l.Worker != "w1" || l.CorrelationID != "req-1234abcd" {
		t.Errorf("leased = %+v", l)
	}
	wantTime(t, "ReadyAt", l.ReadyAt, t0)
	wantTime(t, "StartedAt", l.StartedAt, t0.Add(3*time.Second))
	wantTime(t, "LeaseExpiresAt", l.LeaseExpiresAt, t0.Add(3*time.Second+testLease))
	e.wantCounts(t, "after lease", 0, 0, 1, 0, 0, 0)
	a := e.get(t, sp.ID)
	if a.State != job.StateActive || a.Worker != "w1" || a.Attempts != 1 {
		t.Errorf("Get active = %+v", a)
	}
	wantTime(t, "Get LeaseExpiresAt", a.LeaseExpiresAt, l.LeaseExpiresAt)

	e.clock.Advance(time.Second)
	r := e.exchange(t, "w1", 0, completed(l, `{"sent":true}`))
	if len(r.Settled) != 1 || r.Settled[0].Outcome != job.OutcomeCompleted || r.Settled[0].Attempts != 1 {
		t.Fatalf("settle = %+v", r.Settled)
	}
	c := e.get(t, sp.ID)
	if c.State != job.StateCompleted || string(c.Result) != `{"sent":true}` || !c.LeaseExpiresAt.IsZero() {
		t.Errorf("Get completed = %+v", c)
	}
	wantTime(t, "FinishedAt", c.FinishedAt, t0.Add(4*time.Second))
	e.wantCounts(t, "after completion", 0, 0, 0, 0, 0, 1)
	if s := e.stats(t); s.Processed != 1 || s.Failed != 0 {
		t.Errorf("stats = %+v, want 1 processed", s)
	}
	// A second report of the same run changes nothing.
	r = e.exchange(t, "w1", 0, completed(l, `{"sent":"again"}`))
	if r.Settled[0].Outcome != job.OutcomeStale {
		t.Errorf("second settle = %+v, want stale", r.Settled[0])
	}
	if c := e.get(t, sp.ID); string(c.Result) != `{"sent":true}` || e.stats(t).Processed != 1 {
		t.Errorf("a stale settle changed the job: %+v", c)
	}
}

func testCompleteWithoutRetention(t *testing.T, e env) {
	sp := e.spec(t, "t", func(n *job.NewJob) { n.UniqueKey = "k1" })
	e.enqueue(t, sp)
	l := e.lease(t, "w")
	e.exchangeWith(t, "w", 0, keepNone, completed(l, `1`))
	if _, err := e.store.Get(e.ctx, e.q, sp.ID); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Get after completion without retention: %v, want ErrNotFound", err)
	}
	if e.exists(t, e.jobKey(sp.ID)) {
		t.Error("the job hash survived its completion")
	}
	e.wantCounts(t, "after completion", 0, 0, 0, 0, 0, 0)
	if e.stats(t).Processed != 1 {
		t.Error("completion not counted")
	}
	// The unique key was released with the job.
	e.enqueue(t, e.spec(t, "t", func(n *job.NewJob) { n.UniqueKey = "k1" }))
}

func testFailRetryThenDead(t *testing.T, e env) {
	one := 1
	sp := e.spec(t, "t", func(n *job.NewJob) { n.MaxRetries = &one; n.UniqueKey = "once" })
	e.enqueue(t, sp)
	t0 := e.clock.Now()
	l := e.lease(t, "w")
	r := e.exchange(t, "w", 0, failed(l, "smtp down", 30*time.Second))
	st := r.Settled[0]
	if st.Outcome != job.OutcomeRetry || st.Attempts != 1 || st.Error != "smtp down" {
		t.Fatalf("settle = %+v, want retry", st)
	}
	wantTime(t, "RetryAt", st.RetryAt, t0.Add(30*time.Second))
	wantTime(t, "NextDue", r.NextDue, t0.Add(30*time.Second))
	e.wantCounts(t, "after failure", 0, 0, 0, 1, 0, 0)
	j := e.get(t, sp.ID)
	if j.State != job.StateRetry || j.LastError != "smtp down" || j.Attempts != 1 {
		t.Errorf("Get retrying = %+v", j)
	}
	wantTime(t, "RunAt", j.RunAt, t0.Add(30*time.Second))

	e.clock.Advance(29 * time.Second)
	if r := e.exchange(t, "w", 1); len(r.Jobs) != 0 {
		t.Fatalf("leased a job before its retry was due: %+v", r.Jobs)
	}
	e.clock.Advance(time.Second)
	l2 := e.lease(t, "w")
	if l2.ID != sp.ID || l2.Attempts != 2 || l2.Run != 2 {
		t.Fatalf("retry leased %+v, want attempt 2 run 2", l2)
	}
	wantTime(t, "retry ReadyAt", l2.ReadyAt, t0.Add(30*time.Second))
	r = e.exchange(t, "w", 0, failed(l2, "still down", time.Minute))
	if st := r.Settled[0]; st.Outcome != job.OutcomeDead || st.Attempts != 2 || !st.RetryAt.IsZero() {
		t.Fatalf("last failure = %+v, want dead", st)
	}
	e.wantCounts(t, "after the last failure", 0, 0, 0, 0, 1, 0)
	d := e.get(t, sp.ID)
	if d.State != job.StateDead || d.LastError != "still down" || d.Attempts != 2 {
		t.Errorf("Get dead = %+v", d)
	}
	wantTime(t, "FinishedAt", d.FinishedAt, e.clock.Now())
	if s := e.stats(t); s.Failed != 2 || s.Processed != 0 {
		t.Errorf("stats = %+v, want 2 failed", s)
	}
	// A dead job's unique key is free.
	e.enqueue(t, e.spec(t, "t", func(n *job.NewJob) { n.UniqueKey = "once" }))
}

func testNoRetry(t *testing.T, e env) {
	e.enqueue(t, e.spec(t, "t", nil))
	l := e.lease(t, "w")
	r := e.exchange(t, "w", 0, job.Settle{Lease: l.Lease(), Outcome: job.OutcomeNoRetry, Error: "bad address"})
	if st := r.Settled[0]; st.Outcome != job.OutcomeDead || st.Error != "bad address" {
		t.Fatalf("settle = %+v, want dead", st)
	}
	e.wantCounts(t, "after a permanent failure", 0, 0, 0, 0, 1, 0)
}

func testDelayAndRunAt(t *testing.T, e env) {
	t0 := e.clock.Now()
	delayed := e.spec(t, "t", func(n *job.NewJob) { n.Delay = 10 * time.Second })
	at := e.spec(t, "t", func(n *job.NewJob) { n.RunAt = t0.Add(time.Hour) })
	past := e.spec(t, "t", func(n *job.NewJob) { n.RunAt = t0.Add(-time.Hour) })
	res := e.enqueue(t, delayed, at, past)
	if res[0].State != job.StateScheduled || res[1].State != job.StateScheduled || res[2].State != job.StatePending {
		t.Fatalf("states = %+v", res)
	}
	e.wantCounts(t, "after enqueue", 1, 2, 0, 0, 0, 0)
	if j := e.get(t, delayed.ID); j.State != job.StateScheduled || !j.RunAt.Equal(t0.Add(10*time.Second)) {
		t.Errorf("Get delayed = %+v", j)
	}
	l := e.lease(t, "w")
	if l.ID != past.ID {
		t.Fatalf("leased %s, want the job whose run-at passed", l.ID)
	}
	r := e.exchange(t, "w", 5, completed(l, ""))
	if len(r.Jobs) != 0 {
		t.Fatalf("leased %d scheduled jobs before they were due", len(r.Jobs))
	}
	e.clock.Advance(9 * time.Second)
	if r := e.exchange(t, "w", 5); len(r.Jobs) != 0 {
		t.Fatalf("leased a job a second early")
	}
	e.clock.Advance(time.Second)
	r = e.exchange(t, "w", 5)
	if len(r.Jobs) != 1 || r.Jobs[0].ID != delayed.ID {
		t.Fatalf("at its due time leased %+v, want the delayed job", r.Jobs)
	}
	wantTime(t, "ReadyAt of a delayed job", r.Jobs[0].ReadyAt, t0.Add(10*time.Second))
	wantTime(t, "NextDue", r.NextDue, r.Jobs[0].LeaseExpiresAt) // the earlier of the 1 h job and the lease
	e.wantCounts(t, "after the delayed job started", 0, 1, 1, 0, 0, 1)
}

func testPriorities(t *testing.T, e env) {
	var ids []string
	for _, p := range []int{0, 5, 9, 5, 0} {
		sp := e.spec(t, "t", func(n *job.NewJob) { n.Priority = p })
		e.enqueue(t, sp)
		ids = append(ids, sp.ID)
	}
	want := []string{ids[2], ids[1], ids[3], ids[0], ids[4]}
	list, total, err := e.store.List(e.ctx, e.q, job.StatePending, 0, 10)
	if err != nil || total != 5 {
		t.Fatalf("List pending: %d, %v", total, err)
	}
	if got := jobIDs(list); !slices.Equal(got, want) {
		t.Errorf("pending order = %v, want %v", got, want)
	}
	var got []string
	for range 2 {
		got = append(got, e.lease(t, "w").ID)
	}
	r := e.exchange(t, "w", 10)
	for _, l := range r.Jobs {
		got = append(got, l.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("lease order = %v, want %v (priority 9 first, then oldest first)", got, want)
	}
}

func testUniqueKeys(t *testing.T, e env) {
	first := e.spec(t, "t", func(n *job.NewJob) { n.UniqueKey = "order-7"; n.UniqueTTL = time.Hour })
	e.enqueue(t, first)
	dup := e.spec(t, "t", func(n *job.NewJob) { n.UniqueKey = "order-7" })
	res, err := e.store.Enqueue(e.ctx, e.q, []job.Spec{dup})
	if err != nil {
		t.Fatal(err)
	}
	var de *job.DuplicateError
	if !errors.As(res[0].Err, &de) || de.ExistingID != first.ID || de.UniqueKey != "order-7" || de.Queue != e.q || !errors.Is(res[0].Err, job.ErrDuplicate) {
		t.Fatalf("duplicate enqueue = %+v, want a DuplicateError naming %s", res[0], first.ID)
	}
	if e.exists(t, e.jobKey(dup.ID)) {
		t.Error("the duplicate was stored")
	}
	ttl, err := e.tg.Client.PTTL(e.ctx, jobredis.UniqueKey(e.tg.Prefix, e.q, "order-7")).Result()
	if err != nil || ttl <= 0 || ttl > time.Hour {
		t.Errorf("unique key PTTL = %v, %v; want within the 1h ttl", ttl, err)
	}
	// A batch: the free key is stored, the taken one reported.
	other := e.spec(t, "t", func(n *job.NewJob) { n.UniqueKey = "order-8" })
	again := e.spec(t, "t", func(n *job.NewJob) { n.UniqueKey = "order-7" })
	res, err = e.store.Enqueue(e.ctx, e.q, []job.Spec{other, again})
	if err != nil || res[0].Err != nil || res[0].ID != other.ID || !errors.Is(res[1].Err, job.ErrDuplicate) {
		t.Fatalf("batch = %+v, %v", res, err)
	}
	e.wantCounts(t, "after the duplicates", 2, 0, 0, 0, 0, 0)
	// The key stays held while the job runs, and is freed when it completes.
	l := e.lease(t, "w")
	if l.ID != first.ID {
		t.Fatalf("leased %s, want %s", l.ID, first.ID)
	}
	if res, _ := e.store.Enqueue(e.ctx, e.q, []job.Spec{e.spec(t, "t", func(n *job.NewJob) { n.UniqueKey = "order-7" })}); !errors.Is(res[0].Err, job.ErrDuplicate) {
		t.Fatalf("enqueue while the holder runs = %+v, want duplicate", res[0])
	}
	e.exchange(t, "w", 0, completed(l, ""))
	e.enqueue(t, e.spec(t, "t", func(n *job.NewJob) { n.UniqueKey = "order-7" }))
	// Deleting the holder frees the key.
	if err := e.store.Delete(e.ctx, e.q, other.ID); err != nil {
		t.Fatal(err)
	}
	e.enqueue(t, e.spec(t, "t", func(n *job.NewJob) { n.UniqueKey = "order-8" }))
	// A key whose holder vanished (its data removed) is free too.
	ghost := e.spec(t, "t", func(n *job.NewJob) { n.UniqueKey = "order-9" })
	e.enqueue(t, ghost)
	if err := e.tg.Client.Del(e.ctx, e.jobKey(ghost.ID)).Err(); err != nil {
		t.Fatal(err)
	}
	e.enqueue(t, e.spec(t, "t", func(n *job.NewJob) { n.UniqueKey = "order-9" }))
}

func testPeriodicTicks(t *testing.T, e env) {
	t0 := e.clock.Now()
	tick := func(at time.Time) (job.Enqueued, bool) {
		sp := e.spec(t, "report", nil)
		sp.Periodic, sp.Tick = "nightly", at
		en, ok, err := e.store.EnqueuePeriodic(e.ctx, sp)
		if err != nil {
			t.Fatalf("EnqueuePeriodic(%s): %v", at, err)
		}
		return en, ok
	}
	en, ok := tick(t0.Add(-time.Second))
	if !ok || en.State != job.StatePending {
		t.Fatalf("first tick = %+v, %v", en, ok)
	}
	if _, ok := tick(t0.Add(-time.Second)); ok {
		t.Error("the same tick was enqueued twice")
	}
	if _, ok := tick(t0.Add(-2 * time.Second)); ok {
		t.Error("an older tick was enqueued after a newer one")
	}
	en2, ok := tick(t0.Add(time.Minute))
	if !ok || en2.State != job.StateScheduled {
		t.Fatalf("a tick ahead of the store's clock = %+v, %v; want scheduled for the tick", en2, ok)
	}
	j := e.get(t, en.ID)
	if j.Periodic != "nightly" || !j.Tick.Equal(t0.Add(-time.Second)) {
		t.Errorf("periodic job = %+v", j)
	}
	wantTime(t, "RunAt of the future tick", e.get(t, en2.ID).RunAt, t0.Add(time.Minute))
	e.wantCounts(t, "after the ticks", 1, 1, 0, 0, 0, 0)
	if _, _, err := e.store.EnqueuePeriodic(e.ctx, e.spec(t, "report", nil)); !errors.Is(err, job.ErrInvalid) {
		t.Errorf("EnqueuePeriodic without a tick: %v, want ErrInvalid", err)
	}
}

func testThroughput(t *testing.T, e env) {
	for range 3 {
		e.enqueue(t, e.spec(t, "t", nil))
	}
	r := e.exchange(t, "w", 3)
	e.exchange(t, "w", 0, completed(r.Jobs[0], ""), completed(r.Jobs[1], ""), failed(r.Jobs[2], "x", time.Hour))
	s := e.stats(t)
	if s.Processed != 2 || s.Failed != 1 || s.ProcessedLastMinute != 0 {
		t.Errorf("stats in the minute = %+v", s)
	}
	e.clock.Advance(time.Minute)
	s = e.stats(t)
	if s.ProcessedLastMinute != 2 || s.FailedLastMinute != 1 {
		t.Errorf("stats a minute later = %+v, want 2 processed and 1 failed in the last minute", s)
	}
	e.clock.Advance(time.Minute)
	if s := e.stats(t); s.ProcessedLastMinute != 0 || s.Processed != 2 {
		t.Errorf("stats two minutes later = %+v", s)
	}
}

func jobIDs(list []job.Job) []string {
	out := make([]string, len(list))
	for i, j := range list {
		out[i] = j.ID
	}
	return out
}
