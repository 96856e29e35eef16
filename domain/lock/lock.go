// Package lock holds the rules of the locks module: lock names, owner tokens, lease lengths, exclusive and
// shared (read-write) modes, multi-lock requests, fencing tokens, Redlock's quorum arithmetic and the retry
// policy of a blocking acquire. It knows nothing of Redis.
package lock

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Sentinel errors of the locks module. The HTTP adapter maps each to one status and problem type.
var (
	// ErrInvalid means the input breaks a rule of the module; it wraps a message naming the field.
	ErrInvalid = errors.New("invalid lock input")
	// ErrNotAcquired means the lock is held by someone else (a try) or the wait for it ended first.
	ErrNotAcquired = errors.New("lock not acquired")
	// ErrNotHeld means the token does not hold the lock: it was released, it expired, or it never held it.
	// Release and extend answer it and change nothing.
	ErrNotHeld = errors.New("lock not held")
	// ErrLost means a holder's lock ran out or could not be renewed before it expired: whatever the holder
	// does now is unprotected, so its context is cancelled. It is also an ErrNotHeld.
	ErrLost = fmt.Errorf("%w: lost", ErrNotHeld)
	// ErrStaleFence means a fenced write carried a fencing token older than one the resource already
	// accepted: a newer holder has written since, so the write is rejected.
	ErrStaleFence = errors.New("stale fencing token")
	// ErrNoValue means a fenced key holds no value.
	ErrNoValue = errors.New("fenced value not found")
)

// Limits on what a caller may ask for.
const (
	MaxNameLen = 128
	// MaxNames bounds one multi-lock request.
	MaxNames = 64
	// MinTTL and MaxTTL bound a lease. Long work renews a short lease rather than taking a long one.
	MinTTL = 10 * time.Millisecond
	MaxTTL = 24 * time.Hour
	// MaxValueLen bounds a fenced value.
	MaxValueLen = 64 << 10
)

// ValidateName accepts 1 to 128 characters of letters, digits and `_ . @ -`: never `:`, `{`, `}` or `*`, so
// a name sits inside a Redis key (as its hash tag) without escaping.
func ValidateName(name string) error {
	if name == "" || len(name) > MaxNameLen || !nameChars(name) {
		return fmt.Errorf("%w: lock name must be 1-%d characters of letters, digits and _ . @ -", ErrInvalid, MaxNameLen)
	}
	return nil
}

// ValidateNames checks a multi-lock set: 1 to MaxNames valid names, none twice.
func ValidateNames(names []string) error {
	if len(names) == 0 || len(names) > MaxNames {
		return fmt.Errorf("%w: names: want 1-%d lock names", ErrInvalid, MaxNames)
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if err := ValidateName(n); err != nil {
			return err
		}
		if seen[n] {
			return fmt.Errorf("%w: names: %q appears twice", ErrInvalid, n)
		}
		seen[n] = true
	}
	return nil
}

// ValidateTTL accepts a lease length between MinTTL and MaxTTL.
func ValidateTTL(ttl time.Duration) error {
	if ttl < MinTTL || ttl > MaxTTL {
		return fmt.Errorf("%w: ttl %s: must be between %s and %s", ErrInvalid, ttl, MinTTL, MaxTTL)
	}
	return nil
}

// tokenBytes is the entropy of an owner token: 128 bits, 22 unpadded base64url characters.
const tokenBytes = 16

// NewToken draws an owner token from crypto/rand: whoever presents it may extend and release the lock, so it
// must be unguessable.
func NewToken() (string, error) {
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("draw lock token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// ValidateToken accepts 16 to 64 base64url characters (NewToken makes 22).
func ValidateToken(token string) error {
	if len(token) < 16 || len(token) > 64 || !isBase64URL(token) {
		return fmt.Errorf("%w: token must be 16-64 base64url characters", ErrInvalid)
	}
	return nil
}

// nameChars reports whether s holds only letters, digits and `_ . @ -` (a loop, not a regexp: it runs on
// every acquisition).
func nameChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '@' || c == '-') {
			return false
		}
	}
	return true
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Mode says how a lock is held: exclusively (one holder; the writer of a read-write lock) or shared (any
// number of holders at once, none exclusive; the readers). A plain lock is the exclusive mode, so a name
// locked plainly also keeps readers out.
type Mode string

// The modes.
const (
	Exclusive Mode = "exclusive"
	Shared    Mode = "shared"
)

// Validate accepts the two modes.
func (m Mode) Validate() error {
	if m != Exclusive && m != Shared {
		return fmt.Errorf("%w: mode %q: want exclusive or shared", ErrInvalid, m)
	}
	return nil
}

// Request is one acquisition attempt.
type Request struct {
	// Names are the locks to take, all or none. Several names make a multi-lock.
	Names []string
	// Token is the owner token every taken name is held under.
	Token string
	Mode  Mode
	// TTL is how long the lease lasts unless extended.
	TTL time.Duration
	// Queue, on a failed attempt, leaves Token in the name's FIFO wait queue so that a release hands the
	// lock straight to it; only for a single name.
	Queue bool
}

// Validate checks every field.
func (r Request) Validate() error {
	err := errors.Join(ValidateNames(r.Names), ValidateToken(r.Token), r.Mode.Validate(), ValidateTTL(r.TTL))
	if err == nil && r.Queue && len(r.Names) != 1 {
		err = fmt.Errorf("%w: only a single-name request can queue", ErrInvalid)
	}
	return err
}

// Attempt is the outcome of one acquisition attempt.
type Attempt struct {
	Acquired bool
	// Fences holds, when acquired, the fencing token of each name in the request's order.
	Fences []int64
	// RetryIn, when not acquired, is how long until the lock could free up by itself (the remaining lease of
	// the holder in the way); zero when unknown.
	RetryIn time.Duration
}

// Wake is a message to a queued waiter: the lock Name was handed over to it (Granted, with its Fence), or it
// should look again now.
type Wake struct {
	Granted bool
	Fence   int64
	Name    string
}

// Lease is a held lock as its holder knows it.
type Lease struct {
	Names  []string
	Token  string
	Mode   Mode
	TTL    time.Duration
	Fences []int64
}

// Fence returns the fencing token of the lease's first (for a single lock, only) name.
func (l Lease) Fence() int64 {
	if len(l.Fences) == 0 {
		return 0
	}
	return l.Fences[0]
}

// FenceOf returns the fencing token the lease got for name, or 0 when it does not cover it.
func (l Lease) FenceOf(name string) int64 {
	if i := slices.Index(l.Names, name); i >= 0 && i < len(l.Fences) {
		return l.Fences[i]
	}
	return 0
}

// State is what anyone may see of a lock: never its token.
type State struct {
	Name string
	// Held reports whether anyone holds it; Mode says how, Holders how many (1 when exclusive).
	Held    bool
	Mode    Mode
	Holders int
	// TTL is the longest remaining lease among the holders.
	TTL time.Duration
	// Fence is the last fencing token issued for the name (0 when none is remembered).
	Fence int64
	// Waiters counts live entries of the FIFO wait queue.
	Waiters int
}
