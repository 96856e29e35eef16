// Package leasehttp holds what the lock and semaphore routes share: reading a checked path value with its
// body, reading lease lengths and waits given in milliseconds, and extending or releasing a lease for the
// caller that holds its token.
package leasehttp

import (
	"context"
	"fmt"
	"net/http"
	"time"

	httpapi "github.com/statekit/statekit/adapters/http"
)

// Read checks the path value param with valid before anything else happens, then decodes the body into a T.
func Read[T any](r *http.Request, param string, valid func(string) error) (string, T, error) {
	var req T
	v := r.PathValue(param)
	if err := valid(v); err != nil {
		return "", req, err
	}
	return v, req, httpapi.Decode(r, &req)
}

// Terms are what differs between the modules' lease routes: the module's error for bad input and its
// longest lease.
type Terms struct {
	Invalid error
	MaxTTL  time.Duration
}

// Millis reads the body field what, ms milliseconds, as a duration between 0 and MaxTTL.
func (t Terms) Millis(what string, ms int64) (time.Duration, error) {
	if ms < 0 || ms > t.MaxTTL.Milliseconds() {
		return 0, fmt.Errorf("%w: %s %d: must be between 0 and %d", t.Invalid, what, ms, t.MaxTTL.Milliseconds())
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Durations reads an acquisition's ttl_ms and wait_ms.
func (t Terms) Durations(ttlMS, waitMS int64) (ttl, wait time.Duration, err error) {
	if ttl, err = t.Millis("ttl_ms", ttlMS); err != nil {
		return 0, 0, err
	}
	if wait, err = t.Millis("wait_ms", waitMS); err != nil {
		return 0, 0, err
	}
	return ttl, wait, nil
}

// Extend renews a lease for ttlMS (the body's ttl_ms) through extend and answers with the new lease and
// when it ends.
func (t Terms) Extend(w http.ResponseWriter, r *http.Request, ttlMS int64, extend func(ctx context.Context, ttl time.Duration) error) error {
	ttl, err := t.Millis("ttl_ms", ttlMS)
	if err != nil {
		return err
	}
	if err := extend(r.Context(), ttl); err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, map[string]any{"ttl_ms": ttl.Milliseconds(), "expires_at": time.Now().Add(ttl).UTC()})
}

// Release gives a lease back through release and answers 204. A release takes no ttl_ms: ttlMS must be 0.
func (t Terms) Release(w http.ResponseWriter, r *http.Request, ttlMS int64, release func(ctx context.Context) error) error {
	if ttlMS != 0 {
		return fmt.Errorf("%w: ttl_ms: a release takes none", t.Invalid)
	}
	if err := release(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
