// Package activityhttp serves the activity module over HTTP: a service (scope activity) records and reads
// any user's activities, replays sessions, reads the global feed and computes funnels; a session holder
// records and reads its own activities.
package activityhttp

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/app/activityapp"
	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/domain/auth"
)

// Handlers serves the activity endpoints.
type Handlers struct {
	svc *activityapp.Service
}

// New returns the activity handlers.
func New(svc *activityapp.Service) *Handlers { return &Handlers{svc: svc} }

// Routes lists the activity endpoints with who may call them.
func (h *Handlers) Routes() []httpapi.Route {
	service := httpapi.Access{Scope: Scope}
	holder := httpapi.Access{User: true}
	return []httpapi.Route{
		{Pattern: "POST /v1/users/{userID}/activities", Access: service, Handle: h.recordForUser},
		{Pattern: "GET /v1/users/{userID}/activities", Access: service, Handle: h.feedForUser},
		{Pattern: "GET /v1/users/{userID}/activities/sessions/{sessionID}", Access: service, Handle: h.replay},
		{Pattern: "GET /v1/activities/global", Access: service, Handle: h.global},
		{Pattern: "POST /v1/activities/funnels", Access: service, Handle: h.funnel},
		{Pattern: "POST /v1/activities", Access: holder, Handle: h.recordMine},
		{Pattern: "GET /v1/activities", Access: holder, Handle: h.feedMine},
	}
}

// View is the JSON form of an activity.
type View struct {
	ID         string            `json:"id"`
	UserID     string            `json:"user_id"`
	Action     string            `json:"action"`
	Object     string            `json:"object,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
	SessionID  string            `json:"session_id,omitempty"`
	At         time.Time         `json:"at"`
	Cursor     string            `json:"cursor"`
}

func view(a activity.Activity) View {
	return View{ID: a.ID, UserID: a.UserID, Action: a.Action, Object: a.Object, Properties: a.Properties,
		SessionID: a.SessionID, At: a.At.UTC(), Cursor: a.Cursor}
}

func writePage(w http.ResponseWriter, p activity.Page) error {
	items := make([]View, 0, len(p.Items))
	for _, a := range p.Items {
		items = append(items, view(a))
	}
	out := map[string]any{"activities": items}
	if p.Next != "" {
		out["next"] = p.Next
	}
	return httpapi.JSON(w, http.StatusOK, out)
}

type recordRequest struct {
	ID         string            `json:"id"`
	Action     string            `json:"action"`
	Object     string            `json:"object"`
	Properties map[string]string `json:"properties"`
	SessionID  string            `json:"session_id"`
}

type recordedView struct {
	Activity  View `json:"activity"`
	Duplicate bool `json:"duplicate"`
}

func (h *Handlers) recordForUser(w http.ResponseWriter, r *http.Request) error {
	var req recordRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	return h.record(w, r, activity.NewActivity{ID: req.ID, UserID: r.PathValue("userID"), Action: req.Action,
		Object: req.Object, Properties: req.Properties, SessionID: req.SessionID})
}

func holder(r *http.Request) auth.Principal {
	p, _ := auth.FromContext(r.Context())
	return p
}

func (h *Handlers) recordMine(w http.ResponseWriter, r *http.Request) error {
	var req recordRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	p := holder(r)
	if req.SessionID != "" && req.SessionID != p.SessionID {
		return fmt.Errorf("%w: session_id: a session holder records into its own session only", activity.ErrInvalid)
	}
	return h.record(w, r, activity.NewActivity{ID: req.ID, UserID: p.Name, Action: req.Action,
		Object: req.Object, Properties: req.Properties, SessionID: p.SessionID})
}

func (h *Handlers) record(w http.ResponseWriter, r *http.Request, in activity.NewActivity) error {
	stored, err := h.svc.Record(r.Context(), in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if stored.Duplicate {
		status = http.StatusOK
	}
	return httpapi.JSON(w, status, recordedView{Activity: view(stored.Activity), Duplicate: stored.Duplicate})
}

// limit reads the optional limit query parameter.
func limit(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > activity.MaxPageSize {
		return 0, fmt.Errorf("%w: limit must be 1-%d", activity.ErrInvalid, activity.MaxPageSize)
	}
	return n, nil
}

func (h *Handlers) feedForUser(w http.ResponseWriter, r *http.Request) error {
	return h.feed(w, r, r.PathValue("userID"))
}

func (h *Handlers) feedMine(w http.ResponseWriter, r *http.Request) error {
	return h.feed(w, r, holder(r).Name)
}

func (h *Handlers) feed(w http.ResponseWriter, r *http.Request, userID string) error {
	n, err := limit(r)
	if err != nil {
		return err
	}
	p, err := h.svc.Feed(r.Context(), userID, r.URL.Query().Get("before"), n)
	if err != nil {
		return err
	}
	return writePage(w, p)
}

func (h *Handlers) global(w http.ResponseWriter, r *http.Request) error {
	n, err := limit(r)
	if err != nil {
		return err
	}
	p, err := h.svc.Global(r.Context(), r.URL.Query().Get("before"), n)
	if err != nil {
		return err
	}
	return writePage(w, p)
}

func (h *Handlers) replay(w http.ResponseWriter, r *http.Request) error {
	n, err := limit(r)
	if err != nil {
		return err
	}
	p, err := h.svc.Replay(r.Context(), r.PathValue("userID"), r.PathValue("sessionID"), r.URL.Query().Get("after"), n)
	if err != nil {
		return err
	}
	return writePage(w, p)
}

type funnelRequest struct {
	Steps  []string  `json:"steps"`
	Within string    `json:"within"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
}

type stepView struct {
	Action string `json:"action"`
	Users  int64  `json:"users"`
	// Conversion is the share of the previous step's users who reached this one; Overall of the first's.
	Conversion float64 `json:"conversion"`
	Overall    float64 `json:"overall"`
}

func (h *Handlers) funnel(w http.ResponseWriter, r *http.Request) error {
	var req funnelRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	within, err := time.ParseDuration(req.Within)
	if err != nil {
		return fmt.Errorf("%w: within %q is not a duration such as 30m or 24h", activity.ErrInvalid, req.Within)
	}
	res, err := h.svc.Funnel(r.Context(), activity.Funnel{Steps: req.Steps, Within: within, From: req.From, To: req.To})
	if err != nil {
		return err
	}
	steps := make([]stepView, len(res.Steps))
	for i, a := range res.Steps {
		steps[i] = stepView{Action: a, Users: res.Users[i], Conversion: ratio(res.Users, i, i-1), Overall: ratio(res.Users, i, 0)}
	}
	return httpapi.JSON(w, http.StatusOK, map[string]any{"steps": steps, "scanned": res.Scanned, "truncated": res.Truncated})
}

// ratio is users[i]/users[j] (j < 0 means the step itself); 0 when nobody reached step j.
func ratio(users []int64, i, j int) float64 {
	if j < 0 {
		j = i
	}
	if users[j] == 0 {
		return 0
	}
	return float64(users[i]) / float64(users[j])
}
