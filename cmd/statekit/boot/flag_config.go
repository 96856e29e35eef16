package boot

import (
	"fmt"
	"strconv"
	"time"

	"github.com/statekit/statekit/app/flagapp"
	"github.com/statekit/statekit/domain/activity"
)

// loadFlags reads the STATEKIT_FLAGS_* variables through get (which supplies defaults), reporting each bad
// value through bad.
func loadFlags(get func(string) string, bad func(string, error)) flagapp.Config {
	cfg := flagapp.DefaultConfig()
	cfg.SyncInterval = positiveDuration(get, bad, "STATEKIT_FLAGS_SYNC_INTERVAL")
	cfg.FlushInterval = positiveDuration(get, bad, "STATEKIT_FLAGS_FLUSH_INTERVAL")
	n, err := strconv.ParseInt(get("STATEKIT_FLAGS_SAMPLE_EVERY"), 10, 64)
	if err != nil || n < 0 {
		bad("STATEKIT_FLAGS_SAMPLE_EVERY", fmt.Errorf("%q is not a non-negative integer (0 turns sampling off)", get("STATEKIT_FLAGS_SAMPLE_EVERY")))
	}
	cfg.SampleEvery = n
	if err := cfg.Validate(); err != nil {
		bad("STATEKIT_FLAGS_*", err)
	}
	return cfg
}

// loadActivity reads the STATEKIT_ACTIVITY_* variables through get, reporting each bad value through bad.
func loadActivity(get func(string) string, bad func(string, error)) activity.Policy {
	p := activity.DefaultPolicy()
	length := func(name string) int64 {
		n, err := strconv.ParseInt(get(name), 10, 64)
		if err != nil || n < 1 {
			bad(name, fmt.Errorf("%q is not a positive integer", get(name)))
		}
		return n
	}
	p.FeedMaxLen = length("STATEKIT_ACTIVITY_FEED_MAXLEN")
	p.SessionMaxLen = length("STATEKIT_ACTIVITY_SESSION_MAXLEN")
	p.GlobalMaxLen = length("STATEKIT_ACTIVITY_GLOBAL_MAXLEN")
	p.Retention = positiveDuration(get, bad, "STATEKIT_ACTIVITY_RETENTION")
	p.DedupeWindow = positiveDuration(get, bad, "STATEKIT_ACTIVITY_DEDUPE_WINDOW")
	p.Detectors = []activity.Detector{activity.FailedLogins(
		int(length("STATEKIT_ACTIVITY_FAILED_LOGIN_LIMIT")), positiveDuration(get, bad, "STATEKIT_ACTIVITY_FAILED_LOGIN_WINDOW"))}
	if err := p.Validate(); err != nil {
		bad("STATEKIT_ACTIVITY_*", err)
	}
	return p
}

func positiveDuration(get func(string) string, bad func(string, error), name string) time.Duration {
	d, err := time.ParseDuration(get(name))
	if err != nil || d <= 0 {
		bad(name, fmt.Errorf("%q is not a positive duration such as 30s", get(name)))
	}
	return d
}
