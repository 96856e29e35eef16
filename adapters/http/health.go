package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

func (s *Server) operationalRoutes(metrics http.Handler) []Route {
	public := Access{Public: true}
	return []Route{
		{Pattern: "GET /healthz", Access: public, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return JSON(w, http.StatusOK, map[string]string{"status": "ok"})
		}},
		{Pattern: "GET /readyz", Access: public, Handle: s.ready},
		{Pattern: "GET /metrics", Access: public, Handle: func(w http.ResponseWriter, r *http.Request) error {
			metrics.ServeHTTP(w, r)
			return nil
		}},
		{Pattern: "GET /openapi.yaml", Access: public, Handle: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "application/yaml")
			_, err := w.Write(s.openAPI)
			return err
		}},
	}
}

// ready runs every readiness check with a 2 s bound and answers 200, or 503 naming the failed checks.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	results := map[string]string{}
	ok := true
	for _, c := range s.checks {
		if err := c.Check(ctx); err != nil {
			results[c.Name] = err.Error()
			ok = false
		} else {
			results[c.Name] = "ok"
		}
	}
	if !ok {
		return writeJSON(w, http.StatusServiceUnavailable, "application/problem+json", map[string]any{
			"type": ProblemTypeBase + "unavailable", "title": "Not ready", "status": http.StatusServiceUnavailable,
			"detail": fmt.Sprintf("failed checks: %v", results), "checks": results,
		})
	}
	return JSON(w, http.StatusOK, map[string]any{"status": "ready", "checks": results})
}
