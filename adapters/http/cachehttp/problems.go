package cachehttp

import (
	"net/http"

	"github.com/statekit/statekit/domain/cache"
	"github.com/statekit/statekit/ports"
)

// Problems are the module's rows of the error-to-problem table (matched in order, so more specific errors
// come first): how HTTP answers its errors.
var Problems = []ports.Problem{
	{Err: cache.ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-cache-input", Title: "Invalid cache input"},
	{Err: cache.ErrOverloaded, Status: http.StatusServiceUnavailable, Type: "cache-overloaded", Title: "Cache overloaded"},
}
