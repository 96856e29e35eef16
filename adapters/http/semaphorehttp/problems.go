package semaphorehttp

import (
	"net/http"

	"github.com/statekit/statekit/domain/semaphore"
	"github.com/statekit/statekit/ports"
)

// Problems are the module's rows of the error-to-problem table (matched in order, so more specific errors
// come first): how HTTP answers its errors.
var Problems = []ports.Problem{
	{Err: semaphore.ErrNotAcquired, Status: http.StatusConflict, Type: "no-permit", Title: "No permit available"},
	{Err: semaphore.ErrLost, Status: http.StatusConflict, Type: "permit-lost", Title: "Permit lost"},
	{Err: semaphore.ErrNotHeld, Status: http.StatusConflict, Type: "permit-not-held", Title: "Permit not held"},
	{Err: semaphore.ErrNoPool, Status: http.StatusNotFound, Type: "semaphore-pool-not-found", Title: "Semaphore pool not found"},
	{Err: semaphore.ErrTooHeavy, Status: http.StatusUnprocessableEntity, Type: "permit-weight-too-large", Title: "Weight exceeds the pool's capacity"},
	{Err: semaphore.ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-semaphore-input", Title: "Invalid semaphore input"},
}
