// Package wait holds the waiting helpers the tests share: polling a condition, receiving from a channel, and
// checking that nothing arrives. Each bound fails the test rather than let it hang; none is a timing claim.
package wait

import (
	"testing"
	"time"
)

// Until polls cond every interval until it holds, failing the test once timeout has passed.
func Until(t testing.TB, timeout, every time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after %s", what, timeout)
		}
		time.Sleep(every)
	}
}

// Receive returns the next value on ch, failing the test when none arrives within timeout.
func Receive[T any](t testing.TB, timeout time.Duration, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(timeout):
		t.Fatalf("%s: nothing received after %s", what, timeout)
		var zero T
		return zero
	}
}

// Nothing fails the test when a value arrives on ch within grace.
func Nothing[T any](t testing.TB, grace time.Duration, what string, ch <-chan T) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("%s: unexpected %+v", what, v)
	case <-time.After(grace):
	}
}
