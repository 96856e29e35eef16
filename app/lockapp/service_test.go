package lockapp_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/ports/mocks"
)

type fixture struct {
	ctx    context.Context
	locker *mocks.MockLocker
	fenced *mocks.MockFencedStore
	svc    *lockapp.Service
}

// newFixture returns a service on mocks with no expectations: any call a test did not expect fails it.
func newFixture(t *testing.T) fixture {
	ctrl := gomock.NewController(t)
	locker, fenced := mocks.NewMockLocker(ctrl), mocks.NewMockFencedStore(ctrl)
	cfg := lockapp.DefaultConfig()
	cfg.BackoffBase, cfg.BackoffMax = time.Millisecond, 4*time.Millisecond
	cfg.MaxWait = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return fixture{ctx: ctx, locker: locker, fenced: fenced, svc: lockapp.NewService(locker, fenced, cfg)}
}

// requestMatcher matches a lock.Request by names, mode, ttl and queue (the token is drawn by the service).
type requestMatcher struct {
	names []string
	mode  lock.Mode
	ttl   time.Duration
	queue bool
}

func request(names []string, mode lock.Mode, ttl time.Duration, queue bool) gomock.Matcher {
	return requestMatcher{names, mode, ttl, queue}
}

func (m requestMatcher) Matches(x any) bool {
	r, ok := x.(lock.Request)
	return ok && slices.Equal(r.Names, m.names) && r.Mode == m.mode && r.TTL == m.ttl && r.Queue == m.queue &&
		lock.ValidateToken(r.Token) == nil
}

