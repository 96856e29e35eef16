// Package flaghttp serves the feature-flags module over HTTP: administrators (scope admin) create, change,
// kill and delete flags and read their audit trail and evaluation counts; a session holder evaluates flags
// for itself, and a service (scope flags) for any user. Evaluations come from the in-process snapshot.
package flaghttp

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/app/flagapp"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/domain/flag"
)

// Handlers serves the flag endpoints.
type Handlers struct {
	svc *flagapp.Service
}

// New returns the flag handlers.
func New(svc *flagapp.Service) *Handlers { return &Handlers{svc: svc} }

// Routes lists the flag endpoints with who may call them.
func (h *Handlers) Routes() []httpapi.Route {
	admin := httpapi.Access{Scope: auth.ScopeAdmin}
	return []httpapi.Route{
		{Pattern: "GET /v1/flags", Access: admin, Handle: h.list},
		{Pattern: "GET /v1/flags/{key}", Access: admin, Handle: h.get},
		{Pattern: "PUT /v1/flags/{key}", Access: admin, Handle: h.put},
		{Pattern: "DELETE /v1/flags/{key}", Access: admin, Handle: h.delete},
		{Pattern: "PUT /v1/flags/{key}/enabled", Access: admin, Handle: h.setEnabled},
		{Pattern: "GET /v1/flags/{key}/audit", Access: admin, Handle: h.audit},
		{Pattern: "GET /v1/flags/{key}/counts", Access: admin, Handle: h.counts},
		{Pattern: "POST /v1/flags/evaluate", Access: httpapi.Access{User: true}, Handle: h.evaluateMine},
		{Pattern: "POST /v1/users/{userID}/flags/evaluate", Access: httpapi.Access{Scope: Scope}, Handle: h.evaluateForUser},
	}
}

func actor(r *http.Request) string {
	p, _ := auth.FromContext(r.Context())
	return p.Name
}

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) error {
	set, err := h.svc.List(r.Context())
	if err != nil {
		return err
	}
	slices.SortFunc(set.Flags, func(a, b flag.Flag) int { return strings.Compare(a.Key, b.Key) })
	if set.Flags == nil {
		set.Flags = []flag.Flag{}
	}
	return httpapi.JSON(w, http.StatusOK, map[string]any{"version": set.Version, "flags": set.Flags})
}

func (h *Handlers) get(w http.ResponseWriter, r *http.Request) error {
	f, err := h.svc.Get(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	return writeFlag(w, http.StatusOK, f)
}

func writeFlag(w http.ResponseWriter, status int, f flag.Flag) error {
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(f.Version, 10)))
	return httpapi.JSON(w, status, f)
}

// precondition reads If-Match ("<version>": the flag must be at that version) and If-None-Match ("*": the
// flag must not exist) into an expected version for the store.
func precondition(r *http.Request) (int64, error) {
	match, noneMatch := r.Header.Get("If-Match"), r.Header.Get("If-None-Match")
	switch {
	case match != "" && noneMatch != "":
		return 0, fmt.Errorf("%w: send If-Match or If-None-Match, not both", flag.ErrInvalid)
	case noneMatch != "":
		if noneMatch != "*" {
			return 0, fmt.Errorf("%w: If-None-Match must be *", flag.ErrInvalid)
		}
		return flag.MustNotExist, nil
	case match != "":
		v, err := strconv.ParseInt(strings.Trim(match, `"`), 10, 64)
		if err != nil || v < 1 {
			return 0, fmt.Errorf("%w: If-Match must be a flag version such as \"12\" (its ETag)", flag.ErrInvalid)
		}
		return v, nil
	}
	return 0, nil
}

