// Package semaphoretest is an in-memory semaphoreapp.Acquirer for unit tests of code that takes permits: no
// Redis, and pools that really never grant more than their capacity to the goroutines of the test. A
// behaviour suite runs against it and against the real semaphore on Redis, so what a test learns from the
// fake holds for the real one.
//
//	sem := semaphoretest.New()
//	client := NewPartnerClient(sem) // production: the *semaphoreapp.Service
package semaphoretest

import (
	"github.com/statekit/statekit/app/semaphoreapp"
)

// Fake is the real semaphoreapp.Service over an in-memory store, so its *semaphoreapp.Permit values
// refresh, cancel their holder context when lost and release as Redis-backed ones do. Pools are created by
// the first acquisition that names a capacity (semaphoreapp.WithCapacity) or by SetCapacity. The store has
// no wait queue: whatever frees permits wakes every blocked Acquire to look again, so waiters are not served
// in arrival order. Permits expire by the wall clock. Safe for concurrent use.
type Fake struct {
	*semaphoreapp.Service
	mem *memory
}

var _ semaphoreapp.Acquirer = (*Fake)(nil)

// New returns a fake with semaphoreapp.DefaultConfig and no pools.
func New() *Fake {
	mem := newMemory()
	return &Fake{Service: semaphoreapp.NewService(mem, semaphoreapp.DefaultConfig()), mem: mem}
}

// Break takes every permit of pool away from its holders, as if their leases had run out while they were
// paused: each holder's next refresh (a third of its lease, or Permit.Refresh) finds its permit gone and
// cancels the holder's context with a semaphore.ErrLost cause. Use it to test what code does when it loses
// its permit.
func (f *Fake) Break(pool string) { f.mem.drop(pool) }
