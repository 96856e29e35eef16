package ratelimit

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Kind says how a caller was identified.
type Kind string

// The caller kinds, from most to least trusted.
const (
	// KindKey is a service holding an API key; the id is the key's name.
	KindKey Kind = "key"
	// KindUser is a signed-in session holder; the id is the user id.
	KindUser Kind = "user"
	// KindIP is an unauthenticated caller; the id is its IP address (an IPv6 caller counts as its /64
	// network, the block one subscriber is usually given, so rotating addresses inside it does not help).
	KindIP Kind = "ip"
)

// Kinds lists every caller kind.
var Kinds = []Kind{KindKey, KindUser, KindIP}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return k == KindKey || k == KindUser || k == KindIP }

// Caller is who a request counts against.
type Caller struct {
	Kind Kind
	ID   string
}

// MaxCallerIDLen bounds an API key name or user id used as a caller id.
const MaxCallerIDLen = 128

var callerID = regexp.MustCompile(`^[A-Za-z0-9_.@\-]+$`)

// MaxSubjectLen bounds a subject, the string a limiter keeps state under.
const MaxSubjectLen = 160

// NewCaller validates a caller: key names and user ids are 1-128 of letters, digits and `_ . @ -`; an ip
// id is an IPv4 or IPv6 address, normalized as CallerFromAddr does.
func NewCaller(kind Kind, id string) (Caller, error) {
	switch kind {
	case KindKey, KindUser:
		if id == "" || len(id) > MaxCallerIDLen || !callerID.MatchString(id) {
			return Caller{}, fmt.Errorf("%w: %s id must be 1-%d characters of letters, digits and _ . @ -", ErrInvalid, kind, MaxCallerIDLen)
		}
		return Caller{Kind: kind, ID: id}, nil
	case KindIP:
		a, err := netip.ParseAddr(id)
		if err != nil || a.Zone() != "" {
			return Caller{}, fmt.Errorf("%w: ip %q is not an IPv4 or IPv6 address", ErrInvalid, id)
		}
		return CallerFromAddr(a), nil
	}
	return Caller{}, fmt.Errorf("%w: caller kind %q: want key, user or ip", ErrInvalid, kind)
}

// CallerFromAddr is the caller for an unauthenticated request from a: an IPv4 address as itself (an
// IPv4-mapped IPv6 address as its IPv4 form), an IPv6 address as its /64 network written with '-' for ':'
// (for example "2001-db8-0-1--/64"), so the id never holds a character Redis keys care about.
func CallerFromAddr(a netip.Addr) Caller {
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return Caller{Kind: KindIP, ID: a.String()}
	}
	p, _ := a.Prefix(64) // never fails for a 128-bit address
	return Caller{Kind: KindIP, ID: strings.ReplaceAll(p.String(), ":", "-")}
}

// Subject is the string a limiter keeps the caller's state under: "<kind>.<id>", e.g. "user.alice".
func (c Caller) Subject() string { return string(c.Kind) + "." + c.ID }

// ValidateSubject accepts 1-160 characters of letters, digits and `_ . @ / -`, which is every
// Caller.Subject and any identifier a Go caller of the limiter picks within those characters.
func ValidateSubject(s string) error {
	ok := s != "" && len(s) <= MaxSubjectLen
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '.' || c == '@' || c == '/' || c == '-'
	}
	if !ok {
		return fmt.Errorf("%w: subject must be 1-%d characters of letters, digits and _ . @ / -", ErrInvalid, MaxSubjectLen)
	}
	return nil
}
