package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/ports"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// ProblemTypeBase prefixes every problem type slug.
const ProblemTypeBase = "https://statekit.dev/problems/"

var (
	errMalformed = errors.New("malformed request")
	errTooLarge  = errors.New("request body too large")
	errNoRoute   = errors.New("no such resource")
	errMethod    = errors.New("method not allowed")
)

// serverProblems are the rows of the errors the server itself raises; the modules' rows follow them.
var serverProblems = []ports.Problem{
	{Err: errMalformed, Status: http.StatusBadRequest, Type: "malformed-request", Title: "Malformed request"},
	{Err: errTooLarge, Status: http.StatusRequestEntityTooLarge, Type: "body-too-large", Title: "Request body too large"},
	{Err: errNoRoute, Status: http.StatusNotFound, Type: "not-found", Title: "No such resource"},
	{Err: errMethod, Status: http.StatusMethodNotAllowed, Type: "method-not-allowed", Title: "Method not allowed"},
	{Err: ports.ErrUnavailable, Status: http.StatusServiceUnavailable, Type: "unavailable", Title: "Service unavailable"},
	{Err: auth.ErrUnauthenticated, Status: http.StatusUnauthorized, Type: "unauthenticated", Title: "Authentication required"},
	{Err: auth.ErrForbidden, Status: http.StatusForbidden, Type: "forbidden", Title: "Not allowed"},
}

var problemSlug = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// newProblemTable checks the rows (an error, a 4xx or 5xx status, a slug, a title; no error or slug twice)
// and returns the server's rows followed by them.
func newProblemTable(rows []ports.Problem) ([]ports.Problem, error) {
	all := append(append([]ports.Problem{}, serverProblems...), rows...)
	slugs := map[string]bool{}
	var errs []error
	for i, p := range all {
		switch {
		case p.Err == nil:
			errs = append(errs, fmt.Errorf("problem row %d (%q) has no error", i, p.Type))
		case p.Status < 400 || p.Status > 599:
			errs = append(errs, fmt.Errorf("problem %q: status %d is not 4xx or 5xx", p.Type, p.Status))
		case !problemSlug.MatchString(p.Type) || p.Title == "":
			errs = append(errs, fmt.Errorf("problem %q: want a lower-case slug and a title", p.Type))
		case slugs[p.Type]:
			errs = append(errs, fmt.Errorf("problem type %q declared twice", p.Type))
		}
		slugs[p.Type] = true
	}
	return all, errors.Join(errs...)
}

// problemFor finds how err is answered: the first table row whose error matches (errors.Is), else the
// ports.ProblemError in its chain, else ok is false.
func problemFor(table []ports.Problem, err error) (p Problem, ok bool) {
	for _, k := range table {
		if errors.Is(err, k.Err) {
			return Problem{Type: ProblemTypeBase + k.Type, Title: k.Title, Status: k.Status}, true
		}
	}
	var pe ports.ProblemError
	if errors.As(err, &pe) && pe.ProblemStatus() >= 400 && pe.ProblemStatus() <= 599 && problemSlug.MatchString(pe.ProblemType()) {
		return Problem{Type: ProblemTypeBase + pe.ProblemType(), Title: pe.ProblemTitle(), Status: pe.ProblemStatus()}, true
	}
	return Problem{}, false
}

// problem writes err as a problem document. An error neither the table nor the error itself describes is
// a 500 whose detail is hidden from the caller and logged with the request id.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, err error) {
	p, known := problemFor(s.problems, err)
	if known {
		p.Detail = err.Error()
	} else {
		p = Problem{Type: ProblemTypeBase + "internal", Title: "Internal error", Status: http.StatusInternalServerError}
	}
	p.Instance, p.RequestID = r.URL.Path, RequestID(r.Context())
	if !known {
		s.log.ErrorContext(r.Context(), "request failed", "err", err, "request_id", p.RequestID,
			"method", r.Method, "path", r.URL.Path)
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="statekit"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
