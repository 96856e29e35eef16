// Package cachehttp serves the cache module's admin endpoints (scope admin): this instance's statistics,
// O(1) namespace invalidation and deleting one key. It also exports the statistics as Prometheus metrics.
package cachehttp

import (
	"net/http"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/domain/auth"
)

// Handlers serves the cache admin endpoints.
type Handlers struct {
	svc *cacheapp.Service
}

// New returns the cache admin handlers.
func New(svc *cacheapp.Service) *Handlers { return &Handlers{svc: svc} }

// Routes lists the cache endpoints; every one needs the admin scope.
func (h *Handlers) Routes() []httpapi.Route {
	admin := httpapi.Access{Scope: auth.ScopeAdmin}
	return []httpapi.Route{
		{Pattern: "GET /v1/cache/stats", Access: admin, Handle: h.stats},
		{Pattern: "POST /v1/cache/namespaces/{namespace}/invalidate", Access: admin, Handle: h.invalidate},
		{Pattern: "DELETE /v1/cache/namespaces/{namespace}/keys/{key}", Access: admin, Handle: h.deleteKey},
	}
}

// StatsView is the JSON form of one instance's cache statistics.
type StatsView struct {
	Instance               string  `json:"instance"`
	L1Hits                 uint64  `json:"l1_hits"`
	L2Hits                 uint64  `json:"l2_hits"`
	Misses                 uint64  `json:"misses"`
	HitRate                float64 `json:"hit_rate"`
	NegativeHits           uint64  `json:"negative_hits"`
	StaleServed            uint64  `json:"stale_served"`
	Loads                  uint64  `json:"loads"`
	LoadErrors             uint64  `json:"load_errors"`
	LoadsShed              uint64  `json:"loads_shed"`
	LockWaits              uint64  `json:"lock_waits"`
	EarlyRefreshes         uint64  `json:"early_refreshes"`
	BackgroundRefreshes    uint64  `json:"background_refreshes"`
	FillsDropped           uint64  `json:"fills_dropped"`
	RedisErrors            uint64  `json:"redis_errors"`
	RedisSkipped           uint64  `json:"redis_skipped"`
	CodecErrors            uint64  `json:"codec_errors"`
	InvalidationsPublished uint64  `json:"invalidations_published"`
	InvalidationsReceived  uint64  `json:"invalidations_received"`
	L1Entries              int     `json:"l1_entries"`
}

// NamespaceView answers a namespace invalidation.
type NamespaceView struct {
	Namespace  string `json:"namespace"`
	Generation int64  `json:"generation"`
}

func (h *Handlers) stats(w http.ResponseWriter, _ *http.Request) error {
	s := h.svc.Stats()
	return httpapi.JSON(w, http.StatusOK, StatsView{
		Instance: h.svc.Instance(), L1Hits: s.L1Hits, L2Hits: s.L2Hits, Misses: s.Misses, HitRate: s.HitRate(),
		NegativeHits: s.NegativeHits, StaleServed: s.StaleServed, Loads: s.Loads, LoadErrors: s.LoadErrors,
		LoadsShed: s.LoadsShed, LockWaits: s.LockWaits, EarlyRefreshes: s.EarlyRefreshes,
		BackgroundRefreshes: s.BackgroundRefreshes, FillsDropped: s.FillsDropped, RedisErrors: s.RedisErrors,
		RedisSkipped: s.RedisSkipped, CodecErrors: s.CodecErrors, InvalidationsPublished: s.InvalidationsPublished,
		InvalidationsReceived: s.InvalidationsReceived, L1Entries: s.L1Entries,
	})
}

func (h *Handlers) invalidate(w http.ResponseWriter, r *http.Request) error {
	ns := r.PathValue("namespace")
	g, err := h.svc.InvalidateNamespace(r.Context(), ns)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, NamespaceView{Namespace: ns, Generation: g})
}

func (h *Handlers) deleteKey(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.Delete(r.Context(), r.PathValue("namespace"), r.PathValue("key")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
