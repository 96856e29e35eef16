package cachetest

import (
	"context"
	"testing"
	"time"

	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/domain/cache"
	"github.com/statekit/statekit/tests/harness"
)

// TestXFetchRefreshesBeforeExpiry drives one key under steady load on a simulated clock: a request every
// 10 ms, a 10 s TTL, a loader that takes 100 ms (the test moves the clock while the loader is blocked) and
// beta 1. It checks that every refresh after the first load is an early one (no reader ever meets an expired
// value), that each starts at most 2 s before expiry, and hence that there is exactly one load per TTL window.
//
// The statistical bound. A request at gap g before expiry refreshes with probability exp(-g/δ), δ = 100 ms.
// With requests at g = k·10 ms:
//   - no refresh before expiry in a window: Π_k (1 - e^(-k/10)) ≈ exp(-10·π²/6) ≈ 7e-8;
//   - a refresh earlier than 2 s before expiry: at most Σ_{k>200} e^(-k/10) ≈ 10·e^(-20) ≈ 2e-8.
//
// Over the 5 windows the test runs, it fails by chance with probability below 5e-7.
func TestXFetchRefreshesBeforeExpiry(t *testing.T) {
	t.Parallel()
	const (
		ttl     = 10 * time.Second
		delta   = 100 * time.Millisecond
		step    = 10 * time.Millisecond
		windows = 5
		maxGap  = 2 * time.Second
	)
	tg := harness.Standalone(t)
	ctx := ctxT(t)
	clock := newFakeClock()
	cfg := testConfig()
	cfg.Policy = cache.Policy{TTL: ttl, Beta: 1}
	cfg.L1TTL = time.Hour
	a := newNode(t, tg, cfg, clock)

	started := make(chan struct{})
	release := make(chan struct{})
	loads := 0
	load := func(context.Context) (int, error) {
		started <- struct{}{}
		<-release
		return loads, nil
	}
	type result struct {
		v   int
		err error
	}
	get := func() <-chan result {
		ch := make(chan result, 1)
		go func() {
			v, err := cacheapp.GetOrLoad(ctx, a.svc, "xfetch", "k", load)
			ch <- result{v, err}
		}()
		return ch
	}
	// runLoad lets a load that has started take delta of simulated time, and returns when it finishes.
	runLoad := func() time.Time {
		loads++
		clock.Advance(delta)
		release <- struct{}{}
		return clock.Now()
	}

	// The first load happens in the foreground.
	first := get()
	<-started
	filled := runLoad()
	if r := <-first; r.err != nil || r.v != 1 {
		t.Fatalf("first load = %d, %v", r.v, r.err)
	}
	expiry := filled.Add(ttl)
	var refreshStarts []time.Time
	var pollMisses uint64
	for len(refreshStarts) < windows {
		now := clock.Advance(step)
		if now.After(expiry.Add(time.Second)) {
			t.Fatalf("no refresh by %s past expiry", now.Sub(expiry))
		}
		before := a.svc.Stats().EarlyRefreshes
		ch := get()
		var r result
		select {
		case r = <-ch:
		case <-started: // a foreground load: the value expired before any early refresh
			t.Fatalf("a reader met an expired value at +%s past expiry (refresh %d)", now.Sub(expiry), len(refreshStarts)+1)
		}
		if r.err != nil || r.v != loads {
			t.Fatalf("read = %d, %v; want %d", r.v, r.err, loads)
		}
		if a.svc.Stats().EarlyRefreshes == before {
			continue
		}
		// This read started an early refresh in the background.
		<-started
		if gap := expiry.Sub(now); gap <= 0 || gap > maxGap {
			t.Errorf("refresh %d started %s before expiry, want within (0, %s]", len(refreshStarts)+1, gap, maxGap)
		}
		refreshStarts = append(refreshStarts, now)
		// More readers during the load share it: none starts another one.
		for range 5 {
			if r := <-get(); r.err != nil || r.v != loads {
				t.Fatalf("read during the refresh = %d, %v", r.v, r.err)
			}
		}
		filled = runLoad()
		want := loads
		// The poll below may itself miss while the refresh lands; count those apart from the readers' misses.
		missesBefore := a.svc.Stats().Misses
		waitFor(t, "the refreshed value", func() bool {
			v, err := cacheapp.Get[int](ctx, a.svc, "xfetch", "k")
			return err == nil && v == want
		})
		pollMisses += a.svc.Stats().Misses - missesBefore
		expiry = filled.Add(ttl)
	}
	for i := 1; i < len(refreshStarts); i++ {
		if d := refreshStarts[i].Sub(refreshStarts[i-1]); d < ttl+delta-maxGap {
			t.Errorf("refreshes %d and %d only %s apart, want one per TTL window", i, i+1, d)
		}
	}
	if s := a.svc.Stats(); s.Loads != windows+1 || s.EarlyRefreshes != windows || s.Misses-pollMisses != 1 || s.StaleServed != 0 {
		t.Errorf("loads %d, early refreshes %d, misses %d (besides %d by the test's polling), stale %d; want %d, %d, 1, 0",
			s.Loads, s.EarlyRefreshes, s.Misses-pollMisses, pollMisses, s.StaleServed, windows+1, windows)
	}
}
