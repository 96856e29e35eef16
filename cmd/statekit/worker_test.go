package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestWorkerCommand runs `statekit worker` on the embedded Redis: it runs the job workers without the API
// (module routes answer 404) but still answers health and metrics, and stops cleanly on SIGTERM.
func TestWorkerCommand(t *testing.T) {
	c := startReady(t, "worker", "STATEKIT_REDIS_URL=", "STATEKIT_WORKERS=false",
		"STATEKIT_API_KEYS=ops:ops-secret-0123456789abcdefgh:admin", "STATEKIT_SHUTDOWN_TIMEOUT=5s")
	base, logs := c.base, c.logs
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/jobs/queues", nil)
	req.Header.Set("X-API-Key", "ops-secret-0123456789abcdefgh")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /v1/jobs/queues on a worker = %d, want 404 (no API)", resp.StatusCode)
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), "statekit_jobs_stats_up 1") {
		t.Errorf("worker /metrics lacks the job statistics")
	}
	if !strings.Contains(logs.String(), `"worker_only":true`) {
		t.Errorf("start-up log does not say worker only:\n%s", logs.String())
	}
	c.stop(t)
}
