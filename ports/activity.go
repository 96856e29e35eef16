package ports

//go:generate go tool mockgen -source=activity.go -destination=mocks/activity.go -package=mocks

import (
	"context"
	"time"

	"github.com/statekit/statekit/domain/activity"
)

// ActivityStore keeps activities: a capped feed per user, a capped global feed, and a replay per session.
// Inputs are validated by the caller before they get here.
type ActivityStore interface {
	// Record stores a (whose ID is set) in the user's feed and, when it has a session, the session's
	// replay, and feeds detector d (nil: none) in one atomic step on the user's keys; it also appends a to
	// the global feed. With dedupe, an ID already recorded for the user within the dedupe window makes the
	// call a duplicate that stores nothing (on either feed). One round trip.
	Record(ctx context.Context, a activity.NewActivity, dedupe bool, d *activity.Detector) (activity.Stored, error)
	// Feed returns up to limit of a user's activities, newest first, older than the cursor before ("" from
	// the newest). One round trip.
	Feed(ctx context.Context, userID, before string, limit int) (activity.Page, error)
	// Global returns up to limit activities of every user, newest first, older than before. One round trip.
	Global(ctx context.Context, before string, limit int) (activity.Page, error)
	// Replay returns up to limit activities of one session, oldest first, newer than after. One round trip.
	Replay(ctx context.Context, userID, sessionID, after string, limit int) (activity.Page, error)
	// Range returns up to limit activities of the global feed recorded in [from, to), oldest first, newer
	// than the cursor after ("" from from). One round trip.
	Range(ctx context.Context, from, to time.Time, after string, limit int) (activity.Page, error)
}
