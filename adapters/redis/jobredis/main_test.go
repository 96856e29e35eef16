package jobredis_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/jobredis"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/tests/fakeclock"
	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// epoch is where every simulated clock starts: a whole minute, far from the zero time (which the scripts
// read as "use TIME").
var epoch = time.Date(2031, time.March, 4, 5, 6, 0, 0, time.UTC)

// each runs fn on the shared standalone Redis, on the shared Redis Cluster and on the embedded miniredis
// (what `make run` uses), each as a parallel subtest with its own client and prefix.
func each(t *testing.T, fn func(t *testing.T, tg harness.Target)) {
	t.Helper()
	harness.Each(t, fn)
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		m := miniredis.RunT(t)
		c := redis.NewClient(&redis.Options{Addr: m.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		fn(t, harness.Target{Client: c, Prefix: harness.NewPrefix(), Addrs: []string{m.Addr()}})
	})
}

// keepAll keeps every finished job for a day; keepNone deletes them at once.
var (
	keepAll  = job.Retention{Completed: 24 * time.Hour, CompletedMax: 1000, Dead: 24 * time.Hour, DeadMax: 1000}
	keepNone = job.Retention{}
)

const (
	testLease = 5 * time.Second
	testGrace = time.Second
)

// env is one contract test's store on its own key prefix with its own simulated clock.
type env struct {
	ctx   context.Context
	store *jobredis.Store
	clock *fakeclock.Clock
	tg    harness.Target
	q     string
}

func newEnv(t *testing.T, tg harness.Target) env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	clock := fakeclock.New(epoch)
	return env{ctx: ctx, store: jobredis.New(tg.Client, tg.Prefix, clock), clock: clock, tg: tg, q: "default"}
}

var testDefaults = job.Defaults{Queue: "default", MaxRetries: 2, Timeout: time.Minute}

// spec builds a valid job of type typ in the env's queue, changed by mod.
func (e env) spec(t *testing.T, typ string, mod func(*job.NewJob)) job.Spec {
	t.Helper()
	n := job.NewJob{Type: typ, Payload: []byte(`{"n":1}`), Queue: e.q}
	if mod != nil {
		mod(&n)
	}
	sp, err := n.Spec(testDefaults)
	if err != nil {
		t.Fatalf("Spec(%+v): %v", n, err)
	}
	return sp
}

// enqueue stores specs and fails the test on an error or a duplicate.
func (e env) enqueue(t *testing.T, specs ...job.Spec) []job.Enqueued {
	t.Helper()
	out, err := e.store.Enqueue(e.ctx, e.q, specs)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	for i, r := range out {
		if r.Err != nil {
			t.Fatalf("Enqueue job %d: %v", i, r.Err)
		}
	}
	return out
}

// exists reports whether a Redis key exists.
func (e env) exists(t *testing.T, key string) bool {
	t.Helper()
	n, err := e.tg.Client.Exists(e.ctx, key).Result()
	if err != nil {
		t.Fatalf("EXISTS %s: %v", key, err)
	}
	return n == 1
}

func (e env) jobKey(id string) string { return jobredis.JobKey(e.tg.Prefix, e.q, id) }

// exchange runs one exchange for worker w with keepAll retention.
func (e env) exchange(t *testing.T, w string, want int, settles ...job.Settle) job.ExchangeResult {
	t.Helper()
	return e.exchangeWith(t, w, want, keepAll, settles...)
}

func (e env) exchangeWith(t *testing.T, w string, want int, r job.Retention, settles ...job.Settle) job.ExchangeResult {
	t.Helper()
	res, err := e.store.Exchange(e.ctx, e.q, job.Exchange{Settles: settles, Want: want, Worker: w,
		Lease: testLease, Grace: testGrace, Retention: r})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return res
}

// lease leases exactly one job and returns it.
func (e env) lease(t *testing.T, w string) job.Leased {
	t.Helper()
	res := e.exchange(t, w, 1)
	if len(res.Jobs) != 1 {
		t.Fatalf("Exchange(want 1) leased %d jobs, want 1", len(res.Jobs))
	}
	return res.Jobs[0]
}

func (e env) get(t *testing.T, id string) job.Job {
	t.Helper()
	j, err := e.store.Get(e.ctx, e.q, id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return j
}

func (e env) stats(t *testing.T) job.QueueStats {
	t.Helper()
	s, err := e.store.Stats(e.ctx, e.q)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return s
}

// wantCounts checks the state counts of the queue: pending, scheduled, active, retry, dead, completed.
func (e env) wantCounts(t *testing.T, what string, want ...int64) {
	t.Helper()
	s := e.stats(t)
	got := []int64{s.Pending, s.Scheduled, s.Active, s.Retry, s.Dead, s.Completed}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: counts pending/scheduled/active/retry/dead/completed = %v, want %v", what, got, want)
		}
	}
}

func completed(l job.Leased, result string) job.Settle {
	return job.Settle{Lease: l.Lease(), Outcome: job.OutcomeCompleted, Result: []byte(result)}
}

func failed(l job.Leased, msg string, delay time.Duration) job.Settle {
	return job.Settle{Lease: l.Lease(), Outcome: job.OutcomeFailed, Error: msg, RetryDelay: delay}
}

func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got.UTC(), want.UTC())
	}
}
