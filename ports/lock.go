package ports

//go:generate go tool mockgen -source=lock.go -destination=mocks/lock.go -package=mocks

import (
	"context"
	"time"

	"github.com/statekit/statekit/domain/lock"
)

// Locker keeps distributed locks: exclusive or shared (read-write), one name or several at once, each grant
// carrying a fencing token. Every method is atomic per hash slot and one round trip per slot it touches (one
// in all on a single Redis node). The Redlock implementation runs each call on a quorum of independent masters.
type Locker interface {
	// Acquire makes one attempt to take every name of req under req.Token, all or none; names in several hash
	// slots are taken slot by slot in a fixed order and rolled back when one fails. A successful attempt
	// returns the fencing tokens. A failed one changes nothing, except that with req.Queue the token joins the
	// name's FIFO wait queue: a later release then hands the lock to the head of the queue directly and
	// announces it on the token's Notify channel. A queued waiter repeats Acquire to stay in the queue (its
	// entry lapses otherwise) and calls Leave when it gives up. An acquisition the token already holds (it was
	// handed over) succeeds again with the same fence.
	Acquire(ctx context.Context, req lock.Request) (lock.Attempt, error)
	// Extend sets the remaining lease of every name token holds to ttl. It returns lock.ErrNotHeld when token
	// does not hold one of them (the others are still extended).
	Extend(ctx context.Context, names []string, token string, ttl time.Duration) error
	// Release frees every name token holds and hands each to the head of its wait queue. It returns
	// lock.ErrNotHeld when token held none or only some of them.
	Release(ctx context.Context, names []string, token string) error
	// Leave takes a waiter out of name's queue; when the lock was handed to it meanwhile, it releases it.
	Leave(ctx context.Context, name, token string) error
	// Notify registers token for wake-up messages (hand-overs) before it queues. stop unregisters it. The
	// channel may stay silent (messages can be lost while reconnecting; Redlock has no queue): waiters also
	// look again after Attempt.RetryIn.
	Notify(ctx context.Context, token string) (wakes <-chan lock.Wake, stop func(), err error)
	// Inspect reports a lock's state without its token.
	Inspect(ctx context.Context, name string) (lock.State, error)
}

// FencedStore is a resource protected by fencing tokens: a value per key that only accepts writes carrying a
// fencing token at least as large as the largest it has accepted (lock.CheckFence), checked and written in one
// atomic step.
type FencedStore interface {
	// Set writes value under key when fence is not older than the key's fence, and records fence. ttl 0 keeps
	// the value until overwritten. It returns lock.ErrStaleFence, changing nothing, for an older fence.
	Set(ctx context.Context, key, value string, fence int64, ttl time.Duration) error
	// Get returns the value and the fence of its last write; found is false when the key holds nothing.
	Get(ctx context.Context, key string) (value string, fence int64, found bool, err error)
}
