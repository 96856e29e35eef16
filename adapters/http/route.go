package httpapi

import (
	"fmt"
	"net/http"

	"github.com/statekit/statekit/domain/auth"
)

// HandlerFunc handles a request; a returned error is written as a problem document by the server.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Access says who may call a route. Every route must state one: there is no default.
type Access struct {
	// Public routes need no credential.
	Public bool
	// Throttled public routes are still rate limited, by the caller's address (kind ip): routes anyone may
	// call that create or reserve state, such as guest carts. Probes and scrapers (health, readiness,
	// metrics, the OpenAPI document) stay unthrottled.
	Throttled bool
	// User lets a signed-in session holder call the route.
	User bool
	// Scope lets a service key holding it (or admin) call the route.
	Scope auth.Scope
}

func (a Access) valid() bool { return a.Public || a.User || a.Scope != "" }

// allows reports whether p may call a route with this access.
func (a Access) allows(p auth.Principal, ok bool) error {
	if a.Public {
		return nil
	}
	if !ok {
		return auth.ErrUnauthenticated
	}
	if a.User && p.IsUser() {
		return nil
	}
	if a.Scope != "" && p.Kind == auth.KindService && p.Has(a.Scope) {
		return nil
	}
	return auth.ErrForbidden
}

// Limiter is the optional rate-limiting hook (the ratelimit module provides it). The server calls it for
// every non-public route after authentication and before authorization, with the route's pattern; the
// request's context carries the principal when one authenticated (else the caller is its client address).
// It may set response headers (RateLimit-Policy, RateLimit, Retry-After); a returned error stops the request
// and is written as a problem document. Public routes (health, readiness, metrics, the OpenAPI document)
// are never limited, so probes and scrapers are never throttled, unless they are marked Throttled.
type Limiter func(w http.ResponseWriter, r *http.Request, route string) error

// Route is one endpoint: a net/http method-and-path pattern ("GET /v1/session"), who may call it, and
// its handler.
type Route struct {
	Pattern string
	Access  Access
	Handle  HandlerFunc
}

func (r Route) check() error {
	if !r.Access.valid() {
		return fmt.Errorf("route %q declares no access", r.Pattern)
	}
	if r.Handle == nil {
		return fmt.Errorf("route %q has no handler", r.Pattern)
	}
	return nil
}
