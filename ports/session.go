package ports

//go:generate go tool mockgen -source=session.go -destination=mocks/session.go -package=mocks

import (
	"context"

	"github.com/statekit/statekit/domain/session"
)

// SessionStore keeps sessions and each user's index of them. Every method is one round trip and atomic.
// Sessions found past their idle or absolute limit are deleted when met and reported as expired.
type SessionStore interface {
	// Create stores a session for tok's holder and, in the same atomic step, evicts the user's oldest
	// sessions beyond p.MaxPerUser. It returns the stored session and the sessions that ended on the way.
	Create(ctx context.Context, tok session.Token, in session.NewSession, p session.Policy) (session.Session, []session.Ended, error)
	// Touch finds the session of tok, records the activity and slides its idle expiry. It returns
	// session.ErrNotFound when there is none, and session.ErrExpired (with ID and UserID set) when it was
	// found past its limits and removed now.
	Touch(ctx context.Context, tok session.Token, p session.Policy) (session.Session, error)
	// Get reads one of a user's sessions without counting it as activity.
	Get(ctx context.Context, userID, id string) (session.Session, error)
	// List returns a user's live sessions, oldest first, pruning dead entries from the index.
	List(ctx context.Context, userID string) ([]session.Session, []session.Ended, error)
	// Count returns how many live sessions a user has, pruning dead entries from the index.
	Count(ctx context.Context, userID string) (int, []session.Ended, error)
	// Delete removes one of a user's sessions; session.ErrNotFound when it is not there.
	Delete(ctx context.Context, userID, id string) error
	// DeleteAll removes every session of a user except keepID (empty keeps none) and returns the removed ids.
	DeleteAll(ctx context.Context, userID, keepID string) ([]string, error)
	// Update sets (non-nil) or removes (nil) data fields of a session and returns it.
	Update(ctx context.Context, userID, id string, fields map[string]*string) (session.Session, error)
	// Rotate moves a session to a new token: the old token stops working at once, everything else stays.
	Rotate(ctx context.Context, userID, id string, newTok session.Token) (session.Session, error)
}
