package ports

//go:generate go tool mockgen -source=cache.go -destination=mocks/cache.go -package=mocks

import (
	"context"
	"time"

	"github.com/statekit/statekit/domain/cache"
)

// Cache is the shared (L2) tier of the multi-tier cache: encoded entries (cache.Entry.Encode) under keys
// that carry their namespace's generation, and a short per-entry load lock that lets one process load a
// missing value while the others wait. Failures to reach the backing store wrap ErrUnavailable.
type Cache interface {
	// Generation returns the namespace's current generation, creating it when absent. A created generation
	// starts at the store's clock in milliseconds, so a generation that was lost never comes back to an
	// older number and revives entries it had orphaned.
	Generation(ctx context.Context, namespace string) (int64, error)
	// BumpGeneration moves the namespace to a new, larger generation and returns it: every entry of the
	// older generations becomes unreachable at once (O(1), no scan) and expires on its own TTL.
	BumpGeneration(ctx context.Context, namespace string) (int64, error)
	// Get returns the stored entry bytes, or cache.ErrMiss when there are none.
	Get(ctx context.Context, ref cache.Ref) ([]byte, error)
	// Set stores entry bytes for ttl and drops the entry's load lock, so a load that was running when the
	// value was written cannot overwrite it (its Fill reports false).
	Set(ctx context.Context, ref cache.Ref, entry []byte, ttl time.Duration) error
	// Delete removes the entry and its load lock (see Set).
	Delete(ctx context.Context, ref cache.Ref) error
	// Acquire returns the stored entry when there is one that does not start with seen (seen is nil, or the
	// header of the stale entry the caller already has); otherwise it tries to take the entry's load lock for
	// token, held for lockTTL, and reports whether it did.
	Acquire(ctx context.Context, ref cache.Ref, token string, lockTTL time.Duration, seen []byte) (entry []byte, locked bool, err error)
	// Fill stores entry bytes for ttl and releases the load lock, but only while token still holds the lock:
	// it reports false (storing nothing) when the lock expired or a Set or Delete dropped it meanwhile.
	Fill(ctx context.Context, ref cache.Ref, token string, entry []byte, ttl time.Duration) (bool, error)
	// Release drops the load lock if token holds it (a load that failed), so waiters may try themselves.
	Release(ctx context.Context, ref cache.Ref, token string) error
}
