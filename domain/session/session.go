// Package session holds the types, rules and events of the sessions module: who is signed in, from where,
// for how long, and how a bearer token maps to a stored session without the token ever being stored.
package session

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"time"
)

// Sentinel errors of the sessions module. The HTTP adapter maps each to one status and problem type.
var (
	// ErrNotFound means no live session matches: unknown, expired, evicted or revoked.
	ErrNotFound = errors.New("session not found")
	// ErrInvalid means the input breaks a rule of the module; it wraps a message naming the field.
	ErrInvalid = errors.New("invalid session input")
	// ErrInvalidToken means a presented token is not of the form this module issues.
	ErrInvalidToken = errors.New("invalid session token")
)

// Limits on what a caller may store in a session.
const (
	MaxUserIDLen     = 128
	MaxDeviceFields  = 16
	MaxDataFields    = 32
	MaxFieldNameLen  = 64
	MaxFieldValueLen = 1024
	MaxIPLen         = 64
)

var (
	userIDPattern    = regexp.MustCompile(`^[A-Za-z0-9_.@\-]+$`)
	fieldNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)
)

// Session is one signed-in device of a user. It never holds the bearer token, only its ID (the token's hash).
type Session struct {
	ID            string
	UserID        string
	IP            string
	Device        map[string]string
	Data          map[string]string
	CreatedAt     time.Time
	LastActivity  time.Time
	IdleExpiresAt time.Time
	AbsExpiresAt  time.Time
	ActivityCount int64
}

// ExpiresAt is the moment the session ends if it sees no more activity: the earlier of the idle and absolute limits.
func (s Session) ExpiresAt() time.Time {
	if s.AbsExpiresAt.Before(s.IdleExpiresAt) {
		return s.AbsExpiresAt
	}
	return s.IdleExpiresAt
}

// Policy bounds every session: how long it may sit idle, how long it may live at all, and how many one user may hold.
type Policy struct {
	IdleTimeout      time.Duration
	AbsoluteLifetime time.Duration
	MaxPerUser       int
}

// DefaultPolicy is 30 minutes idle, 7 days absolute and 10 sessions per user.
func DefaultPolicy() Policy {
	return Policy{IdleTimeout: 30 * time.Minute, AbsoluteLifetime: 7 * 24 * time.Hour, MaxPerUser: 10}
}

// Validate reports every rule the policy breaks.
func (p Policy) Validate() error {
	var errs []error
	if p.IdleTimeout < time.Second {
		errs = append(errs, fmt.Errorf("idle timeout %s: must be at least 1s", p.IdleTimeout))
	}
	if p.AbsoluteLifetime < p.IdleTimeout {
		errs = append(errs, fmt.Errorf("absolute lifetime %s: must not be shorter than the idle timeout", p.AbsoluteLifetime))
	}
	if p.MaxPerUser < 1 || p.MaxPerUser > 1000 {
		errs = append(errs, fmt.Errorf("max sessions per user %d: must be between 1 and 1000", p.MaxPerUser))
	}
	return errors.Join(errs...)
}

// NewSession is what a trusted caller supplies to start a session for a user.
type NewSession struct {
	UserID string
	IP     string
	Device map[string]string
	// GuestCartID, when set, names the anonymous cart the user built before signing in; it travels on
	// session.created so the cart module can merge it.
	GuestCartID string
}

// Validate checks the user id, IP and device fields.
func (n NewSession) Validate() error {
	return errors.Join(
		ValidateUserID(n.UserID),
		validateIP(n.IP),
		validateFields("device", n.Device, MaxDeviceFields),
		validateOptionalID("guest_cart_id", n.GuestCartID),
	)
}

// ValidateUserID accepts 1 to 128 characters of letters, digits and `_ . @ -`: never `:`, `{`, `}` or `*`,
// so a user id can sit inside a Redis key without escaping.
func ValidateUserID(id string) error {
	if id == "" || len(id) > MaxUserIDLen || !userIDPattern.MatchString(id) {
		return fmt.Errorf("%w: user id must be 1-%d characters of letters, digits and _ . @ -", ErrInvalid, MaxUserIDLen)
	}
	return nil
}

// ValidateID accepts a session id: the 43-character unpadded base64url form of a token hash.
func ValidateID(id string) error {
	if len(id) != idLen || !isBase64URL(id) {
		return fmt.Errorf("%w: session id must be %d base64url characters", ErrInvalid, idLen)
	}
	return nil
}

// ValidateData checks fields for an update: names of letters, digits and `_ . -`; a nil value deletes the field.
func ValidateData(fields map[string]*string) error {
	if len(fields) == 0 {
		return fmt.Errorf("%w: data: at least one field is required", ErrInvalid)
	}
	if len(fields) > MaxDataFields {
		return fmt.Errorf("%w: data: at most %d fields", ErrInvalid, MaxDataFields)
	}
	for name, v := range fields {
		if err := validateFieldName("data", name); err != nil {
			return err
		}
		if v != nil {
			if err := validateText("data."+name, *v, MaxFieldValueLen); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateFields(what string, fields map[string]string, max int) error {
	if len(fields) > max {
		return fmt.Errorf("%w: %s: at most %d fields", ErrInvalid, what, max)
	}
	for name, v := range fields {
		if err := validateFieldName(what, name); err != nil {
			return err
		}
		if err := validateText(what+"."+name, v, MaxFieldValueLen); err != nil {
			return err
		}
	}
	return nil
}

func validateFieldName(what, name string) error {
	if name == "" || len(name) > MaxFieldNameLen || !fieldNamePattern.MatchString(name) {
		return fmt.Errorf("%w: %s: field name %q must be 1-%d characters of letters, digits and _ . -",
			ErrInvalid, what, name, MaxFieldNameLen)
	}
	return nil
}

func validateText(what, v string, max int) error {
	if len(v) > max {
		return fmt.Errorf("%w: %s: at most %d bytes", ErrInvalid, what, max)
	}
	return nil
}

func validateIP(ip string) error {
	if ip == "" {
		return nil
	}
	if len(ip) > MaxIPLen {
		return fmt.Errorf("%w: ip: at most %d bytes", ErrInvalid, MaxIPLen)
	}
	if _, err := netip.ParseAddr(ip); err != nil {
		return fmt.Errorf("%w: ip %q is not an IPv4 or IPv6 address", ErrInvalid, ip)
	}
	return nil
}

func validateOptionalID(what, v string) error {
	if v == "" {
		return nil
	}
	if len(v) > MaxUserIDLen || !userIDPattern.MatchString(v) {
		return fmt.Errorf("%w: %s must be 1-%d characters of letters, digits and _ . @ -", ErrInvalid, what, MaxUserIDLen)
	}
	return nil
}

// ErrExpired is returned when a session is found past its idle or absolute limit; it is also an ErrNotFound.
var ErrExpired = fmt.Errorf("%w: expired", ErrNotFound)
