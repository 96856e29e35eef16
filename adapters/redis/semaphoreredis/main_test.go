package semaphoreredis_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/semaphoreredis"
	"github.com/statekit/statekit/domain/semaphore"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/wait"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

type env struct {
	ctx   context.Context
	store *semaphoreredis.Store
}

func newEnv(t *testing.T, tg harness.Target) env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	s, err := semaphoreredis.New(tg.Client, semaphoreredis.DefaultConfig(tg.Prefix), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return env{ctx: ctx, store: s}
}

func id(t testing.TB) string {
	t.Helper()
	v, err := semaphore.NewPermitID()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func req(pool, permit string, weight int, ttl time.Duration, capacity int) semaphore.Request {
	return semaphore.Request{Pool: pool, ID: permit, Weight: weight, TTL: ttl, Capacity: capacity}
}

func (e env) take(t *testing.T, r semaphore.Request) {
	t.Helper()
	a, err := e.store.Acquire(e.ctx, r)
	if err != nil || !a.Acquired {
		t.Fatalf("Acquire(%s, weight %d): %+v, %v; want acquired", r.Pool, r.Weight, a, err)
	}
}

func (e env) refused(t *testing.T, r semaphore.Request) time.Duration {
	t.Helper()
	a, err := e.store.Acquire(e.ctx, r)
	if err != nil || a.Acquired {
		t.Fatalf("Acquire(%s, weight %d): %+v, %v; want refused", r.Pool, r.Weight, a, err)
	}
	return a.RetryIn
}

// queued registers the id for wake-ups and queues it.
func (e env) queued(t *testing.T, r semaphore.Request) <-chan semaphore.Wake {
	t.Helper()
	ch, stop, err := e.store.Notify(e.ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	r.Queue = true
	e.refused(t, r)
	return ch
}

func (e env) stats(t *testing.T, pool string) semaphore.Stats {
	t.Helper()
	st, err := e.store.Stats(e.ctx, pool)
	if err != nil {
		t.Fatalf("Stats(%s): %v", pool, err)
	}
	return st
}

func wantStats(t *testing.T, got semaphore.Stats, capacity, used, holders, waiters int) {
	t.Helper()
	if got.Capacity != capacity || got.Used != used || got.Holders != holders || got.Waiters != waiters {
		t.Errorf("Stats = %+v, want capacity %d used %d holders %d waiters %d", got, capacity, used, holders, waiters)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: %v, want %v", what, err, want)
	}
}

// wake waits for a wake-up message on ch, failing after 5 s.
func wake(t *testing.T, what string, ch <-chan semaphore.Wake) semaphore.Wake {
	t.Helper()
	return wait.Receive(t, 5*time.Second, what, ch)
}

// silent checks that nothing arrived on ch within a short grace for delivery.
func silent(t *testing.T, what string, ch <-chan semaphore.Wake) {
	t.Helper()
	wait.Nothing(t, 50*time.Millisecond, what, ch)
}
