// Package locktest is an in-memory lockapp.Locker for unit tests of code that takes locks: no Redis, and
// real exclusion between the goroutines of the test. A behaviour suite runs against it and against the
// real locks on Redis, so what a test learns from the fake holds for the real one.
//
//	locks := locktest.New()
//	job := NewReportJob(locks) // production: the *lockapp.Service
package locktest

import (
	"github.com/statekit/statekit/app/lockapp"
)

// Fake is the real lockapp.Service over an in-memory lock store, so its *lockapp.Lock values renew,
// cancel their holder context when lost and release as Redis-backed ones do. The store has no wait queue:
// a blocked Acquire looks again with backoff (as over Redlock) instead of being handed the lock in FIFO
// order. Leases and fenced values expire by the wall clock. Safe for concurrent use.
type Fake struct {
	*lockapp.Service
	mem *memory
}

var _ lockapp.Locker = (*Fake)(nil)

// New returns a fake with lockapp.DefaultConfig.
func New() *Fake {
	mem := newMemory()
	return &Fake{Service: lockapp.NewService(mem, mem, lockapp.DefaultConfig()), mem: mem}
}

// Break takes name away from whoever holds it, as if its lease had run out while the holder was paused:
// the holder's next renewal (a third of its lease, or Lock.Extend) finds the lock gone, cancels the holder's context (with a lock.ErrLost cause)
// and its Release reports lock.ErrLost. Use it to test what code does when it loses a lock.
func (f *Fake) Break(name string) { f.mem.drop(name) }
