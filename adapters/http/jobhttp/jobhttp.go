// Package jobhttp serves the jobs module over HTTP: producers (scope "jobs") enqueue jobs and read their
// outcome; operators (scope "admin") inspect and administer queues.
package jobhttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/domain/job"
)

// Handlers serves the job endpoints.
type Handlers struct {
	svc *jobapp.Service
}

// New returns the job handlers.
func New(svc *jobapp.Service) *Handlers { return &Handlers{svc: svc} }

// Routes lists the job endpoints with who may call them.
func (h *Handlers) Routes() []httpapi.Route {
	producer := httpapi.Access{Scope: Scope}
	admin := httpapi.Access{Scope: auth.ScopeAdmin}
	return []httpapi.Route{
		{Pattern: "POST /v1/jobs", Access: producer, Handle: h.enqueue},
		{Pattern: "POST /v1/jobs/batch", Access: producer, Handle: h.enqueueBatch},
		{Pattern: "GET /v1/jobs/queues/{queue}/jobs/{jobID}", Access: producer, Handle: h.get},
		{Pattern: "GET /v1/jobs/queues", Access: admin, Handle: h.queues},
		{Pattern: "GET /v1/jobs/queues/{queue}", Access: admin, Handle: h.stats},
		{Pattern: "GET /v1/jobs/queues/{queue}/jobs", Access: admin, Handle: h.list},
		{Pattern: "DELETE /v1/jobs/queues/{queue}/jobs/{jobID}", Access: admin, Handle: h.delete},
		{Pattern: "POST /v1/jobs/queues/{queue}/jobs/{jobID}/retry", Access: admin, Handle: h.retry},
		{Pattern: "POST /v1/jobs/queues/{queue}/pause", Access: admin, Handle: h.pause},
		{Pattern: "POST /v1/jobs/queues/{queue}/resume", Access: admin, Handle: h.resume},
		{Pattern: "DELETE /v1/jobs/queues/{queue}/dead", Access: admin, Handle: h.purgeDead},
	}
}

// EnqueueRequest is the body of POST /v1/jobs and one entry of a batch.
type EnqueueRequest struct {
	Type       string          `json:"type"`
	Payload    json.RawMessage `json:"payload"`
	Queue      string          `json:"queue"`
	Priority   int             `json:"priority"`
	Delay      string          `json:"delay"`
	RunAt      *time.Time      `json:"run_at"`
	MaxRetries *int            `json:"max_retries"`
	Timeout    string          `json:"timeout"`
	UniqueKey  string          `json:"unique_key"`
	UniqueTTL  string          `json:"unique_ttl"`
}

// newJob turns a request into a job.NewJob; durations are Go durations ("30s", "1h30m").
func (req EnqueueRequest) newJob() (job.NewJob, error) {
	n := job.NewJob{Type: req.Type, Payload: req.Payload, Queue: req.Queue, Priority: req.Priority,
		MaxRetries: req.MaxRetries, UniqueKey: req.UniqueKey}
	if req.RunAt != nil {
		n.RunAt = *req.RunAt
	}
	var errs []error
	for _, d := range []struct {
		name, v string
		out     *time.Duration
	}{{"delay", req.Delay, &n.Delay}, {"timeout", req.Timeout, &n.Timeout}, {"unique_ttl", req.UniqueTTL, &n.UniqueTTL}} {
		if d.v == "" {
			continue
		}
		v, err := time.ParseDuration(d.v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %s %q: want a duration such as 30s or 1h30m", job.ErrInvalid, d.name, d.v))
		}
		*d.out = v
	}
	return n, errors.Join(errs...)
}

// EnqueuedView is the answer for one enqueued job.
type EnqueuedView struct {
	ID    string `json:"id"`
	Queue string `json:"queue"`
	State string `json:"state"`
}

func (h *Handlers) enqueue(w http.ResponseWriter, r *http.Request) error {
	var req EnqueueRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	n, err := req.newJob()
	if err != nil {
		return err
	}
	e, err := h.svc.Enqueue(r.Context(), n)
	if err != nil {
		if dup, ok := errors.AsType[*job.DuplicateError](err); ok {
			w.Header().Set("Location", jobPath(dup.Queue, dup.ExistingID))
		}
		return err
	}
	w.Header().Set("Location", jobPath(e.Queue, e.ID))
	return httpapi.JSON(w, http.StatusCreated, EnqueuedView{ID: e.ID, Queue: e.Queue, State: string(e.State)})
}

