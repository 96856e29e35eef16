package sessionhttp

import (
	"net/http"

	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/ports"
)

// Problems are the module's rows of the error-to-problem table (matched in order, so more specific errors
// come first): how HTTP answers its errors.
var Problems = []ports.Problem{
	{Err: session.ErrInvalidToken, Status: http.StatusUnauthorized, Type: "invalid-session-token", Title: "Invalid session token"},
	{Err: session.ErrExpired, Status: http.StatusNotFound, Type: "session-expired", Title: "Session expired"},
	{Err: session.ErrNotFound, Status: http.StatusNotFound, Type: "session-not-found", Title: "Session not found"},
	{Err: session.ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-session-input", Title: "Invalid session input"},
}
