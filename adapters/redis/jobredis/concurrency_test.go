package jobredis_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/tests/harness"
)

// TestConcurrentEnqueue: 32 goroutines enqueue at once (the store gathers them into shared script calls);
// every job is stored exactly once under its own id, and of 32 enqueues naming one unique key exactly one
// wins while the others learn its id.
func TestConcurrentEnqueue(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		const goroutines, each = 32, 40
		e := newEnv(t, tg)
		var (
			mu      sync.Mutex
			ids     = map[string]bool{}
			winners []string
			losers  []string
			wg      sync.WaitGroup
			start   = make(chan struct{})
		)
		for g := range goroutines {
			wg.Go(func() {
				<-start
				for i := range each {
					sp := e.spec(t, "t", func(n *job.NewJob) { n.Payload = fmt.Appendf(nil, `{"g":%d,"i":%d}`, g, i) })
					res, err := e.store.Enqueue(e.ctx, e.q, []job.Spec{sp})
					if err != nil || res[0].Err != nil || res[0].ID != sp.ID {
						t.Errorf("Enqueue: %+v, %v", res, err)
						return
					}
					mu.Lock()
					ids[sp.ID] = true
					mu.Unlock()
				}
				sp := e.spec(t, "t", func(n *job.NewJob) { n.UniqueKey = "the-one" })
				res, err := e.store.Enqueue(e.ctx, e.q, []job.Spec{sp})
				if err != nil {
					t.Errorf("Enqueue unique: %v", err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				var de *job.DuplicateError
				switch {
				case res[0].Err == nil:
					winners = append(winners, res[0].ID)
				case errors.As(res[0].Err, &de):
					losers = append(losers, de.ExistingID)
				default:
					t.Errorf("unique enqueue: %v", res[0].Err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(ids) != goroutines*each {
			t.Errorf("%d distinct jobs stored, want %d", len(ids), goroutines*each)
		}
		if len(winners) != 1 || len(losers) != goroutines-1 {
			t.Fatalf("unique key: %d winners, %d refused; want 1 and %d", len(winners), len(losers), goroutines-1)
		}
		for _, id := range losers {
			if id != winners[0] {
				t.Errorf("a refused enqueue named %s, the winner is %s", id, winners[0])
			}
		}
		if s := e.stats(t); s.Pending != goroutines*each+1 {
			t.Errorf("pending = %d, want %d", s.Pending, goroutines*each+1)
		}
	})
}

// TestConcurrentExchangeLeasesOnce: 16 workers lease and settle 1,500 jobs at once; each job is leased
// exactly once and completed once.
func TestConcurrentExchangeLeasesOnce(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		const workers, jobs = 16, 1500
		e := newEnv(t, tg)
		batch := make([]job.Spec, 0, jobs)
		for range jobs {
			batch = append(batch, e.spec(t, "t", nil))
		}
		for i := 0; i < jobs; i += 500 {
			e.enqueue(t, batch[i:i+500]...)
		}
		var (
			mu     sync.Mutex
			leased = map[string]int{}
			wg     sync.WaitGroup
		)
		for w := range workers {
			wg.Go(func() {
				name := fmt.Sprintf("w%d", w)
				var settles []job.Settle
				for {
					r, err := e.store.Exchange(e.ctx, e.q, job.Exchange{Settles: settles, Want: 3, Worker: name,
						Lease: time.Minute, Grace: time.Second, Retention: keepNone})
					if err != nil {
						t.Errorf("Exchange: %v", err)
						return
					}
					for _, st := range r.Settled {
						if st.Outcome != job.OutcomeCompleted {
							t.Errorf("settle = %+v", st)
						}
					}
					if len(r.Jobs) == 0 {
						return
					}
					settles = settles[:0]
					mu.Lock()
					for _, l := range r.Jobs {
						leased[l.ID]++
						settles = append(settles, completed(l, ""))
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(leased) != jobs {
			t.Errorf("%d jobs leased, want %d", len(leased), jobs)
		}
		for id, n := range leased {
			if n != 1 {
				t.Errorf("job %s leased %d times", id, n)
			}
		}
		if s := e.stats(t); s.Processed != jobs || s.Pending != 0 || s.Active != 0 {
			t.Errorf("stats = %+v, want %d processed", s, jobs)
		}
	})
}
