package fakeclock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/statekit/statekit/tests/fakeclock"
)

var start = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

// The clock stands still between moves, Advance adds to where it is and Set jumps anywhere, back included.
func TestClock(t *testing.T) {
	c := fakeclock.New(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %s, want %s", got, start)
	}
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now moved by itself: %s, want %s", got, start)
	}
	if got, want := c.Advance(90*time.Second), start.Add(90*time.Second); !got.Equal(want) {
		t.Fatalf("Advance returned %s, want %s", got, want)
	}
	if got, want := c.Advance(time.Millisecond), start.Add(90*time.Second+time.Millisecond); !got.Equal(want) {
		t.Fatalf("second Advance returned %s, want %s", got, want)
	}
	if got, want := c.Now(), start.Add(90*time.Second+time.Millisecond); !got.Equal(want) {
		t.Fatalf("Now after Advance = %s, want %s", got, want)
	}
	back := start.Add(-time.Hour)
	c.Set(back)
	if got := c.Now(); !got.Equal(back) {
		t.Fatalf("Now after Set = %s, want %s", got, back)
	}
}

// Concurrent advances all land: none is lost to a race (run with -race).
func TestClockConcurrent(t *testing.T) {
	c := fakeclock.New(start)
	const n = 100
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c.Advance(time.Second)
			_ = c.Now()
		})
	}
	wg.Wait()
	if got, want := c.Now(), start.Add(n*time.Second); !got.Equal(want) {
		t.Fatalf("Now after %d concurrent advances = %s, want %s", n, got, want)
	}
}
