package ratelimit

import "time"

// TierResult is what one tier of a policy decided.
type TierResult struct {
	Limit Limit
	// Allowed reports whether the tier had room for the request's cost.
	Allowed bool
	// Remaining is how many units the tier could still admit right after this decision.
	Remaining int64
	// ResetAfter is how long until the tier is back to its full quota if nothing more arrives.
	ResetAfter time.Duration
	// RetryAfter is 0 when the tier allowed, else how long until it would admit the same cost.
	RetryAfter time.Duration
}

// Result is a decision on one request: allowed or not, and the state of the quota that bound it.
type Result struct {
	// Allowed reports whether every tier admitted the request (and so all consumed its cost).
	Allowed bool
	// Limit is the capacity of the binding tier: the one that denied (the latest to admit again), or when
	// allowed the one with the fewest units left.
	Limit int64
	// Remaining is the fewest units any tier could still admit.
	Remaining int64
	// ResetAfter is the binding tier's time back to full quota.
	ResetAfter time.Duration
	// RetryAfter is 0 when allowed, else how long until every denying tier would admit the same cost
	// (the other tiers may have filled up by then).
	RetryAfter time.Duration
	// Tiers holds each tier's decision, in the policy's order.
	Tiers []TierResult
}

// Summarize combines the tiers of one decision into a Result.
func Summarize(tiers []TierResult) Result {
	r := Result{Allowed: true, Tiers: tiers}
	bind := -1
	for i, t := range tiers {
		if !t.Allowed {
			r.Allowed = false
		}
		if i == 0 || t.Remaining < r.Remaining {
			r.Remaining = t.Remaining
		}
	}
	for i, t := range tiers {
		switch {
		case !r.Allowed:
			if !t.Allowed && (bind < 0 || t.RetryAfter > tiers[bind].RetryAfter) {
				bind = i
			}
		case bind < 0 || t.Remaining < tiers[bind].Remaining ||
			t.Remaining == tiers[bind].Remaining && t.ResetAfter > tiers[bind].ResetAfter:
			bind = i
		}
	}
	if bind >= 0 {
		b := tiers[bind]
		r.Limit, r.ResetAfter, r.RetryAfter = b.Limit.Capacity(), b.ResetAfter, b.RetryAfter
	}
	if r.Remaining < 0 {
		r.Remaining = 0
	}
	return r
}

// Outcome names how a decision ended, for metrics.
type Outcome string

// The outcomes of a decision.
const (
	OutcomeAllowed      Outcome = "allowed"
	OutcomeDenied       Outcome = "denied"
	OutcomeFailedOpen   Outcome = "failed_open"
	OutcomeFailedClosed Outcome = "failed_closed"
)
