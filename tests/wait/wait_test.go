package wait_test

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/tests/wait"
)

// recorder is a testing.TB that records a failure instead of stopping the calling goroutine for good; the
// helpers call Fatalf, which ends the goroutine, so each check runs in its own.
type recorder struct {
	testing.TB
	failed atomic.Bool
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(string, ...any) {
	r.failed.Store(true)
	runtime.Goexit()
}

func fails(t *testing.T, fn func(tb testing.TB)) bool {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r.failed.Load()
}

func TestUntil(t *testing.T) {
	var n atomic.Int32
	if fails(t, func(tb testing.TB) {
		wait.Until(tb, time.Second, time.Millisecond, "third poll", func() bool { return n.Add(1) >= 3 })
	}) || n.Load() != 3 {
		t.Errorf("Until failed or polled %d times, want 3", n.Load())
	}
	if !fails(t, func(tb testing.TB) {
		wait.Until(tb, 20*time.Millisecond, time.Millisecond, "never", func() bool { return false })
	}) {
		t.Error("Until did not fail on a condition that never holds")
	}
}

func TestReceiveAndNothing(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 7
	var got int
	if fails(t, func(tb testing.TB) { got = wait.Receive(tb, time.Second, "seven", ch) }) || got != 7 {
		t.Errorf("Receive = %d, want 7", got)
	}
	if !fails(t, func(tb testing.TB) { wait.Receive(tb, 20*time.Millisecond, "empty", ch) }) {
		t.Error("Receive did not fail on an empty channel")
	}
	if fails(t, func(tb testing.TB) { wait.Nothing(tb, 20*time.Millisecond, "empty", ch) }) {
		t.Error("Nothing failed on an empty channel")
	}
	ch <- 1
	if !fails(t, func(tb testing.TB) { wait.Nothing(tb, time.Second, "full", ch) }) {
		t.Error("Nothing did not fail when a value arrived")
	}
}
