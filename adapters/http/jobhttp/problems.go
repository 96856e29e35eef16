package jobhttp

import (
	"net/http"

	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// Problems are the module's rows of the error-to-problem table (matched in order, so more specific errors
// come first): how HTTP answers its errors.
var Problems = []ports.Problem{
	{Err: job.ErrUnknownType, Status: http.StatusUnprocessableEntity, Type: "unknown-job-type", Title: "Unknown job type"},
	{Err: job.ErrInvalidPayload, Status: http.StatusUnprocessableEntity, Type: "invalid-job-payload", Title: "Invalid job payload"},
	{Err: job.ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-job-input", Title: "Invalid job input"},
	{Err: job.ErrNotFound, Status: http.StatusNotFound, Type: "job-not-found", Title: "Job not found"},
	{Err: job.ErrDuplicate, Status: http.StatusConflict, Type: "duplicate-job", Title: "Duplicate job"},
	{Err: job.ErrState, Status: http.StatusConflict, Type: "job-state-conflict", Title: "Job state does not allow this"},
}
