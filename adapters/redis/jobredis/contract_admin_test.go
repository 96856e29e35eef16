package jobredis_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/jobredis"
	"github.com/statekit/statekit/domain/job"
)

func testListAndGet(t *testing.T, e env) {
	zero := 0
	var dead []string
	for i := range 3 {
		sp := e.spec(t, "t", func(n *job.NewJob) { n.MaxRetries = &zero })
		e.enqueue(t, sp)
		l := e.lease(t, "w")
		e.exchange(t, "w", 0, failed(l, "boom", time.Second))
		dead = append(dead, sp.ID)
		e.clock.Advance(time.Duration(i+1) * time.Second)
	}
	var pending []string
	for range 5 {
		sp := e.spec(t, "t", nil)
		e.enqueue(t, sp)
		pending = append(pending, sp.ID)
	}
	page := func(state job.State, offset, limit int) ([]string, int64) {
		t.Helper()
		list, total, err := e.store.List(e.ctx, e.q, state, offset, limit)
		if err != nil {
			t.Fatalf("List(%s, %d, %d): %v", state, offset, limit, err)
		}
		for _, j := range list {
			if j.State != state || j.Queue != e.q {
				t.Errorf("List(%s) returned %+v", state, j)
			}
		}
		return jobIDs(list), total
	}
	if got, total := page(job.StatePending, 0, 2); !slices.Equal(got, pending[:2]) || total != 5 {
		t.Errorf("pending page 1 = %v (%d), want %v (5)", got, total, pending[:2])
	}
	if got, _ := page(job.StatePending, 2, 2); !slices.Equal(got, pending[2:4]) {
		t.Errorf("pending page 2 = %v, want %v", got, pending[2:4])
	}
	if got, _ := page(job.StatePending, 4, 2); !slices.Equal(got, pending[4:]) {
		t.Errorf("pending page 3 = %v, want %v", got, pending[4:])
	}
	if got, _ := page(job.StatePending, 9, 2); len(got) != 0 {
		t.Errorf("pending past the end = %v", got)
	}
	newest := []string{dead[2], dead[1], dead[0]}
	if got, total := page(job.StateDead, 0, 10); !slices.Equal(got, newest) || total != 3 {
		t.Errorf("dead = %v (%d), want newest first %v", got, total, newest)
	}
	if got, _ := page(job.StateDead, 1, 1); !slices.Equal(got, newest[1:2]) {
		t.Errorf("dead page = %v, want %v", got, newest[1:2])
	}
	if got, total := page(job.StateCompleted, 0, 10); len(got) != 0 || total != 0 {
		t.Errorf("completed = %v (%d), want none", got, total)
	}
	l := e.lease(t, "w")
	list, _, err := e.store.List(e.ctx, e.q, job.StateActive, 0, 10)
	if err != nil || len(list) != 1 || list[0].ID != l.ID || !list[0].LeaseExpiresAt.Equal(l.LeaseExpiresAt) {
		t.Errorf("active = %+v, %v", list, err)
	}
	if _, _, err := e.store.List(e.ctx, e.q, "sleeping", 0, 1); !errors.Is(err, job.ErrInvalid) {
		t.Errorf("List(unknown state): %v, want ErrInvalid", err)
	}
	if _, err := e.store.Get(e.ctx, e.q, "AAAAAAAAAAAAAAAA"); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Get(unknown): %v, want ErrNotFound", err)
	}
	if _, err := e.store.Get(e.ctx, "other", dead[0]); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Get(in another queue): %v, want ErrNotFound", err)
	}
}

