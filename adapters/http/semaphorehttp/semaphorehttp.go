// Package semaphorehttp serves the semaphore module over HTTP for services that are not written in Go: take
// permits of a pool (trying once or waiting in the pool's FIFO queue up to a bound), refresh and release them
// with the permit id, and read a pool's stats, all with the "locks" scope (the coordination scope it shares
// with the locks module); changing a pool's capacity or deleting it affects every user of the pool, so it
// needs "admin".
package semaphorehttp

import (
	"context"
	"fmt"
	"net/http"
	"time"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/adapters/http/internal/leasehttp"
	"github.com/statekit/statekit/app/semaphoreapp"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/domain/semaphore"
)

// Handlers serves the semaphore endpoints.
type Handlers struct {
	svc *semaphoreapp.Service
}

// New returns the semaphore handlers.
func New(svc *semaphoreapp.Service) *Handlers { return &Handlers{svc: svc} }

// Routes lists the semaphore endpoints with who may call them.
func (h *Handlers) Routes() []httpapi.Route {
	user := httpapi.Access{Scope: Scope}
	admin := httpapi.Access{Scope: auth.ScopeAdmin}
	return []httpapi.Route{
		{Pattern: "POST /v1/semaphores/{pool}/permits", Access: user, Handle: h.acquire},
		{Pattern: "POST /v1/semaphores/{pool}/permits/refresh", Access: user, Handle: h.refresh},
		{Pattern: "POST /v1/semaphores/{pool}/permits/release", Access: user, Handle: h.release},
		{Pattern: "GET /v1/semaphores/{pool}", Access: user, Handle: h.stats},
		{Pattern: "PUT /v1/semaphores/{pool}", Access: admin, Handle: h.setCapacity},
		{Pattern: "DELETE /v1/semaphores/{pool}", Access: admin, Handle: h.delete},
	}
}

// AcquireRequest is the body of an acquisition: weight 0 takes one permit, ttl_ms 0 the default lease,
// wait_ms 0 tries once; capacity creates the pool when it does not exist yet.
type AcquireRequest struct {
	Weight   int   `json:"weight"`
	TTLMS    int64 `json:"ttl_ms"`
	WaitMS   int64 `json:"wait_ms"`
	Capacity int   `json:"capacity"`
}

// PermitView is a granted permit: the id is its holder's secret, shown only here.
type PermitView struct {
	Pool      string    `json:"pool"`
	PermitID  string    `json:"permit_id"`
	Weight    int       `json:"weight"`
	TTLMS     int64     `json:"ttl_ms"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PermitRequest is the body of a refresh or release.
type PermitRequest struct {
	PermitID string `json:"permit_id"`
	TTLMS    int64  `json:"ttl_ms,omitempty"`
}

// CapacityRequest is the body of a capacity change.
type CapacityRequest struct {
	Capacity int `json:"capacity"`
}

// StatsView is a pool's state.
type StatsView struct {
	Pool      string `json:"pool"`
	Capacity  int    `json:"capacity"`
	Used      int    `json:"used"`
	Available int    `json:"available"`
	Holders   int    `json:"holders"`
	Waiters   int    `json:"waiters"`
}

func statsView(s semaphore.Stats) StatsView {
	return StatsView{Pool: s.Pool, Capacity: s.Capacity, Used: s.Used, Available: s.Available(), Holders: s.Holders, Waiters: s.Waiters}
}

// terms are the semaphore routes' input error and longest lease for the shared lease handling.
var terms = leasehttp.Terms{Invalid: semaphore.ErrInvalid, MaxTTL: semaphore.MaxTTL}

// read checks the pool of the path before anything else happens, then decodes the body into a T.
func read[T any](r *http.Request) (string, T, error) {
	return leasehttp.Read[T](r, "pool", semaphore.ValidatePool)
}

func (h *Handlers) acquire(w http.ResponseWriter, r *http.Request) error {
	p, req, err := read[AcquireRequest](r)
	if err != nil {
		return err
	}
	ttl, wait, err := terms.Durations(req.TTLMS, req.WaitMS)
	if err != nil {
		return err
	}
	if req.Weight < 0 || req.Capacity < 0 {
		return fmt.Errorf("%w: weight and capacity must not be negative", semaphore.ErrInvalid)
	}
	permit, err := h.svc.Grant(r.Context(), p, req.Weight, ttl, req.Capacity, wait)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, PermitView{Pool: permit.Pool, PermitID: permit.ID, Weight: permit.Weight,
		TTLMS: permit.TTL.Milliseconds(), ExpiresAt: time.Now().Add(permit.TTL).UTC()})
}

func (h *Handlers) refresh(w http.ResponseWriter, r *http.Request) error {
	p, req, err := read[PermitRequest](r)
	if err != nil {
		return err
	}
	return terms.Extend(w, r, req.TTLMS, func(ctx context.Context, ttl time.Duration) error {
		return h.svc.Refresh(ctx, p, req.PermitID, ttl)
	})
}

func (h *Handlers) release(w http.ResponseWriter, r *http.Request) error {
	p, req, err := read[PermitRequest](r)
	if err != nil {
		return err
	}
	return terms.Release(w, r, req.TTLMS, func(ctx context.Context) error {
		return h.svc.Release(ctx, p, req.PermitID)
	})
}

func (h *Handlers) stats(w http.ResponseWriter, r *http.Request) error {
	st, err := h.svc.Stats(r.Context(), r.PathValue("pool"))
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, statsView(st))
}

func (h *Handlers) setCapacity(w http.ResponseWriter, r *http.Request) error {
	p, req, err := read[CapacityRequest](r)
	if err != nil {
		return err
	}
	st, err := h.svc.SetCapacity(r.Context(), p, req.Capacity)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, statsView(st))
}

func (h *Handlers) delete(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.Delete(r.Context(), r.PathValue("pool")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
