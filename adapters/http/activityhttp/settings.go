package activityhttp

import (
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/domain/activity"
)

// settings are the module's environment variables; the README's configuration table and `statekit config`
// list them.
var settings = []contract.Setting{
	{Name: "STATEKIT_ACTIVITY_FEED_MAXLEN", Default: "1000",
		Meaning: "Activities kept in each user's feed (oldest dropped)."},
	{Name: "STATEKIT_ACTIVITY_SESSION_MAXLEN", Default: "1000",
		Meaning: "Activities kept in each session's replay."},
	{Name: "STATEKIT_ACTIVITY_GLOBAL_MAXLEN", Default: "1000000",
		Meaning: "About how many activities the global feed keeps (approximate trimming); funnels see only these."},
	{Name: "STATEKIT_ACTIVITY_RETENTION", Default: "720h",
		Meaning: "A user's feed and session replays expire this long after the user's last activity."},
	{Name: "STATEKIT_ACTIVITY_DEDUPE_WINDOW", Default: "24h",
		Meaning: "How long an activity idempotency key (or the id of the event an activity came from) is remembered."},
	{Name: "STATEKIT_ACTIVITY_FAILED_LOGIN_LIMIT", Default: "5",
		Meaning: "`login.failed` activities of one user within the window that publish `activity.pattern_detected` (detector `failed_logins`)."},
	{Name: "STATEKIT_ACTIVITY_FAILED_LOGIN_WINDOW", Default: "15m",
		Meaning: "The failed-login detector's window; it fires at most once per window per user."},
}

// parseSettings reads the activity policy.
func parseSettings(e *contract.Env) activity.Policy {
	p := activity.DefaultPolicy()
	p.FeedMaxLen = e.Int("STATEKIT_ACTIVITY_FEED_MAXLEN")
	p.SessionMaxLen = e.Int("STATEKIT_ACTIVITY_SESSION_MAXLEN")
	p.GlobalMaxLen = e.Int("STATEKIT_ACTIVITY_GLOBAL_MAXLEN")
	p.Retention = e.Duration("STATEKIT_ACTIVITY_RETENTION")
	p.DedupeWindow = e.Duration("STATEKIT_ACTIVITY_DEDUPE_WINDOW")
	p.Detectors = []activity.Detector{activity.FailedLogins(
		int(e.Int("STATEKIT_ACTIVITY_FAILED_LOGIN_LIMIT")), e.Duration("STATEKIT_ACTIVITY_FAILED_LOGIN_WINDOW"))}
	e.Check("STATEKIT_ACTIVITY_*", p.Validate())
	return p
}
