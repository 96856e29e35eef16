package semaphoreapp_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/statekit/statekit/app/semaphoreapp"
	"github.com/statekit/statekit/domain/semaphore"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/ports/mocks"
)

type fixture struct {
	ctx   context.Context
	store *mocks.MockSemaphore
	svc   *semaphoreapp.Service
}

func newFixture(t *testing.T) fixture {
	ctrl := gomock.NewController(t)
	store := mocks.NewMockSemaphore(ctrl)
	cfg := semaphoreapp.DefaultConfig()
	cfg.BackoffBase, cfg.BackoffMax = time.Millisecond, 4*time.Millisecond
	cfg.MaxWait = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return fixture{ctx: ctx, store: store, svc: semaphoreapp.NewService(store, cfg)}
}

// requestMatcher matches a semaphore.Request except its drawn id.
type requestMatcher struct {
	pool             string
	weight, capacity int
	ttl              time.Duration
	queue            bool
}

func (m requestMatcher) Matches(x any) bool {
	r, ok := x.(semaphore.Request)
	return ok && r.Pool == m.pool && r.Weight == m.weight && r.Capacity == m.capacity && r.TTL == m.ttl &&
		r.Queue == m.queue && semaphore.ValidatePermitID(r.ID) == nil
}

func (m requestMatcher) String() string { return fmt.Sprintf("%+v", struct{ requestMatcher }{m}) }

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func (f fixture) release(t *testing.T, p *semaphoreapp.Permit) {
	t.Helper()
	f.store.EXPECT().Release(gomock.Any(), p.Pool(), p.ID()).Return(nil)
	if err := p.Release(f.ctx); err != nil {
		t.Fatal(err)
	}
}

func TestTryAcquire(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Acquire(gomock.Any(), requestMatcher{"db", 2, 5, time.Minute, false}).Return(semaphore.Attempt{Acquired: true}, nil)
	p, err := f.svc.TryAcquire(f.ctx, "db", semaphoreapp.WithWeight(2), semaphoreapp.WithCapacity(5),
		semaphoreapp.WithTTL(time.Minute), semaphoreapp.WithoutRefresh())
	if err != nil {
		t.Fatal(err)
	}
	if p.Pool() != "db" || p.Weight() != 2 || p.Err() != nil {
		t.Errorf("permit %s weight %d err %v", p.Pool(), p.Weight(), p.Err())
	}
	f.release(t, p)

	f.store.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(semaphore.Attempt{RetryIn: time.Second}, nil)
	_, err = f.svc.TryAcquire(f.ctx, "db")
	wantErr(t, "full pool", err, semaphore.ErrNotAcquired)

	f.store.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(semaphore.Attempt{}, ports.ErrUnavailable)
	f.store.EXPECT().Leave(gomock.Any(), "db", gomock.Any()).Return(nil)
	_, err = f.svc.TryAcquire(f.ctx, "db")
	wantErr(t, "Redis down", err, ports.ErrUnavailable)
}

func TestInvalidInput(t *testing.T) {
	f := newFixture(t)
	for what, err := range map[string]error{
		"pool":   func() error { _, err := f.svc.TryAcquire(f.ctx, "a:b"); return err }(),
		"weight": func() error { _, err := f.svc.TryAcquire(f.ctx, "a", semaphoreapp.WithWeight(0)); return err }(),
		"heavy": func() error {
			_, err := f.svc.TryAcquire(f.ctx, "a", semaphoreapp.WithWeight(3), semaphoreapp.WithCapacity(2))
			return err
		}(),
		"ttl":          func() error { _, err := f.svc.Acquire(f.ctx, "a", semaphoreapp.WithTTL(time.Millisecond)); return err }(),
		"wait":         func() error { _, err := f.svc.Grant(f.ctx, "a", 1, 0, 0, 2*time.Second); return err }(),
		"refresh id":   f.svc.Refresh(f.ctx, "a", "x", time.Second),
		"release pool": f.svc.Release(f.ctx, "{a}", "AAAAAAAAAAAAAAAAAAAAAA"),
		"capacity":     func() error { _, err := f.svc.SetCapacity(f.ctx, "a", 0); return err }(),
		"stats":        func() error { _, err := f.svc.Stats(f.ctx, "*"); return err }(),
		"delete":       f.svc.Delete(f.ctx, ""),
	} {
		wantErr(t, what, err, semaphore.ErrInvalid)
	}
}

