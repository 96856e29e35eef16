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

// Scope is a power granted to a service API key.
type Scope string

// The scopes statekit knows. ScopeAdmin implies every other scope.
const (
	ScopeAdmin    Scope = "admin"
	ScopeSessions Scope = "sessions"
	// ScopeFlags lets a service evaluate feature flags for any user (changing flags needs ScopeAdmin).
	ScopeFlags Scope = "flags"
	// ScopeActivity lets a service record and read any user's activity, funnels included.
	ScopeActivity Scope = "activity"
	// ScopeJobs lets a service enqueue jobs and read their outcome (queue administration needs ScopeAdmin).
	ScopeJobs Scope = "jobs"
	// ScopeLocks lets a service take, extend and release distributed locks and semaphore permits and write
	// fenced values (changing a semaphore pool's capacity needs ScopeAdmin).
	ScopeLocks Scope = "locks"
)

// KnownScopes lists every scope a service key may be given.
var KnownScopes = []Scope{ScopeAdmin, ScopeSessions, ScopeFlags, ScopeActivity, ScopeJobs, ScopeLocks}

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