func (h *Handlers) put(w http.ResponseWriter, r *http.Request) error {
	var f flag.Flag
	if err := httpapi.Decode(r, &f); err != nil {
		return err
	}
	key := r.PathValue("key")
	if f.Key != "" && f.Key != key {
		return fmt.Errorf("%w: body names flag %q, the path %q", flag.ErrInvalid, f.Key, key)
	}
	f.Key = key
	if f.Type == "" {
		f.Type = flag.TypeBoolean
	}
	f.Version, f.UpdatedAt, f.UpdatedBy = 0, time.Time{}, ""
	expect, err := precondition(r)
	if err != nil {
		return err
	}
	c, err := h.svc.Put(r.Context(), actor(r), f, expect)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if c.Kind == flag.ChangeCreated {
		status = http.StatusCreated
		w.Header().Set("Location", "/v1/flags/"+key)
	}
	return writeFlag(w, status, *c.After)
}

func (h *Handlers) delete(w http.ResponseWriter, r *http.Request) error {
	expect, err := precondition(r)
	if err != nil {
		return err
	}
	if expect == flag.MustNotExist {
		return fmt.Errorf("%w: If-None-Match makes no sense on a delete", flag.ErrInvalid)
	}
	if _, err := h.svc.Delete(r.Context(), actor(r), r.PathValue("key"), expect); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type enabledRequest struct {
	Enabled *bool `json:"enabled"`
}

func (h *Handlers) setEnabled(w http.ResponseWriter, r *http.Request) error {
	var req enabledRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	if req.Enabled == nil {
		return fmt.Errorf("%w: enabled (true or false) is required", flag.ErrInvalid)
	}
	c, err := h.svc.SetEnabled(r.Context(), actor(r), r.PathValue("key"), *req.Enabled)
	if err != nil {
		return err
	}
	return writeFlag(w, http.StatusOK, *c.After)
}

// query reads an optional non-negative integer query parameter.
func query(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: query parameter %s must be a non-negative integer", flag.ErrInvalid, name)
	}
	return n, nil
}

func (h *Handlers) audit(w http.ResponseWriter, r *http.Request) error {
	before, err := query(r, "before")
	if err != nil {
		return err
	}
	limit, err := query(r, "limit")
	if err != nil {
		return err
	}
	if limit > flagapp.MaxAuditLimit {
		return fmt.Errorf("%w: limit must be 1-%d", flag.ErrInvalid, flagapp.MaxAuditLimit)
	}
	entries, err := h.svc.Audit(r.Context(), r.PathValue("key"), before, int(limit))
	if err != nil {
		return err
	}
	out := map[string]any{"entries": entries}
	if entries == nil {
		out["entries"] = []flag.AuditEntry{}
	}
	if n := len(entries); n > 0 && (limit == 0 && n == flagapp.DefaultAuditLimit || int64(n) == limit) {
		out["next_before"] = entries[n-1].Version
	}
	return httpapi.JSON(w, http.StatusOK, out)
}

func (h *Handlers) counts(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	counts, err := h.svc.Counts(r.Context(), key)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, map[string]any{"key": key, "counts": counts})
}

type evaluateRequest struct {
	Attributes map[string]string `json:"attributes"`
	Keys       []string          `json:"keys"`
}

// resultView is one evaluation in JSON.
type resultView struct {
	Variant string      `json:"variant"`
	On      bool        `json:"on"`
	Reason  flag.Reason `json:"reason"`
	Rule    *int        `json:"rule,omitempty"`
	Version int64       `json:"version,omitempty"`
}

func (h *Handlers) evaluateMine(w http.ResponseWriter, r *http.Request) error {
	return h.evaluate(w, r, actor(r))
}

func (h *Handlers) evaluateForUser(w http.ResponseWriter, r *http.Request) error {
	return h.evaluate(w, r, r.PathValue("userID"))
}

func (h *Handlers) evaluate(w http.ResponseWriter, r *http.Request, userID string) error {
	var req evaluateRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	results, version, err := h.svc.Evaluate(flag.Context{UserID: userID, Attributes: req.Attributes}, req.Keys)
	if err != nil {
		return err
	}
	flags := make(map[string]resultView, len(results))
	for _, res := range results {
		v := resultView{Variant: res.Variant, On: res.On, Reason: res.Reason, Version: res.Version}
		if res.Rule >= 0 {
			v.Rule = &res.Rule
		}
		flags[res.Key] = v
	}
	return httpapi.JSON(w, http.StatusOK, map[string]any{"user_id": userID, "version": version, "flags": flags})
}
