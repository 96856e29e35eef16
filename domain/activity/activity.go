// Package activity holds the activity-tracking module's types, rules and events: what a user did (an
// action on an object, with properties, in a session), feeds and session replays, funnels ("did A then B
// then C within T") and detectors of suspicious patterns such as repeated failed logins.
package activity

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Sentinel errors of the activity module. The HTTP adapter maps each to one status and problem type.
var (
	// ErrInvalid means the input breaks a rule of the module; it wraps a message naming the field.
	ErrInvalid = errors.New("invalid activity input")
)

// Well-known actions. Any action matching the action rule may be recorded; these have a meaning.
const (
	// ActionLoginFailed is recorded by whoever checks passwords; the failed-login detector counts it.
	ActionLoginFailed = "login.failed"
	// ActionCartMerged is recorded by the module itself when it sees cart.merged.
	ActionCartMerged = "cart.merged"
)

// Limits on what an activity may hold.
const (
	MaxIDLen         = 128
	MaxActionLen     = 64
	MaxObjectLen     = 256
	MaxProperties    = 32
	MaxPropNameLen   = 64
	MaxPropValueLen  = 1024
	MaxPageSize      = 1000
	DefaultPageSize  = 50
	MaxFunnelSteps   = 10
	MaxFunnelWithin  = 90 * 24 * time.Hour
	MaxFunnelRange   = 366 * 24 * time.Hour
	MinDetectorLimit = 2
)

var (
	idPattern       = regexp.MustCompile(`^[A-Za-z0-9_.@\-]{1,128}$`)
	actionPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_.\-]{0,63}$`)
	propNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,64}$`)
	cursorPattern   = regexp.MustCompile(`^[0-9]{1,20}-[0-9]{1,20}$`)
)

// Activity is one thing a user did, as stored and read back.
type Activity struct {
	// ID identifies the activity: the caller's idempotency key, or one drawn when none was given.
	ID         string
	UserID     string
	Action     string
	Object     string
	Properties map[string]string
	SessionID  string
	// At is when the activity was recorded (Redis server time, or a test's simulated clock); feeds,
	// replays and funnels are ordered by it.
	At time.Time
	// Cursor is the activity's position in the feed it was read from; pass it back to page on.
	Cursor string
}

// NewActivity is what a caller records.
type NewActivity struct {
	// ID, when set, makes recording idempotent: recording the same ID for the same user again (within the
	// dedupe window) stores nothing new and returns the first record's activity id.
	ID         string
	UserID     string
	Action     string
	Object     string
	Properties map[string]string
	SessionID  string
}

// Validate reports every rule the activity breaks; each error wraps ErrInvalid.
func (n NewActivity) Validate() error {
	errs := []error{ValidateUserID(n.UserID), ValidateAction(n.Action)}
	if n.ID != "" {
		errs = append(errs, validateID("id", n.ID))
	}
	if n.SessionID != "" {
		errs = append(errs, ValidateSessionID(n.SessionID))
	}
	if len(n.Object) > MaxObjectLen || !printable(n.Object) {
		errs = append(errs, fmt.Errorf("%w: object: at most %d bytes of printable text", ErrInvalid, MaxObjectLen))
	}
	if len(n.Properties) > MaxProperties {
		errs = append(errs, fmt.Errorf("%w: properties: at most %d", ErrInvalid, MaxProperties))
	}
	for name, v := range n.Properties {
		if !propNamePattern.MatchString(name) {
			errs = append(errs, fmt.Errorf("%w: property name %q must be 1-%d characters of letters, digits and _ . -",
				ErrInvalid, clip(name), MaxPropNameLen))
			break
		}
		if len(v) > MaxPropValueLen {
			errs = append(errs, fmt.Errorf("%w: property %s: at most %d bytes", ErrInvalid, name, MaxPropValueLen))
			break
		}
	}
	return errors.Join(errs...)
}

// ValidateUserID accepts 1 to 128 characters of letters, digits and `_ . @ -`: never `:`, `{`, `}` or
// `*`, so a user id can sit inside a Redis key (and its hash tag) without escaping.
func ValidateUserID(id string) error { return validateID("user id", id) }

// ValidateSessionID accepts a session id of the same alphabet as a user id.
func ValidateSessionID(id string) error { return validateID("session id", id) }

func validateID(what, id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%w: %s %q must be 1-%d characters of letters, digits and _ . @ -", ErrInvalid, what, clip(id), MaxIDLen)
	}
	return nil
}

// ValidateAction accepts 1 to 64 lowercase letters, digits and `_ . -`, starting with a letter or digit
// ("page.view", "login.failed").
func ValidateAction(a string) error {
	if !actionPattern.MatchString(a) {
		return fmt.Errorf("%w: action %q must be 1-%d lowercase letters, digits and _ . - starting with a letter or digit",
			ErrInvalid, clip(a), MaxActionLen)
	}
	return nil
}

// ValidateCursor accepts "" (from the start) or a cursor returned by a read.
func ValidateCursor(c string) error {
	if c != "" && !cursorPattern.MatchString(c) {
		return fmt.Errorf("%w: cursor %q is not one this API returned", ErrInvalid, clip(c))
	}
	return nil
}

// ValidateLimit maps 0 to DefaultPageSize and refuses anything outside 1..MaxPageSize.
func ValidateLimit(limit int) (int, error) {
	if limit == 0 {
		return DefaultPageSize, nil
	}
	if limit < 1 || limit > MaxPageSize {
		return 0, fmt.Errorf("%w: limit %d: must be 1-%d", ErrInvalid, limit, MaxPageSize)
	}
	return limit, nil
}

// Page is one page of a feed, newest first (or, for a replay, oldest first); Next is the cursor of the
// following page, "" at the end.
type Page struct {
	Items []Activity
	Next  string
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
