// Package auth holds who is calling: a principal (a service holding an API key, or a user holding a session)
// and the scopes that grant service keys their powers.
package auth

import (
	"context"
	"errors"
	"slices"
)

// Errors of authentication and authorization.
var (
	// ErrUnauthenticated means the request carried no valid credential.
	ErrUnauthenticated = errors.New("authentication required")
	// ErrForbidden means the credential is valid but lacks the needed scope or ownership.
	ErrForbidden = errors.New("not allowed")
)

// Scope is a power granted to a service API key. Each module names its own (e.g. "sessions").
type Scope string

// ScopeAdmin is the one scope the server itself knows: it implies every other. Modules contribute theirs
// (ports.ScopeInfo) with their routes.
const ScopeAdmin Scope = "admin"

// Kind tells a service principal from a user principal.
type Kind string

// The principal kinds.
const (
	KindService Kind = "service"
	KindUser    Kind = "user"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	Kind Kind
	// Name is the API key's name for a service, the user id for a user.
	Name   string
	Scopes []Scope
	// SessionID is set for a user principal: the session the request was made with.
	SessionID string
}

// Has reports whether the principal holds the scope; admin holds them all.
func (p Principal) Has(s Scope) bool {
	return slices.Contains(p.Scopes, s) || slices.Contains(p.Scopes, ScopeAdmin)
}

// IsUser reports whether the principal is a signed-in user.
func (p Principal) IsUser() bool { return p.Kind == KindUser }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal carried by ctx, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
