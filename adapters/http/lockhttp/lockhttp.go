// Package lockhttp serves the locks module over HTTP for services that are not written in Go: acquire a lock
// (exclusive or shared, one name or a set, trying once or waiting up to a bound), extend and release it with
// the owner token it returned, read a lock's state, and read and write fenced values. Every route needs the
// "locks" scope: locks coordinate trusted backends, and a key that may take any lock may also block others'
// work, so it is a power of its own, granted neither with "sessions" nor only with "admin".
package lockhttp

import (
	"context"
	"fmt"
	"net/http"
	"time"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/adapters/http/internal/leasehttp"
	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/domain/lock"
)

// Handlers serves the lock endpoints.
type Handlers struct {
	svc *lockapp.Service
}

// New returns the lock handlers.
func New(svc *lockapp.Service) *Handlers { return &Handlers{svc: svc} }

// Routes lists the lock endpoints with who may call them.
func (h *Handlers) Routes() []httpapi.Route {
	locks := httpapi.Access{Scope: Scope}
	return []httpapi.Route{
		{Pattern: "POST /v1/locks/{name}", Access: locks, Handle: h.acquire},
		{Pattern: "GET /v1/locks/{name}", Access: locks, Handle: h.inspect},
		{Pattern: "POST /v1/locks/{name}/extend", Access: locks, Handle: h.extend},
		{Pattern: "POST /v1/locks/{name}/release", Access: locks, Handle: h.release},
		{Pattern: "POST /v1/lock-sets", Access: locks, Handle: h.acquireSet},
		{Pattern: "POST /v1/lock-sets/extend", Access: locks, Handle: h.extendSet},
		{Pattern: "POST /v1/lock-sets/release", Access: locks, Handle: h.releaseSet},
		{Pattern: "PUT /v1/fenced/{key}", Access: locks, Handle: h.writeFenced},
		{Pattern: "GET /v1/fenced/{key}", Access: locks, Handle: h.readFenced},
	}
}

// AcquireRequest is the body of an acquisition. Durations are milliseconds; ttl_ms 0 takes the default lease,
// wait_ms 0 tries once.
type AcquireRequest struct {
	Names  []string `json:"names,omitempty"`
	Mode   string   `json:"mode"`
	TTLMS  int64    `json:"ttl_ms"`
	WaitMS int64    `json:"wait_ms"`
}

// LeaseView is a granted lock: the token is its owner's secret, shown only here.
type LeaseView struct {
	Names     []string         `json:"names"`
	Token     string           `json:"token"`
	Mode      lock.Mode        `json:"mode"`
	Fences    map[string]int64 `json:"fences"`
	Fence     int64            `json:"fence"`
	TTLMS     int64            `json:"ttl_ms"`
	ExpiresAt time.Time        `json:"expires_at"`
}

func leaseView(l lock.Lease, granted time.Time) LeaseView {
	fences := make(map[string]int64, len(l.Names))
	for i, n := range l.Names {
		fences[n] = l.Fences[i]
	}
	return LeaseView{Names: l.Names, Token: l.Token, Mode: l.Mode, Fences: fences, Fence: l.Fence(),
		TTLMS: l.TTL.Milliseconds(), ExpiresAt: granted.Add(l.TTL).UTC()}
}

// TokenRequest is the body of an extension or release.
type TokenRequest struct {
	Names []string `json:"names,omitempty"`
	Token string   `json:"token"`
	TTLMS int64    `json:"ttl_ms,omitempty"`
}

// StateView is what anyone with the scope may see of a lock.
type StateView struct {
	Name    string    `json:"name"`
	Held    bool      `json:"held"`
	Mode    lock.Mode `json:"mode,omitempty"`
	Holders int       `json:"holders"`
	TTLMS   int64     `json:"ttl_ms"`
	Fence   int64     `json:"fence"`
	Waiters int       `json:"waiters"`
}

// FencedWrite is the body of a fenced write.
type FencedWrite struct {
	Value string `json:"value"`
	Fence int64  `json:"fence"`
	TTLMS int64  `json:"ttl_ms"`
}

// FencedView is a fenced value with the fence of its last write.
type FencedView struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Fence int64  `json:"fence"`
}