func (m requestMatcher) String() string {
	return fmt.Sprintf("a request for %v %s ttl %s queue %v", m.names, m.mode, m.ttl, m.queue)
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func TestTryAcquireAndRelease(t *testing.T) {
	f := newFixture(t)
	var token string
	f.locker.EXPECT().Acquire(gomock.Any(), request([]string{"a"}, lock.Exclusive, time.Minute, false)).
		DoAndReturn(func(_ context.Context, r lock.Request) (lock.Attempt, error) {
			token = r.Token
			return lock.Attempt{Acquired: true, Fences: []int64{42}}, nil
		})
	l, err := f.svc.TryAcquire(f.ctx, "a", lockapp.WithTTL(time.Minute), lockapp.WithoutRenewal())
	if err != nil {
		t.Fatal(err)
	}
	if l.Fence() != 42 || l.Token() != token || l.Name() != "a" || l.Mode() != lock.Exclusive || l.Err() != nil {
		t.Errorf("lock = fence %d token %q name %q mode %s err %v", l.Fence(), l.Token(), l.Name(), l.Mode(), l.Err())
	}
	if until := time.Until(l.ValidUntil()); until <= 50*time.Second || until > time.Minute {
		t.Errorf("valid for %s, want the lease minus the drift allowance", until)
	}
	f.locker.EXPECT().Release(gomock.Any(), []string{"a"}, token).Return(nil)
	if err := l.Release(f.ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(f.ctx); err != nil {
		t.Errorf("second release = %v, want a no-op", err)
	}
	<-l.Context().Done()
	wantErr(t, "holder context cause", context.Cause(l.Context()), lockapp.ErrReleased)
}

func TestTryAcquireRefused(t *testing.T) {
	f := newFixture(t)
	f.locker.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(lock.Attempt{RetryIn: time.Second}, nil)
	_, err := f.svc.TryAcquire(f.ctx, "a")
	wantErr(t, "TryAcquire", err, lock.ErrNotAcquired)
}

func TestTryAcquireUnavailableGivesUp(t *testing.T) {
	f := newFixture(t)
	f.locker.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(lock.Attempt{}, ports.ErrUnavailable)
	// The script may have run before the reply was lost: the service lets go of whatever it might hold.
	f.locker.EXPECT().Release(gomock.Any(), []string{"a"}, gomock.Any()).Return(nil)
	_, err := f.svc.TryAcquire(f.ctx, "a")
	wantErr(t, "TryAcquire", err, ports.ErrUnavailable)
}

func TestInvalidInputTouchesNothing(t *testing.T) {
	f := newFixture(t)
	for _, err := range []error{
		func() error { _, err := f.svc.TryAcquire(f.ctx, "a:b"); return err }(),
		func() error { _, err := f.svc.Acquire(f.ctx, "a", lockapp.WithTTL(time.Millisecond)); return err }(),
		func() error { _, err := f.svc.AcquireMulti(f.ctx, []string{"a", "a"}); return err }(),
		func() error {
			_, err := f.svc.Grant(f.ctx, []string{"a"}, lock.Exclusive, time.Second, 2*time.Second)
			return err
		}(),
		f.svc.Extend(f.ctx, []string{"a"}, "short", time.Second),
		f.svc.Release(f.ctx, []string{"{a}"}, "AAAAAAAAAAAAAAAAAAAAAA"),
		func() error { _, err := f.svc.Inspect(f.ctx, "*"); return err }(),
		f.svc.WriteFenced(f.ctx, "k", "v", 0, 0),
		f.svc.WriteFenced(f.ctx, "k:x", "v", 1, 0),
	} {
		wantErr(t, "invalid input", err, lock.ErrInvalid)
	}
}

func TestAcquireWaitsForTheHandOver(t *testing.T) {
	f := newFixture(t)
	wakes := make(chan lock.Wake, 1)
	var token string
	// A plain attempt first (no registration for a free lock), then the queue.
	f.locker.EXPECT().Acquire(gomock.Any(), request([]string{"a"}, lock.Exclusive, time.Minute, false)).Return(lock.Attempt{RetryIn: time.Hour}, nil)
	f.locker.EXPECT().Notify(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, tok string) (<-chan lock.Wake, func(), error) {
		token = tok
		return wakes, func() {}, nil
	})
	f.locker.EXPECT().Acquire(gomock.Any(), request([]string{"a"}, lock.Exclusive, time.Minute, true)).
		DoAndReturn(func(_ context.Context, r lock.Request) (lock.Attempt, error) {
			if r.Token != token {
				t.Errorf("queued token %q, registered %q", r.Token, token)
			}
			// A wake-up for another name (left over from a multi-lock's earlier name) is not this grant;
			// then the real one arrives.
			go func() {
				wakes <- lock.Wake{Granted: true, Fence: 6, Name: "other"}
			}()
			return lock.Attempt{RetryIn: time.Hour}, nil
		})
	f.locker.EXPECT().Acquire(gomock.Any(), request([]string{"a"}, lock.Exclusive, time.Minute, true)).
		DoAndReturn(func(context.Context, lock.Request) (lock.Attempt, error) {
			go func() { wakes <- lock.Wake{Granted: true, Fence: 7, Name: "a"} }()
			return lock.Attempt{RetryIn: time.Hour}, nil
		})
	l, err := f.svc.Acquire(f.ctx, "a", lockapp.WithTTL(time.Minute), lockapp.WithoutRenewal())
	if err != nil {
		t.Fatal(err)
	}
	if l.Fence() != 7 {
		t.Errorf("fence %d, want the handed-over 7", l.Fence())
	}
	f.release(t, l)
}

// release releases l, expecting the store's release.
func (f fixture) release(t *testing.T, l *lockapp.Lock) {
	t.Helper()
	f.locker.EXPECT().Release(gomock.Any(), l.Names(), l.Token()).Return(nil)
	if err := l.Release(f.ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAcquireGivesUpWhenTheContextEnds(t *testing.T) {
	f := newFixture(t)
	f.locker.EXPECT().Notify(gomock.Any(), gomock.Any()).Return(make(chan lock.Wake), func() {}, nil)
	f.locker.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(lock.Attempt{RetryIn: time.Hour}, nil).Times(2)
	left := make(chan struct{})
	f.locker.EXPECT().Leave(gomock.Any(), "a", gomock.Any()).DoAndReturn(func(ctx context.Context, _, _ string) error {
		if ctx.Err() != nil {
			t.Error("Leave ran on the ended context")
		}
		close(left)
		return nil
	})
	ctx, cancel := context.WithCancel(f.ctx)
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	_, err := f.svc.Acquire(ctx, "a")
	wantErr(t, "Acquire", err, lock.ErrNotAcquired)
	wantErr(t, "Acquire", err, context.Canceled)
	<-left
}

func TestAcquirePollsWithoutWakeUps(t *testing.T) {
	f := newFixture(t)
	// Redlock: no wake-ups at all. Redis also fails once on the way.
	f.locker.EXPECT().Notify(gomock.Any(), gomock.Any()).Return(nil, func() {}, nil)
	gomock.InOrder(
		f.locker.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(lock.Attempt{RetryIn: time.Hour}, nil), // the plain attempt
		f.locker.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(lock.Attempt{RetryIn: time.Hour}, nil),
		f.locker.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(lock.Attempt{}, ports.ErrUnavailable),
		f.locker.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(lock.Attempt{RetryIn: time.Hour}, nil),
		f.locker.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(lock.Attempt{Acquired: true, Fences: []int64{9}}, nil),
	)
	l, err := f.svc.Acquire(f.ctx, "a", lockapp.WithoutRenewal())
	if err != nil || l.Fence() != 9 {
		t.Fatalf("Acquire = %v, %v", l, err)
	}
	f.release(t, l)
}

func TestRenewalAndLoss(t *testing.T) {
	f := newFixture(t)
	f.locker.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(lock.Attempt{Acquired: true, Fences: []int64{1}}, nil)
	const ttl = 300 * time.Millisecond
	extended := make(chan struct{}, 10)
	gomock.InOrder(
		f.locker.EXPECT().Extend(gomock.Any(), []string{"a"}, gomock.Any(), ttl).Times(3).DoAndReturn(
			func(context.Context, []string, string, time.Duration) error { extended <- struct{}{}; return nil }),
		f.locker.EXPECT().Extend(gomock.Any(), []string{"a"}, gomock.Any(), ttl).Return(lock.ErrNotHeld),
	)
	l, err := f.svc.TryAcquire(f.ctx, "a", lockapp.WithTTL(ttl))
	if err != nil {
		t.Fatal(err)
	}
	work := l.Context()
	<-work.Done() // three renewals, then the store says the lock is gone
	if len(extended) != 3 {
		t.Errorf("%d renewals before the loss, want 3", len(extended))
	}
	wantErr(t, "holder context cause", context.Cause(work), lock.ErrLost)
	wantErr(t, "Err", l.Err(), lock.ErrLost)
	f.locker.EXPECT().Release(gomock.Any(), []string{"a"}, gomock.Any()).Return(lock.ErrNotHeld)
	wantErr(t, "Release after the loss", l.Release(f.ctx), lock.ErrLost)
}

func TestRenewalGivesUpAtTheValidityEnd(t *testing.T) {
	f := newFixture(t)
	f.locker.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(lock.Attempt{Acquired: true, Fences: []int64{1}}, nil)
	// Redis stops answering: renewals are retried with backoff, but not past the lease's local validity.
	f.locker.EXPECT().Extend(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return(ports.ErrUnavailable).MinTimes(1)
	l, err := f.svc.TryAcquire(f.ctx, "a", lockapp.WithTTL(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	<-l.Context().Done()
	wantErr(t, "holder context cause", context.Cause(l.Context()), lock.ErrLost)
	if time.Now().Before(l.ValidUntil()) {
		t.Error("declared lost before its validity ended")
	}
}

func TestWithoutRenewalLapses(t *testing.T) {
	f := newFixture(t)
	f.locker.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(lock.Attempt{Acquired: true, Fences: []int64{1}}, nil)
	l, err := f.svc.TryAcquire(f.ctx, "a", lockapp.WithTTL(30*time.Millisecond), lockapp.WithoutRenewal())
	if err != nil {
		t.Fatal(err)
	}
	<-l.Context().Done() // no Extend call is expected: the mock would fail the test
	wantErr(t, "cause", context.Cause(l.Context()), lock.ErrLost)
}

func TestParentContextEndReleases(t *testing.T) {
	f := newFixture(t)
	f.locker.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(lock.Attempt{Acquired: true, Fences: []int64{1}}, nil)
	released := make(chan struct{})
	f.locker.EXPECT().Release(gomock.Any(), []string{"a"}, gomock.Any()).DoAndReturn(func(ctx context.Context, _ []string, _ string) error {
		if ctx.Err() != nil {
			t.Error("released on an ended context")
		}
		close(released)
		return nil
	})
	ctx, cancel := context.WithCancel(f.ctx)
	l, err := f.svc.TryAcquire(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-released
	<-l.Context().Done()
	wantErr(t, "cause", context.Cause(l.Context()), context.Canceled)
	if err := l.Release(f.ctx); err != nil {
		t.Errorf("Release after the context ended = %v, want a no-op", err)
	}
}

func TestAcquireMultiOrdersItsWaits(t *testing.T) {
	f := newFixture(t)
	names := []string{"c", "a", "b"}
	var waits []string
	f.locker.EXPECT().Acquire(gomock.Any(), request(names, lock.Exclusive, time.Minute, false)).Return(lock.Attempt{RetryIn: time.Second}, nil)
	f.locker.EXPECT().Notify(gomock.Any(), gomock.Any()).Return(nil, func() {}, nil).Times(3)
	fences := map[string]int64{"a": 10, "b": 20, "c": 30}
	f.locker.EXPECT().Acquire(gomock.Any(), gomock.Any()).Times(3).DoAndReturn(func(_ context.Context, r lock.Request) (lock.Attempt, error) {
		if !r.Queue || len(r.Names) != 1 {
			t.Errorf("ordered phase request %+v", r)
		}
		waits = append(waits, r.Names[0])
		return lock.Attempt{Acquired: true, Fences: []int64{fences[r.Names[0]]}}, nil
	})
	f.locker.EXPECT().Extend(gomock.Any(), names, gomock.Any(), time.Minute).Return(nil)
	l, err := f.svc.AcquireMulti(f.ctx, names, lockapp.WithTTL(time.Minute), lockapp.WithoutRenewal())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(waits, []string{"a", "b", "c"}) {
		t.Errorf("waited in order %v, want name order", waits)
	}
	if l.FenceOf("a") != 10 || l.FenceOf("b") != 20 || l.FenceOf("c") != 30 || l.Fence() != 30 {
		t.Errorf("fences %v", l.Lease().Fences)
	}
	f.release(t, l)
}

func TestAcquireMultiRollsBack(t *testing.T) {
	f := newFixture(t)
	f.locker.EXPECT().Acquire(gomock.Any(), request([]string{"a", "b"}, lock.Exclusive, time.Minute, false)).Return(lock.Attempt{}, nil)
	f.locker.EXPECT().Notify(gomock.Any(), gomock.Any()).Return(nil, func() {}, nil).Times(2)
	f.locker.EXPECT().Acquire(gomock.Any(), request([]string{"a"}, lock.Exclusive, time.Minute, true)).Return(lock.Attempt{Acquired: true, Fences: []int64{1}}, nil)
	errBoom := errors.New("boom")
	f.locker.EXPECT().Acquire(gomock.Any(), request([]string{"b"}, lock.Exclusive, time.Minute, true)).Return(lock.Attempt{}, errBoom)
	f.locker.EXPECT().Leave(gomock.Any(), "b", gomock.Any()).Return(nil)
	f.locker.EXPECT().Release(gomock.Any(), []string{"a"}, gomock.Any()).Return(nil)
	_, err := f.svc.AcquireMulti(f.ctx, []string{"a", "b"}, lockapp.WithTTL(time.Minute))
	wantErr(t, "AcquireMulti", err, errBoom)
}

func TestDo(t *testing.T) {
	f := newFixture(t)
	// A free lock: the plain attempt takes it, with no wake-up registration.
	f.locker.EXPECT().Acquire(gomock.Any(), gomock.Any()).Return(lock.Attempt{Acquired: true, Fences: []int64{3}}, nil)
	f.locker.EXPECT().Release(gomock.Any(), []string{"job"}, gomock.Any()).Return(nil)
	errFn := errors.New("work failed")
	err := f.svc.Do(f.ctx, "job", func(ctx context.Context, l *lockapp.Lock) error {
		if ctx.Err() != nil || l.Fence() != 3 {
			t.Errorf("fn ctx %v fence %d", ctx.Err(), l.Fence())
		}
		return errFn
	})
	wantErr(t, "Do", err, errFn)
}

func TestGrantAndFencedWrites(t *testing.T) {
	f := newFixture(t)
	f.locker.EXPECT().Acquire(gomock.Any(), request([]string{"a"}, lock.Shared, 30*time.Second, false)).Return(lock.Attempt{Acquired: true, Fences: []int64{5}}, nil)
	lease, err := f.svc.Grant(f.ctx, []string{"a"}, lock.Shared, 0, 0)
	if err != nil || lease.Fence() != 5 || lease.TTL != 30*time.Second || lease.Mode != lock.Shared {
		t.Fatalf("Grant = %+v, %v", lease, err)
	}
	f.fenced.EXPECT().Set(gomock.Any(), "acct", "v", int64(5), time.Duration(0)).Return(nil)
	if err := f.svc.WriteFenced(f.ctx, "acct", "v", 5, 0); err != nil {
		t.Fatal(err)
	}
	f.fenced.EXPECT().Get(gomock.Any(), "acct").Return("", int64(0), false, nil)
	_, _, err = f.svc.ReadFenced(f.ctx, "acct")
	wantErr(t, "ReadFenced of nothing", err, lock.ErrNoValue)
}