func TestAcquireWaitsForAGrant(t *testing.T) {
	f := newFixture(t)
	wakes := make(chan semaphore.Wake, 1)
	f.store.EXPECT().Notify(gomock.Any(), gomock.Any()).Return(wakes, func() {}, nil)
	gomock.InOrder(
		// A plain attempt first (no registration when permits are free), then the queue.
		f.store.EXPECT().Acquire(gomock.Any(), requestMatcher{"db", 1, 0, 30 * time.Second, false}).Return(semaphore.Attempt{RetryIn: time.Hour}, nil),
		// A "look again" message, then the grant.
		f.store.EXPECT().Acquire(gomock.Any(), requestMatcher{"db", 1, 0, 30 * time.Second, true}).DoAndReturn(
			func(context.Context, semaphore.Request) (semaphore.Attempt, error) {
				wakes <- semaphore.Wake{}
				return semaphore.Attempt{RetryIn: time.Hour}, nil
			}),
		f.store.EXPECT().Acquire(gomock.Any(), gomock.Any()).DoAndReturn(
			func(context.Context, semaphore.Request) (semaphore.Attempt, error) {
				go func() { wakes <- semaphore.Wake{Granted: true} }()
				return semaphore.Attempt{RetryIn: time.Hour}, nil
			}),
	)
	p, err := f.svc.Acquire(f.ctx, "db", semaphoreapp.WithoutRefresh())
	if err != nil {
		t.Fatal(err)
	}
	f.release(t, p)
}

func TestAcquireStopsOnAnError(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Notify(gomock.Any(), gomock.Any()).Return(nil, func() {}, ports.ErrUnavailable)
	gomock.InOrder(
		f.store.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(semaphore.Attempt{}, ports.ErrUnavailable), // plain
		f.store.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(semaphore.Attempt{}, ports.ErrUnavailable),
		f.store.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(semaphore.Attempt{}, semaphore.ErrNoPool),
	)
	f.store.EXPECT().Leave(gomock.Any(), "db", gomock.Any()).Return(nil)
	_, err := f.svc.Acquire(f.ctx, "db")
	wantErr(t, "Acquire", err, semaphore.ErrNoPool)
}

func TestAcquireContextEnds(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Notify(gomock.Any(), gomock.Any()).Return(make(chan semaphore.Wake), func() {}, nil)
	f.store.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(semaphore.Attempt{RetryIn: time.Hour}, nil).Times(2)
	f.store.EXPECT().Leave(gomock.Any(), "db", gomock.Any()).Return(nil)
	ctx, cancel := context.WithTimeout(f.ctx, 20*time.Millisecond)
	defer cancel()
	_, err := f.svc.Acquire(ctx, "db")
	wantErr(t, "Acquire", err, semaphore.ErrNotAcquired)
	wantErr(t, "Acquire", err, context.DeadlineExceeded)
}

func TestRefreshAndLoss(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(semaphore.Attempt{Acquired: true}, nil)
	const ttl = 300 * time.Millisecond
	gomock.InOrder(
		f.store.EXPECT().Refresh(gomock.Any(), "db", gomock.Any(), ttl).Times(2).Return(nil),
		f.store.EXPECT().Refresh(gomock.Any(), "db", gomock.Any(), ttl).Return(semaphore.ErrNotHeld),
	)
	p, err := f.svc.TryAcquire(f.ctx, "db", semaphoreapp.WithTTL(ttl))
	if err != nil {
		t.Fatal(err)
	}
	<-p.Context().Done()
	wantErr(t, "cause", context.Cause(p.Context()), semaphore.ErrLost)
	f.store.EXPECT().Release(gomock.Any(), "db", p.ID()).Return(semaphore.ErrNotHeld)
	wantErr(t, "Release", p.Release(f.ctx), semaphore.ErrLost)
}

func TestDoAndAdmin(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(semaphore.Attempt{Acquired: true}, nil)
	f.store.EXPECT().Release(gomock.Any(), "db", gomock.Any()).Return(nil)
	ran := false
	if err := f.svc.Do(f.ctx, "db", func(ctx context.Context, p *semaphoreapp.Permit) error { ran = true; return ctx.Err() }); err != nil || !ran {
		t.Fatalf("Do = %v, ran %v", err, ran)
	}
	f.store.EXPECT().SetCapacity(gomock.Any(), "db", 4).Return(semaphore.Stats{Pool: "db", Capacity: 4}, nil)
	if st, err := f.svc.SetCapacity(f.ctx, "db", 4); err != nil || st.Capacity != 4 {
		t.Errorf("SetCapacity = %+v, %v", st, err)
	}
	f.store.EXPECT().Acquire(gomock.Any(), requestMatcher{"db", 1, 0, 30 * time.Second, false}).Return(semaphore.Attempt{Acquired: true}, nil)
	if p, err := f.svc.Grant(f.ctx, "db", 0, 0, 0, 0); err != nil || p.Weight != 1 || p.TTL != 30*time.Second {
		t.Errorf("Grant = %+v, %v", p, err)
	}
}
