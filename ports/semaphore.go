package ports

//go:generate go tool mockgen -source=semaphore.go -destination=mocks/semaphore.go -package=mocks

import (
	"context"
	"time"

	"github.com/statekit/statekit/domain/semaphore"
)

// Semaphore keeps named pools of expiring permits with FIFO fairness. Every method is one atomic round trip.
// Expired permits are reclaimed by whichever call meets them first, and the freed permits go to waiters in
// arrival order.
type Semaphore interface {
	// Acquire makes one attempt to take req.Weight permits, all or none. It succeeds only when the permits
	// are free and nobody queued earlier is still waiting (no overtaking). With req.Queue a failed attempt
	// leaves req.ID in the pool's FIFO queue: when permits free up they are granted to the head of the queue
	// and announced on the id's Notify channel. A queued waiter repeats Acquire to stay in the queue and
	// calls Leave when it gives up. It returns semaphore.ErrNoPool when the pool has no capacity and req
	// gives none, and semaphore.ErrTooHeavy when req.Weight exceeds the capacity.
	Acquire(ctx context.Context, req semaphore.Request) (semaphore.Attempt, error)
	// Refresh sets the permit's remaining lease to ttl; semaphore.ErrNotHeld when it is gone.
	Refresh(ctx context.Context, pool, id string, ttl time.Duration) error
	// Release returns the permit's weight to the pool; semaphore.ErrNotHeld when it is gone.
	Release(ctx context.Context, pool, id string) error
	// Leave takes a waiter out of the queue; when permits were granted to it meanwhile, it releases them.
	Leave(ctx context.Context, pool, id string) error
	// Notify registers id for wake-up messages before it queues; stop unregisters it. Messages can be lost
	// while reconnecting, so waiters also look again after Attempt.RetryIn.
	Notify(ctx context.Context, id string) (wakes <-chan semaphore.Wake, stop func(), err error)
	// SetCapacity creates the pool or changes its capacity; a larger capacity grants waiting requests at
	// once, a smaller one takes no permit back but grants nothing until use falls below it.
	SetCapacity(ctx context.Context, pool string, capacity int) (semaphore.Stats, error)
	// Stats reports capacity, use, holders and waiters; semaphore.ErrNoPool for an unknown pool.
	Stats(ctx context.Context, pool string) (semaphore.Stats, error)
	// Delete removes the pool with its permits and queue; waiting requests fail with semaphore.ErrNoPool.
	Delete(ctx context.Context, pool string) error
}
