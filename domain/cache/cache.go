// Package cache holds the rules of the multi-tier cache: what a namespace and a key may look like, how an
// entry is laid out in Redis (format version, load time, expiry windows, the "not found" marker), when an
// entry is fresh, stale or dead, the XFetch rule for recomputing early, and the cache.invalidated event.
package cache

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Sentinel errors of the cache module. The HTTP adapter maps each to one status and problem type.
var (
	// ErrInvalid means a namespace, key or policy breaks a rule; it wraps a message naming the field.
	ErrInvalid = errors.New("invalid cache input")
	// ErrMiss means the cache holds no usable value for the key and no loader was given.
	ErrMiss = errors.New("cache miss")
	// ErrNotFound is what a loader returns (or wraps) when the value does not exist at its source. The cache
	// remembers that answer for the negative TTL and returns ErrNotFound to every caller until then.
	ErrNotFound = errors.New("not found")
	// ErrOverloaded means too many loads are running in this process and no stale value could stand in.
	ErrOverloaded = errors.New("cache overloaded: too many loads in flight")
	// ErrCorrupt means stored bytes are not an entry this version understands.
	ErrCorrupt = errors.New("corrupt cache entry")
)

// Limits on names.
const (
	MaxNamespaceLen = 64
	MaxKeyLen       = 512
)

// ValidateNamespace accepts 1 to 64 characters of letters, digits and `_ . -`.
func ValidateNamespace(ns string) error {
	if ns == "" || len(ns) > MaxNamespaceLen {
		return fmt.Errorf("%w: namespace must be 1-%d characters of letters, digits and _ . -", ErrInvalid, MaxNamespaceLen)
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return fmt.Errorf("%w: namespace %q: only letters, digits and _ . - are allowed", ErrInvalid, ns)
		}
	}
	return nil
}

// ValidateKey accepts 1 to 512 bytes of valid UTF-8 without spaces, control characters, `:`, `{`, `}` or `*`,
// so a key sits inside a Redis key (and its hash tag) without escaping and can never widen a pattern.
func ValidateKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("%w: key must be 1-%d bytes", ErrInvalid, MaxKeyLen)
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("%w: key is not valid UTF-8", ErrInvalid)
	}
	for _, r := range key {
		switch {
		case r <= ' ' || r == 0x7f || r >= 0x80 && r < 0xa0:
			return fmt.Errorf("%w: key %q: no spaces or control characters", ErrInvalid, key)
		case r == ':' || r == '{' || r == '}' || r == '*':
			return fmt.Errorf("%w: key %q: the characters : { } * are not allowed", ErrInvalid, key)
		}
	}
	return nil
}

// Ref names one entry in the shared tier: its namespace, the namespace's generation the entry belongs to,
// and its key. Bumping the generation orphans every entry of the older one at once.
type Ref struct {
	Namespace  string
	Generation int64
	Key        string
}

// Validate checks the namespace and the key.
func (r Ref) Validate() error {
	return errors.Join(ValidateNamespace(r.Namespace), ValidateKey(r.Key))
}
