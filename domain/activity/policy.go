package activity

import (
	"errors"
	"fmt"
	"time"
)

// Policy bounds what the module keeps and says which detectors run.
type Policy struct {
	// FeedMaxLen is how many activities each user's feed keeps (the oldest are dropped).
	FeedMaxLen int64
	// SessionMaxLen is how many activities each session's replay keeps.
	SessionMaxLen int64
	// GlobalMaxLen is about how many activities the global feed keeps (trimmed approximately); funnels see
	// only what it still holds.
	GlobalMaxLen int64
	// Retention is how long a user's feed and session replays live after the user's last activity.
	Retention time.Duration
	// DedupeWindow is how long an idempotency key (an activity id given by the caller, or the id of the
	// event an activity was recorded for) is remembered.
	DedupeWindow time.Duration
	// Detectors watch each user's actions; at most one per action.
	Detectors []Detector
}

// DefaultPolicy keeps 1,000 activities per user and per session, about 1,000,000 globally, for 30 days;
// remembers idempotency keys for a day; and flags 5 failed logins within 15 minutes.
func DefaultPolicy() Policy {
	return Policy{FeedMaxLen: 1000, SessionMaxLen: 1000, GlobalMaxLen: 1_000_000, Retention: 30 * 24 * time.Hour,
		DedupeWindow: 24 * time.Hour, Detectors: []Detector{FailedLogins(5, 15*time.Minute)}}
}

// Validate reports every problem with the policy.
func (p Policy) Validate() error {
	var errs []error
	if p.FeedMaxLen < 1 || p.SessionMaxLen < 1 || p.GlobalMaxLen < 1 {
		errs = append(errs, errors.New("activity feed, session and global lengths must be positive"))
	}
	if p.Retention < time.Minute {
		errs = append(errs, fmt.Errorf("activity retention %s: must be at least 1m", p.Retention))
	}
	if p.DedupeWindow < time.Second {
		errs = append(errs, fmt.Errorf("activity dedupe window %s: must be at least 1s", p.DedupeWindow))
	}
	actions := map[string]bool{}
	for _, d := range p.Detectors {
		errs = append(errs, d.Validate())
		if actions[d.Action] {
			errs = append(errs, fmt.Errorf("two detectors watch %s", d.Action))
		}
		actions[d.Action] = true
	}
	return errors.Join(errs...)
}

// DetectorFor returns the detector watching action, if any.
func (p Policy) DetectorFor(action string) *Detector {
	for i := range p.Detectors {
		if p.Detectors[i].Action == action {
			return &p.Detectors[i]
		}
	}
	return nil
}

// Stored is the outcome of recording an activity: the activity as stored, whether an earlier record with
// the same idempotency key made this one a duplicate (nothing new was stored), and the detection it
// triggered, if any.
type Stored struct {
	Activity  Activity
	Duplicate bool
	Detection *Detection
}
