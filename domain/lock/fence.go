package lock

import (
	"fmt"
	"time"
)

// Fencing (Kleppmann, "How to do distributed locking"): every successful acquisition returns a number that is
// strictly greater than every number issued before for the same lock name. The holder sends it with each
// write to the protected resource; the resource remembers the highest fence it accepted and rejects a write
// carrying a smaller one. A holder that was paused past its lease (GC, swap, a stopped VM) and wakes up
// believing it still holds the lock is then refused, because the holder that took over wrote with a larger
// fence.
//
// Issued fences are max(last issued + 1, lock server clock in microseconds). The clock floor keeps them
// increasing even when the remembered "last issued" value is gone (its key expires some time after the lock
// is idle, so fencing state does not grow without bound, and a failover may lose the latest write), as long
// as the lock server's clock does not step back by more than the idle time in between.

// CheckFence applies the resource side of fencing: a write with fence presented is accepted when presented is
// at least the highest fence the resource has accepted (stored, 0 for none). An equal fence is the same holder
// writing again. It returns ErrStaleFence for an older fence and ErrInvalid for a fence below 1.
func CheckFence(stored, presented int64) error {
	if presented < 1 {
		return fmt.Errorf("%w: fence %d: must be positive", ErrInvalid, presented)
	}
	if presented < stored {
		return fmt.Errorf("%w: fence %d is older than %d", ErrStaleFence, presented, stored)
	}
	return nil
}

// Quorum is how many of n independent Redlock masters must grant a lock: a strict majority.
func Quorum(n int) int { return n/2 + 1 }

// ClockDriftFloor is added to the drift allowance of Redlock's validity, for the granularity of Redis expiry.
const ClockDriftFloor = 2 * time.Millisecond

// Validity is how long a Redlock lease acquired with ttl may still be relied on after acquisition took
// elapsed: ttl minus elapsed minus the clock drift allowance (driftFactor of ttl plus ClockDriftFloor).
// Zero or less means the lease must be treated as not acquired.
func Validity(ttl, elapsed time.Duration, driftFactor float64) time.Duration {
	drift := time.Duration(float64(ttl)*driftFactor) + ClockDriftFloor
	return ttl - elapsed - drift
}
