package jobapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// EchoType is the built-in job type every statekit accepts: a way to try the queue, the workers and the
// events end to end (and to watch retries and dead letters) without writing a handler.
const EchoType = "statekit.echo"

// echoPayload is what an echo job may ask for; the whole payload comes back as the result.
type echoPayload struct {
	// Sleep makes the handler wait (bounded by the job's deadline), e.g. "2s".
	Sleep string `json:"sleep"`
	// Fail makes the run fail with this message (so the job retries, then dies).
	Fail string `json:"fail"`
	// Permanent makes the failure skip the retries.
	Permanent bool `json:"permanent"`
}

// EchoHandler returns the handler of EchoType. Its payload is a JSON object; "sleep", "fail" and
// "permanent" steer the run, and the payload is the result.
func EchoHandler() ports.JobHandler {
	return ports.JobHandler{Type: EchoType, Validate: validateEcho, Handle: echo}
}

func validateEcho(payload []byte) error {
	if len(payload) == 0 {
		return nil
	}
	var p echoPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return fmt.Errorf("echo payload must be a JSON object with optional sleep, fail and permanent: %w", err)
	}
	if p.Sleep != "" {
		d, err := time.ParseDuration(p.Sleep)
		if err != nil || d < 0 || d > time.Hour {
			return fmt.Errorf("echo payload: sleep %q must be a duration between 0 and 1h", p.Sleep)
		}
	}
	return nil
}

func echo(ctx context.Context, j job.Job) ([]byte, error) {
	var p echoPayload
	if len(j.Payload) > 0 {
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return nil, job.NoRetry(err)
		}
	}
	if d, _ := time.ParseDuration(p.Sleep); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	if p.Fail != "" {
		err := errors.New(p.Fail)
		if p.Permanent {
			return nil, job.NoRetry(err)
		}
		return nil, err
	}
	if len(j.Payload) == 0 {
		return nil, nil
	}
	return j.Payload, nil
}
