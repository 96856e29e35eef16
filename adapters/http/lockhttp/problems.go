package lockhttp

import (
	"net/http"

	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/ports"
)

// Problems are the module's rows of the error-to-problem table (matched in order, so more specific errors
// come first): how HTTP answers its errors.
var Problems = []ports.Problem{
	{Err: lock.ErrNotAcquired, Status: http.StatusConflict, Type: "lock-not-acquired", Title: "Lock not acquired"},
	{Err: lock.ErrLost, Status: http.StatusConflict, Type: "lock-lost", Title: "Lock lost"},
	{Err: lock.ErrNotHeld, Status: http.StatusConflict, Type: "lock-not-held", Title: "Lock not held by this token"},
	{Err: lock.ErrStaleFence, Status: http.StatusConflict, Type: "stale-fence", Title: "Stale fencing token"},
	{Err: lock.ErrNoValue, Status: http.StatusNotFound, Type: "fenced-value-not-found", Title: "Fenced value not found"},
	{Err: lock.ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-lock-input", Title: "Invalid lock input"},
}
