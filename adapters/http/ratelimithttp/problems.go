package ratelimithttp

import (
	"net/http"

	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/ports"
)

// Problems are the module's rows of the error-to-problem table (matched in order, so more specific errors
// come first): how HTTP answers its errors.
var Problems = []ports.Problem{
	{Err: ratelimit.ErrLimited, Status: http.StatusTooManyRequests, Type: "rate-limited", Title: "Too many requests"},
	{Err: ratelimit.ErrUnknownPolicy, Status: http.StatusNotFound, Type: "rate-limit-policy-not-found", Title: "Rate limit policy not found"},
	{Err: ratelimit.ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-rate-limit-input", Title: "Invalid rate limit input"},
}
