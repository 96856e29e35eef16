package ratelimithttp

import (
	"net/http"
	"time"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/domain/ratelimit"
)

// Routes lists the admin endpoints (scope admin).
func (h *Handlers) Routes() []httpapi.Route {
	admin := httpapi.Access{Scope: auth.ScopeAdmin}
	return []httpapi.Route{
		{Pattern: "GET /v1/ratelimit/policies", Access: admin, Handle: h.policies},
		{Pattern: "GET /v1/ratelimit/policies/{policy}/callers/{kind}/{id}", Access: admin, Handle: h.state},
		{Pattern: "DELETE /v1/ratelimit/policies/{policy}/callers/{kind}/{id}", Access: admin, Handle: h.reset},
	}
}

// TierView is the JSON form of one tier of a policy.
type TierView struct {
	Rule       string `json:"rule"`
	Strategy   string `json:"strategy"`
	Count      int64  `json:"count"`
	PeriodMs   int64  `json:"period_ms"`
	Burst      int64  `json:"burst,omitempty"`
	Quota      int64  `json:"quota"`
	WindowMs   int64  `json:"window_ms"`
	IntervalUs int64  `json:"interval_us,omitempty"`
}

// PolicyView is the JSON form of a configured policy and what it applies to.
type PolicyView struct {
	Name    string     `json:"name"`
	Rule    string     `json:"rule"`
	Routes  []string   `json:"routes"`
	Kinds   []string   `json:"kinds"`
	Fail    string     `json:"fail"`
	Tiers   []TierView `json:"tiers"`
	Default bool       `json:"default"`
}

func tierView(l ratelimit.Limit) TierView {
	v := TierView{Rule: l.String(), Strategy: string(l.Strategy), Count: l.Count, PeriodMs: l.Period.Milliseconds(),
		Burst: l.Burst, Quota: l.Capacity(), WindowMs: l.Window().Milliseconds()}
	if l.Strategy == ratelimit.GCRA || l.Strategy == ratelimit.TokenBucket {
		v.IntervalUs = l.Interval().Microseconds()
	}
	return v
}

func (h *Handlers) policies(w http.ResponseWriter, _ *http.Request) error {
	out := []PolicyView{}
	for _, r := range h.svc.Rules() {
		v := PolicyView{Name: r.Policy.Name, Rule: r.String(), Routes: append([]string{}, r.Routes...), Kinds: []string{},
			Fail: string(r.Policy.Failure), Default: r.Policy.Name == "default"}
		for _, k := range r.Kinds {
			v.Kinds = append(v.Kinds, string(k))
		}
		for _, t := range r.Policy.Tiers {
			v.Tiers = append(v.Tiers, tierView(t))
		}
		out = append(out, v)
	}
	return httpapi.JSON(w, http.StatusOK, map[string]any{"policies": out})
}

// TierStateView is the JSON form of one tier's state for a caller.
type TierStateView struct {
	Rule         string `json:"rule"`
	Allowed      bool   `json:"allowed"`
	Remaining    int64  `json:"remaining"`
	ResetAfterMs int64  `json:"reset_after_ms"`
	RetryAfterMs int64  `json:"retry_after_ms"`
}

// StateView is a caller's state under a policy: whether a one-unit request would be admitted now, what is
// left, and when the quota is whole again.
type StateView struct {
	Policy       string          `json:"policy"`
	Kind         string          `json:"kind"`
	ID           string          `json:"id"`
	Subject      string          `json:"subject"`
	Allowed      bool            `json:"allowed"`
	Limit        int64           `json:"limit"`
	Remaining    int64           `json:"remaining"`
	ResetAfterMs int64           `json:"reset_after_ms"`
	RetryAfterMs int64           `json:"retry_after_ms"`
	Tiers        []TierStateView `json:"tiers"`
}

func ms(d time.Duration) int64 { return (d + time.Millisecond - 1).Milliseconds() }

// caller reads {kind} and {id}: key names and user ids as given, an IP address normalized.
func caller(r *http.Request) (ratelimit.Caller, error) {
	return ratelimit.NewCaller(ratelimit.Kind(r.PathValue("kind")), r.PathValue("id"))
}

func (h *Handlers) state(w http.ResponseWriter, r *http.Request) error {
	c, err := caller(r)
	if err != nil {
		return err
	}
	p, res, err := h.svc.State(r.Context(), r.PathValue("policy"), c)
	if err != nil {
		return err
	}
	v := StateView{Policy: p.Name, Kind: string(c.Kind), ID: c.ID, Subject: c.Subject(), Allowed: res.Allowed,
		Limit: res.Limit, Remaining: res.Remaining, ResetAfterMs: ms(res.ResetAfter), RetryAfterMs: ms(res.RetryAfter)}
	for _, t := range res.Tiers {
		v.Tiers = append(v.Tiers, TierStateView{Rule: t.Limit.String(), Allowed: t.Allowed, Remaining: t.Remaining,
			ResetAfterMs: ms(t.ResetAfter), RetryAfterMs: ms(t.RetryAfter)})
	}
	return httpapi.JSON(w, http.StatusOK, v)
}

func (h *Handlers) reset(w http.ResponseWriter, r *http.Request) error {
	c, err := caller(r)
	if err != nil {
		return err
	}
	if err := h.svc.Reset(r.Context(), r.PathValue("policy"), c); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
