package flaghttp

import (
	"net/http"

	"github.com/statekit/statekit/domain/flag"
	"github.com/statekit/statekit/ports"
)

// Problems are the module's rows of the error-to-problem table (matched in order, so more specific errors
// come first): how HTTP answers its errors.
var Problems = []ports.Problem{
	{Err: flag.ErrNotFound, Status: http.StatusNotFound, Type: "flag-not-found", Title: "Flag not found"},
	{Err: flag.ErrVersionConflict, Status: http.StatusPreconditionFailed, Type: "flag-version-conflict", Title: "Flag version conflict"},
	{Err: flag.ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-flag-input", Title: "Invalid flag input"},
}
