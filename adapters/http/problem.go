package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/domain/cache"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/domain/flag"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/domain/semaphore"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/ports"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// problemKind is one row of the table: an error, its status and its stable type slug.
type problemKind struct {
	err    error
	status int
	slug   string
	title  string
}

// problems maps every domain error to one status and problem type. The first row whose error matches
// (errors.Is) wins, so more specific errors come first.
var problems = []problemKind{
	{errMalformed, http.StatusBadRequest, "malformed-request", "Malformed request"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "body-too-large", "Request body too large"},
	{errNoRoute, http.StatusNotFound, "not-found", "No such resource"},
	{errMethod, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed"},
	{ports.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "Service unavailable"},
	{auth.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated", "Authentication required"},
	{auth.ErrForbidden, http.StatusForbidden, "forbidden", "Not allowed"},
	{session.ErrInvalidToken, http.StatusUnauthorized, "invalid-session-token", "Invalid session token"},
	{session.ErrExpired, http.StatusNotFound, "session-expired", "Session expired"},
	{session.ErrNotFound, http.StatusNotFound, "session-not-found", "Session not found"},
	{session.ErrInvalid, http.StatusUnprocessableEntity, "invalid-session-input", "Invalid session input"},
	{job.ErrUnknownType, http.StatusUnprocessableEntity, "unknown-job-type", "Unknown job type"},
	{job.ErrInvalidPayload, http.StatusUnprocessableEntity, "invalid-job-payload", "Invalid job payload"},
	{job.ErrInvalid, http.StatusUnprocessableEntity, "invalid-job-input", "Invalid job input"},
	{job.ErrNotFound, http.StatusNotFound, "job-not-found", "Job not found"},
	{job.ErrDuplicate, http.StatusConflict, "duplicate-job", "Duplicate job"},
	{job.ErrState, http.StatusConflict, "job-state-conflict", "Job state does not allow this"},
	{flag.ErrNotFound, http.StatusNotFound, "flag-not-found", "Flag not found"},
	{flag.ErrVersionConflict, http.StatusPreconditionFailed, "flag-version-conflict", "Flag version conflict"},
	{flag.ErrInvalid, http.StatusUnprocessableEntity, "invalid-flag-input", "Invalid flag input"},
	{activity.ErrInvalid, http.StatusUnprocessableEntity, "invalid-activity-input", "Invalid activity input"},
	{cart.ErrInvalidToken, http.StatusUnauthorized, "invalid-cart-token", "Invalid guest cart token"},
	{cart.ErrNotFound, http.StatusNotFound, "cart-not-found", "Cart not found"},
	{cart.ErrLineNotFound, http.StatusNotFound, "cart-line-not-found", "Cart line not found"},
	{cart.ErrUnknownSKU, http.StatusNotFound, "sku-not-found", "Unknown SKU"},
	{cart.ErrInsufficientStock, http.StatusConflict, "insufficient-stock", "Insufficient stock"},
	{cart.ErrStockConflict, http.StatusConflict, "stock-conflict", "Stock below reserved units"},
	{cart.ErrLimit, http.StatusConflict, "cart-limit", "Cart limit reached"},
	{cart.ErrEmpty, http.StatusConflict, "cart-empty", "Cart is empty"},
	{cart.ErrCheckoutPending, http.StatusConflict, "checkout-pending", "Checkout in progress"},
	{cart.ErrInvalid, http.StatusUnprocessableEntity, "invalid-cart-input", "Invalid cart input"},
	{cache.ErrInvalid, http.StatusUnprocessableEntity, "invalid-cache-input", "Invalid cache input"},
	{cache.ErrOverloaded, http.StatusServiceUnavailable, "cache-overloaded", "Cache overloaded"},
	{ratelimit.ErrLimited, http.StatusTooManyRequests, "rate-limited", "Too many requests"},
	{ratelimit.ErrUnknownPolicy, http.StatusNotFound, "rate-limit-policy-not-found", "Rate limit policy not found"},
	{ratelimit.ErrInvalid, http.StatusUnprocessableEntity, "invalid-rate-limit-input", "Invalid rate limit input"},
	{lock.ErrNotAcquired, http.StatusConflict, "lock-not-acquired", "Lock not acquired"},
	{lock.ErrLost, http.StatusConflict, "lock-lost", "Lock lost"},
	{lock.ErrNotHeld, http.StatusConflict, "lock-not-held", "Lock not held by this token"},
	{lock.ErrStaleFence, http.StatusConflict, "stale-fence", "Stale fencing token"},
	{lock.ErrNoValue, http.StatusNotFound, "fenced-value-not-found", "Fenced value not found"},
	{lock.ErrInvalid, http.StatusUnprocessableEntity, "invalid-lock-input", "Invalid lock input"},
	{semaphore.ErrNotAcquired, http.StatusConflict, "no-permit", "No permit available"},
	{semaphore.ErrLost, http.StatusConflict, "permit-lost", "Permit lost"},
	{semaphore.ErrNotHeld, http.StatusConflict, "permit-not-held", "Permit not held"},
	{semaphore.ErrNoPool, http.StatusNotFound, "semaphore-pool-not-found", "Semaphore pool not found"},
	{semaphore.ErrTooHeavy, http.StatusUnprocessableEntity, "permit-weight-too-large", "Weight exceeds the pool's capacity"},
	{semaphore.ErrInvalid, http.StatusUnprocessableEntity, "invalid-semaphore-input", "Invalid semaphore input"},
}

// ProblemTypeBase prefixes every problem type slug.
const ProblemTypeBase = "https://statekit.dev/problems/"

var (
	errMalformed = errors.New("malformed request")
	errTooLarge  = errors.New("request body too large")
	errNoRoute   = errors.New("no such resource")
	errMethod    = errors.New("method not allowed")
)

// writeProblem writes err as a problem document. An error the table does not know is a 500 whose detail
// is hidden from the caller and logged with the request id.
func writeProblem(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := Problem{Type: ProblemTypeBase + "internal", Title: "Internal error", Status: http.StatusInternalServerError,
		Instance: r.URL.Path, RequestID: RequestID(r.Context())}
	known := false
	for _, k := range problems {
		if errors.Is(err, k.err) {
			p.Type, p.Title, p.Status, p.Detail = ProblemTypeBase+k.slug, k.title, k.status, err.Error()
			known = true
			break
		}
	}
	if !known {
		log.ErrorContext(r.Context(), "request failed", "err", err, "request_id", p.RequestID,
			"method", r.Method, "path", r.URL.Path)
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="statekit"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