// terms are the lock routes' input error and longest lease for the shared lease handling.
var terms = leasehttp.Terms{Invalid: lock.ErrInvalid, MaxTTL: lock.MaxTTL}

func mode(s string) (lock.Mode, error) {
	if s == "" {
		return lock.Exclusive, nil
	}
	m := lock.Mode(s)
	return m, m.Validate()
}

func (h *Handlers) grant(w http.ResponseWriter, r *http.Request, names []string, req AcquireRequest) error {
	m, err := mode(req.Mode)
	if err != nil {
		return err
	}
	ttl, wait, err := terms.Durations(req.TTLMS, req.WaitMS)
	if err != nil {
		return err
	}
	if err := lock.ValidateNames(names); err != nil {
		return err
	}
	lease, err := h.svc.Grant(r.Context(), names, m, ttl, wait)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, leaseView(lease, time.Now()))
}

func (h *Handlers) acquire(w http.ResponseWriter, r *http.Request) error {
	name, req, err := leasehttp.Read[AcquireRequest](r, "name", lock.ValidateName)
	if err != nil {
		return err
	}
	if len(req.Names) > 0 {
		return fmt.Errorf("%w: names: use POST /v1/lock-sets for several locks", lock.ErrInvalid)
	}
	return h.grant(w, r, []string{name}, req)
}

func (h *Handlers) acquireSet(w http.ResponseWriter, r *http.Request) error {
	var req AcquireRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	return h.grant(w, r, req.Names, req)
}

func (h *Handlers) inspect(w http.ResponseWriter, r *http.Request) error {
	st, err := h.svc.Inspect(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, StateView{Name: st.Name, Held: st.Held, Mode: st.Mode, Holders: st.Holders,
		TTLMS: st.TTL.Milliseconds(), Fence: st.Fence, Waiters: st.Waiters})
}

// decodeToken reads a TokenRequest for the names of the path (one name) or of the body (a set).
func decodeToken(r *http.Request, set bool) ([]string, TokenRequest, error) {
	if set {
		var req TokenRequest
		err := httpapi.Decode(r, &req)
		return req.Names, req, err
	}
	name, req, err := leasehttp.Read[TokenRequest](r, "name", lock.ValidateName)
	if err != nil {
		return nil, TokenRequest{}, err
	}
	if len(req.Names) > 0 {
		return nil, TokenRequest{}, fmt.Errorf("%w: names: use /v1/lock-sets for several locks", lock.ErrInvalid)
	}
	return []string{name}, req, nil
}

func (h *Handlers) extendAny(w http.ResponseWriter, r *http.Request, set bool) error {
	names, req, err := decodeToken(r, set)
	if err != nil {
		return err
	}
	return terms.Extend(w, r, req.TTLMS, func(ctx context.Context, ttl time.Duration) error {
		return h.svc.Extend(ctx, names, req.Token, ttl)
	})
}

func (h *Handlers) releaseAny(w http.ResponseWriter, r *http.Request, set bool) error {
	names, req, err := decodeToken(r, set)
	if err != nil {
		return err
	}
	return terms.Release(w, r, req.TTLMS, func(ctx context.Context) error {
		return h.svc.Release(ctx, names, req.Token)
	})
}

func (h *Handlers) extend(w http.ResponseWriter, r *http.Request) error {
	return h.extendAny(w, r, false)
}
func (h *Handlers) extendSet(w http.ResponseWriter, r *http.Request) error {
	return h.extendAny(w, r, true)
}
func (h *Handlers) release(w http.ResponseWriter, r *http.Request) error {
	return h.releaseAny(w, r, false)
}
func (h *Handlers) releaseSet(w http.ResponseWriter, r *http.Request) error {
	return h.releaseAny(w, r, true)
}

func (h *Handlers) writeFenced(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	if err := lock.ValidateName(key); err != nil {
		return fmt.Errorf("fenced key: %w", err)
	}
	var req FencedWrite
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	ttl, err := terms.Millis("ttl_ms", req.TTLMS)
	if err != nil {
		return err
	}
	if err := h.svc.WriteFenced(r.Context(), key, req.Value, req.Fence, ttl); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handlers) readFenced(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	v, f, err := h.svc.ReadFenced(r.Context(), key)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, FencedView{Key: key, Value: v, Fence: f})
}