func testRunNowDeleteAndPurge(t *testing.T, e env) {
	zero := 0
	d := e.spec(t, "t", func(n *job.NewJob) { n.MaxRetries = &zero })
	e.enqueue(t, d)
	l := e.lease(t, "w")
	e.exchange(t, "w", 0, failed(l, "boom", time.Second))
	if err := e.store.RunNow(e.ctx, e.q, d.ID); err != nil {
		t.Fatalf("RunNow(dead): %v", err)
	}
	j := e.get(t, d.ID)
	if j.State != job.StatePending || j.Attempts != 0 || j.LastError != "boom" || !j.FinishedAt.IsZero() {
		t.Errorf("dead job run now = %+v, want pending with its retries back and its last error kept", j)
	}
	if err := e.store.RunNow(e.ctx, e.q, d.ID); !errors.Is(err, job.ErrState) {
		t.Errorf("RunNow(pending): %v, want ErrState", err)
	}
	sched := e.spec(t, "t", func(n *job.NewJob) { n.Delay = time.Hour })
	e.enqueue(t, sched)
	if err := e.store.RunNow(e.ctx, e.q, sched.ID); err != nil {
		t.Fatalf("RunNow(scheduled): %v", err)
	}
	e.wantCounts(t, "after run now", 2, 0, 0, 0, 0, 0)
	if err := e.store.RunNow(e.ctx, e.q, "AAAAAAAAAAAAAAAA"); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("RunNow(unknown): %v, want ErrNotFound", err)
	}

	a := e.lease(t, "w")
	if err := e.store.Delete(e.ctx, e.q, a.ID); !errors.Is(err, job.ErrState) {
		t.Errorf("Delete(active): %v, want ErrState", err)
	}
	otherID := sched.ID
	if a.ID == sched.ID {
		otherID = d.ID
	}
	if err := e.store.Delete(e.ctx, e.q, otherID); err != nil {
		t.Fatalf("Delete(pending): %v", err)
	}
	if e.exists(t, e.jobKey(otherID)) {
		t.Error("deleted job's hash remains")
	}
	if list, total, _ := e.store.List(e.ctx, e.q, job.StatePending, 0, 10); len(list) != 0 || total != 0 {
		t.Errorf("pending after delete = %+v (%d)", list, total)
	}
	if err := e.store.Delete(e.ctx, e.q, otherID); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Delete twice: %v, want ErrNotFound", err)
	}

	for range 3 {
		sp := e.spec(t, "t", func(n *job.NewJob) { n.MaxRetries = &zero })
		e.enqueue(t, sp)
		l := e.lease(t, "w2")
		e.exchange(t, "w2", 0, failed(l, "x", time.Second))
	}
	list, _, _ := e.store.List(e.ctx, e.q, job.StateDead, 0, 10)
	n, err := e.store.PurgeDead(e.ctx, e.q)
	if err != nil || n != 3 {
		t.Fatalf("PurgeDead = %d, %v; want 3", n, err)
	}
	for _, j := range list {
		if e.exists(t, e.jobKey(j.ID)) {
			t.Errorf("purged job %s still has data", j.ID)
		}
	}
	e.wantCounts(t, "after purge", 0, 0, 1, 0, 0, 0)
}

func testRetentionTrim(t *testing.T, e env) {
	r := job.Retention{Completed: time.Hour, CompletedMax: 3, Dead: 2 * time.Hour, DeadMax: 100}
	zero := 0
	var ids []string
	for range 5 {
		sp := e.spec(t, "t", func(n *job.NewJob) { n.MaxRetries = &zero })
		e.enqueue(t, sp)
		ids = append(ids, sp.ID)
	}
	res := e.exchangeWith(t, "w", 5, r)
	var settles []job.Settle
	for i, l := range res.Jobs {
		if i < 4 {
			settles = append(settles, completed(l, ""))
		} else {
			settles = append(settles, failed(l, "x", time.Second))
		}
	}
	e.exchangeWith(t, "w", 0, r, settles...)
	e.wantCounts(t, "after completing 4 with a cap of 3", 0, 0, 0, 0, 1, 3)
	kept := 0
	for _, id := range ids[:4] {
		if e.exists(t, e.jobKey(id)) {
			kept++
		}
	}
	if kept != 3 {
		t.Errorf("%d completed jobs keep their data, want 3 (the oldest removed with its data)", kept)
	}
	e.clock.Advance(90 * time.Minute)
	n, err := e.store.Trim(e.ctx, e.q, r)
	if err != nil || n != 3 {
		t.Fatalf("Trim after the completed retention = %d, %v; want 3", n, err)
	}
	e.wantCounts(t, "after the completed retention", 0, 0, 0, 0, 1, 0)
	for _, id := range ids[:4] {
		if e.exists(t, e.jobKey(id)) {
			t.Errorf("completed job %s still has data past its retention", id)
		}
	}
	if n, _ := e.store.Trim(e.ctx, e.q, r); n != 0 {
		t.Errorf("second Trim removed %d", n)
	}
	e.clock.Advance(31 * time.Minute)
	if n, err := e.store.Trim(e.ctx, e.q, r); err != nil || n != 1 {
		t.Fatalf("Trim after the dead retention = %d, %v; want 1", n, err)
	}
	if e.exists(t, e.jobKey(ids[4])) || e.exists(t, jobredis.DoneKey(e.tg.Prefix, e.q)) {
		t.Error("data left after the retention")
	}
	// A large backlog is trimmed in bounded batches until done.
	for range 3 {
		batch := make([]job.Spec, 400)
		for i := range batch {
			batch[i] = e.spec(t, "t", nil)
		}
		e.enqueue(t, batch...)
		res := e.exchangeWith(t, "w", 400, keepAll)
		settles := make([]job.Settle, len(res.Jobs))
		for i, l := range res.Jobs {
			settles[i] = completed(l, "")
		}
		e.exchangeWith(t, "w", 0, job.Retention{Completed: 24 * time.Hour, CompletedMax: 5000}, settles...)
	}
	if n, err := e.store.Trim(e.ctx, e.q, job.Retention{Completed: time.Hour, CompletedMax: 100}); err != nil || n != 1100 {
		t.Errorf("Trim of a 1,200 backlog to 100 = %d, %v; want 1100", n, err)
	}
	e.wantCounts(t, "after trimming the backlog", 0, 0, 0, 0, 0, 100)
}
