// Package semaphore holds the rules of the semaphore module: named pools of permits with a capacity, permits
// that expire unless their holder refreshes them, weighted (several-permit) acquisition, and FIFO fairness
// among waiters. It knows nothing of Redis.
package semaphore

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Sentinel errors of the semaphore module. The HTTP adapter maps each to one status and problem type.
var (
	// ErrInvalid means the input breaks a rule of the module; it wraps a message naming the field.
	ErrInvalid = errors.New("invalid semaphore input")
	// ErrNotAcquired means no permit was free (a try) or the wait for one ended first.
	ErrNotAcquired = errors.New("no permit acquired")
	// ErrNotHeld means the permit id holds nothing in the pool: released, expired, or never granted.
	ErrNotHeld = errors.New("permit not held")
	// ErrLost means a holder's permit expired or could not be refreshed in time; the holder's context is
	// cancelled. It is also an ErrNotHeld.
	ErrLost = fmt.Errorf("%w: lost", ErrNotHeld)
	// ErrNoPool means the pool has no capacity: it was never created and the request did not give one.
	ErrNoPool = errors.New("semaphore pool not found")
	// ErrTooHeavy means a request wants more permits than the pool's capacity, so it could never be granted.
	ErrTooHeavy = fmt.Errorf("%w: weight exceeds the pool's capacity", ErrInvalid)
)

// Limits on what a caller may ask for.
const (
	MaxPoolLen  = 128
	MaxCapacity = 1_000_000
	// MinTTL and MaxTTL bound a permit's lease.
	MinTTL = 10 * time.Millisecond
	MaxTTL = 24 * time.Hour
)

var poolPattern = regexp.MustCompile(`^[A-Za-z0-9_.@\-]+$`)

// ValidatePool accepts 1 to 128 characters of letters, digits and `_ . @ -` (never `:`, `{`, `}` or `*`, so a
// pool name is a safe Redis hash tag).
func ValidatePool(pool string) error {
	if pool == "" || len(pool) > MaxPoolLen || !poolPattern.MatchString(pool) {
		return fmt.Errorf("%w: pool name must be 1-%d characters of letters, digits and _ . @ -", ErrInvalid, MaxPoolLen)
	}
	return nil
}

// ValidateCapacity accepts 1 to MaxCapacity permits.
func ValidateCapacity(n int) error {
	if n < 1 || n > MaxCapacity {
		return fmt.Errorf("%w: capacity %d: must be between 1 and %d", ErrInvalid, n, MaxCapacity)
	}
	return nil
}

// ValidateTTL accepts a permit lease between MinTTL and MaxTTL.
func ValidateTTL(ttl time.Duration) error {
	if ttl < MinTTL || ttl > MaxTTL {
		return fmt.Errorf("%w: ttl %s: must be between %s and %s", ErrInvalid, ttl, MinTTL, MaxTTL)
	}
	return nil
}

// NewPermitID draws a permit id from crypto/rand: 128 bits, 22 base64url characters. The id is the holder's
// proof of ownership for refresh and release, so it must be unguessable.
func NewPermitID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("draw permit id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// ValidatePermitID accepts 16 to 64 base64url characters.
func ValidatePermitID(id string) error {
	if len(id) < 16 || len(id) > 64 {
		return fmt.Errorf("%w: permit id must be 16-64 base64url characters", ErrInvalid)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%w: permit id must be 16-64 base64url characters", ErrInvalid)
		}
	}
	return nil
}

// Request is one attempt to take permits from a pool.
type Request struct {
	Pool string
	// ID names the permit; the holder refreshes and releases with it.
	ID string
	// Weight is how many permits to take at once, all or none (at least 1).
	Weight int
	// TTL is how long the permit lasts unless refreshed.
	TTL time.Duration
	// Capacity, when not zero, creates the pool with this capacity if it does not exist yet; an existing
	// pool keeps its own.
	Capacity int
	// Queue, on a failed attempt, leaves ID in the pool's FIFO wait queue: permits freed later go to
	// waiters strictly in arrival order, so a later waiter never overtakes an earlier one.
	Queue bool
}

// Validate checks every field.
func (r Request) Validate() error {
	errs := []error{ValidatePool(r.Pool), ValidatePermitID(r.ID), ValidateTTL(r.TTL)}
	if r.Weight < 1 || r.Weight > MaxCapacity {
		errs = append(errs, fmt.Errorf("%w: weight %d: must be between 1 and %d", ErrInvalid, r.Weight, MaxCapacity))
	}
	if r.Capacity != 0 {
		errs = append(errs, ValidateCapacity(r.Capacity))
	}
	if r.Capacity != 0 && r.Weight > r.Capacity {
		errs = append(errs, fmt.Errorf("%w (%d > %d)", ErrTooHeavy, r.Weight, r.Capacity))
	}
	return errors.Join(errs...)
}

// Attempt is the outcome of one acquisition attempt.
type Attempt struct {
	Acquired bool
	// RetryIn, when not acquired, is how long until the earliest permit in the pool expires by itself; zero
	// when unknown.
	RetryIn time.Duration
}

// Wake is a message to a queued waiter: its permits were granted to it, or it should look again now.
type Wake struct {
	Granted bool
}

// Permit is a held permit as its holder knows it.
type Permit struct {
	Pool   string
	ID     string
	Weight int
	TTL    time.Duration
}

// Stats is what anyone may see of a pool.
type Stats struct {
	Pool     string
	Capacity int
	// Used is how many permits live holders have (weights summed); Holders how many holders.
	Used    int
	Holders int
	// Waiters counts live entries of the FIFO wait queue.
	Waiters int
}

// Available is how many permits are free now.
func (s Stats) Available() int {
	if s.Used >= s.Capacity {
		return 0
	}
	return s.Capacity - s.Used
}
