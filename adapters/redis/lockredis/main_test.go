package lockredis_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/lockredis"
	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/wait"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// env is one contract test's store on its own key prefix.
type env struct {
	ctx   context.Context
	store *lockredis.Store
	tg    harness.Target
}

func newEnv(t *testing.T, tg harness.Target, tune ...func(*lockredis.Config)) env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cfg := lockredis.DefaultConfig(tg.Prefix)
	for _, f := range tune {
		f(&cfg)
	}
	s, err := lockredis.New(tg.Client, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return env{ctx: ctx, store: s, tg: tg}
}

func token(t testing.TB) string {
	t.Helper()
	tok, err := lock.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func req(tok string, mode lock.Mode, ttl time.Duration, names ...string) lock.Request {
	return lock.Request{Names: names, Token: tok, Mode: mode, TTL: ttl}
}

// take acquires or fails the test, returning the fences.
func (e env) take(t *testing.T, r lock.Request) []int64 {
	t.Helper()
	a, err := e.store.Acquire(e.ctx, r)
	if err != nil {
		t.Fatalf("Acquire(%v, %s): %v", r.Names, r.Mode, err)
	}
	if !a.Acquired {
		t.Fatalf("Acquire(%v, %s) not acquired (retry in %s), want acquired", r.Names, r.Mode, a.RetryIn)
	}
	if len(a.Fences) != len(r.Names) {
		t.Fatalf("Acquire(%v) fences %v", r.Names, a.Fences)
	}
	for _, f := range a.Fences {
		if f <= 0 {
			t.Fatalf("Acquire(%v) fence %d, want positive", r.Names, f)
		}
	}
	return a.Fences
}

// refused checks that an attempt fails without an error and returns its RetryIn.
func (e env) refused(t *testing.T, r lock.Request) time.Duration {
	t.Helper()
	a, err := e.store.Acquire(e.ctx, r)
	if err != nil {
		t.Fatalf("Acquire(%v, %s): %v", r.Names, r.Mode, err)
	}
	if a.Acquired {
		t.Fatalf("Acquire(%v, %s) acquired, want refused", r.Names, r.Mode)
	}
	return a.RetryIn
}

func (e env) state(t *testing.T, name string) lock.State {
	t.Helper()
	st, err := e.store.Inspect(e.ctx, name)
	if err != nil {
		t.Fatalf("Inspect(%s): %v", name, err)
	}
	return st
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitFor polls cond until it holds or 5 s pass (a bound for a test that would otherwise hang, not a timing
// assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wait.Until(t, 5*time.Second, 5*time.Millisecond, what, cond)
}

// wake waits for a wake-up message on ch, failing after 5 s.
func wake(t *testing.T, what string, ch <-chan lock.Wake) lock.Wake {
	t.Helper()
	return wait.Receive(t, 5*time.Second, what, ch)
}

// silent checks that nothing arrived on ch (messages are published by the script that makes the grant, so a
// grant that already happened has been sent; a short grace covers delivery).
func silent(t *testing.T, what string, ch <-chan lock.Wake) {
	t.Helper()
	wait.Nothing(t, 50*time.Millisecond, what, ch)
}
