package activityhttp

import (
	"net/http"

	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/ports"
)

// Problems are the module's rows of the error-to-problem table (matched in order, so more specific errors
// come first): how HTTP answers its errors.
var Problems = []ports.Problem{
	{Err: activity.ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-activity-input", Title: "Invalid activity input"},
}
