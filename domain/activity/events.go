package activity

import "time"

// Recorded is published as activity.recorded after an activity is stored. Delivery is at least once and a
// redelivered source event records nothing new but publishes again, so consumers dedupe by ActivityID.
type Recorded struct {
	ActivityID string            `json:"activity_id"`
	UserID     string            `json:"user_id"`
	Action     string            `json:"action"`
	Object     string            `json:"object,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
	SessionID  string            `json:"session_id,omitempty"`
	At         time.Time         `json:"at"`
}

// EventName implements ports.Event.
func (Recorded) EventName() string { return "activity.recorded" }

// EventVersion implements ports.Event.
func (Recorded) EventVersion() int { return 1 }

// RecordedFrom is the event of a stored activity.
func RecordedFrom(a Activity) Recorded {
	return Recorded{ActivityID: a.ID, UserID: a.UserID, Action: a.Action, Object: a.Object,
		Properties: a.Properties, SessionID: a.SessionID, At: a.At.UTC()}
}

// PatternDetected is published as activity.pattern_detected when a detector fires, e.g. detector
// "failed_logins" after too many login.failed for one user within the window.
type PatternDetected struct {
	Detector      string    `json:"detector"`
	UserID        string    `json:"user_id"`
	Action        string    `json:"action"`
	Count         int       `json:"count"`
	WindowSeconds int64     `json:"window_seconds"`
	FirstAt       time.Time `json:"first_at"`
	LastAt        time.Time `json:"last_at"`
}

// EventName implements ports.Event.
func (PatternDetected) EventName() string { return "activity.pattern_detected" }

// EventVersion implements ports.Event.
func (PatternDetected) EventVersion() int { return 1 }

// PatternDetectedFrom is the event of a detection.
func PatternDetectedFrom(d Detection) PatternDetected {
	return PatternDetected{Detector: d.Detector, UserID: d.UserID, Action: d.Action, Count: d.Count,
		WindowSeconds: int64(d.Window / time.Second), FirstAt: d.FirstAt.UTC(), LastAt: d.LastAt.UTC()}
}