func jobPath(queue, id string) string { return "/v1/jobs/queues/" + queue + "/jobs/" + id }

type batchRequest struct {
	Jobs []EnqueueRequest `json:"jobs"`
}

// batchItem is one result of a batch: the job, or why it was not stored.
type batchItem struct {
	*EnqueuedView
	Error *batchError `json:"error,omitempty"`
}

type batchError struct {
	Type          string `json:"type"`
	Detail        string `json:"detail"`
	ExistingJobID string `json:"existing_job_id,omitempty"`
}

func (h *Handlers) enqueueBatch(w http.ResponseWriter, r *http.Request) error {
	var req batchRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	jobs := make([]job.NewJob, len(req.Jobs))
	for i, jr := range req.Jobs {
		n, err := jr.newJob()
		if err != nil {
			return fmt.Errorf("job %d: %w", i, err)
		}
		jobs[i] = n
	}
	res, err := h.svc.EnqueueBatch(r.Context(), jobs)
	if err != nil {
		return err
	}
	out := make([]batchItem, len(res))
	for i, e := range res {
		if dup, ok := errors.AsType[*job.DuplicateError](e.Err); ok {
			out[i].Error = &batchError{Type: httpapi.ProblemTypeBase + "duplicate-job", Detail: dup.Error(),
				ExistingJobID: dup.ExistingID}
			continue
		}
		out[i].EnqueuedView = &EnqueuedView{ID: e.ID, Queue: e.Queue, State: string(e.State)}
	}
	return httpapi.JSON(w, http.StatusOK, map[string]any{"results": out})
}

func (h *Handlers) get(w http.ResponseWriter, r *http.Request) error {
	j, err := h.svc.Get(r.Context(), r.PathValue("queue"), r.PathValue("jobID"))
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, view(j))
}

func (h *Handlers) queues(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.Queues(r.Context())
	if err != nil {
		return err
	}
	out := make([]StatsView, len(list))
	for i, s := range list {
		out[i] = statsView(s)
	}
	return httpapi.JSON(w, http.StatusOK, map[string]any{"queues": out})
}

func (h *Handlers) stats(w http.ResponseWriter, r *http.Request) error {
	s, err := h.svc.Stats(r.Context(), r.PathValue("queue"))
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, statsView(s))
}

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	state, err := job.ParseState(q.Get("state"))
	if err != nil {
		return err
	}
	offset, err := intParam(q.Get("offset"), "offset", 0)
	if err != nil {
		return err
	}
	limit, err := intParam(q.Get("limit"), "limit", 50)
	if err != nil {
		return err
	}
	page, err := h.svc.List(r.Context(), r.PathValue("queue"), state, offset, limit)
	if err != nil {
		return err
	}
	jobs := make([]View, len(page.Jobs))
	for i, j := range page.Jobs {
		jobs[i] = view(j)
	}
	out := map[string]any{"jobs": jobs, "total": page.Total}
	if page.Next >= 0 {
		out["next_offset"] = page.Next
	}
	return httpapi.JSON(w, http.StatusOK, out)
}

func intParam(v, name string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q is not an integer", job.ErrInvalid, name, v)
	}
	return n, nil
}

func (h *Handlers) delete(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.Delete(r.Context(), r.PathValue("queue"), r.PathValue("jobID")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handlers) retry(w http.ResponseWriter, r *http.Request) error {
	queue, id := r.PathValue("queue"), r.PathValue("jobID")
	if err := h.svc.Retry(r.Context(), queue, id); err != nil {
		return err
	}
	j, err := h.svc.Get(r.Context(), queue, id)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, view(j))
}

func (h *Handlers) pause(w http.ResponseWriter, r *http.Request) error {
	return h.setPaused(w, r, true)
}

func (h *Handlers) resume(w http.ResponseWriter, r *http.Request) error {
	return h.setPaused(w, r, false)
}

func (h *Handlers) setPaused(w http.ResponseWriter, r *http.Request, paused bool) error {
	queue := r.PathValue("queue")
	var err error
	if paused {
		err = h.svc.Pause(r.Context(), queue)
	} else {
		err = h.svc.Resume(r.Context(), queue)
	}
	if err != nil {
		return err
	}
	s, err := h.svc.Stats(r.Context(), queue)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, statsView(s))
}

func (h *Handlers) purgeDead(w http.ResponseWriter, r *http.Request) error {
	n, err := h.svc.PurgeDead(r.Context(), r.PathValue("queue"))
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, map[string]int64{"purged": n})
}
