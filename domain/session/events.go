package session

import "time"

// EndReason says why a session ended.
type EndReason string

// The reasons a session ends.
const (
	EndLogout  EndReason = "logout"
	EndExpired EndReason = "expired"
	EndEvicted EndReason = "evicted"
	EndRevoked EndReason = "revoked"
	EndRotated EndReason = "rotated"
)

// Created is published as session.created after a session is stored.
type Created struct {
	SessionID   string            `json:"session_id"`
	UserID      string            `json:"user_id"`
	IP          string            `json:"ip,omitempty"`
	Device      map[string]string `json:"device,omitempty"`
	GuestCartID string            `json:"guest_cart_id,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
}

// EventName implements ports.Event.
func (Created) EventName() string { return "session.created" }

// EventVersion implements ports.Event.
func (Created) EventVersion() int { return 1 }

// Ended is published as session.ended when a session is deleted, evicted by the per-user cap, revoked,
// replaced by rotation, or found expired. Expiry is noticed when the session is next looked for (on access,
// listing or creation), not at the instant Redis drops it.
type Ended struct {
	SessionID string    `json:"session_id"`
	UserID    string    `json:"user_id"`
	Reason    EndReason `json:"reason"`
}

// EventName implements ports.Event.
func (Ended) EventName() string { return "session.ended" }

// EventVersion implements ports.Event.
func (Ended) EventVersion() int { return 1 }

// Rotated is published as session.rotated when a session's token is replaced (for example on a privilege change):
// the session lives on under NewSessionID and the old token no longer works.
type Rotated struct {
	OldSessionID string `json:"old_session_id"`
	NewSessionID string `json:"new_session_id"`
	UserID       string `json:"user_id"`
}

// EventName implements ports.Event.
func (Rotated) EventName() string { return "session.rotated" }

// EventVersion implements ports.Event.
func (Rotated) EventVersion() int { return 1 }
