// Package ratelimit holds the rules of the rate-limiting module: the strategies and their limits, named
// policies of one or more tiers, the policy language of STATEKIT_RATE_LIMITS, who a request counts against
// (a caller), what a decision reports, and the sampled ratelimit.denied event.
package ratelimit

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Sentinel errors of the rate-limiting module. The HTTP adapter maps each to one status and problem type.
var (
	// ErrInvalid means an input breaks a rule of the module (a policy, a caller, a cost); it wraps a message
	// naming what.
	ErrInvalid = errors.New("invalid rate limit input")
	// ErrLimited means a request was denied because a policy's quota is used up; HTTP answers 429.
	ErrLimited = errors.New("rate limit exceeded")
	// ErrUnknownPolicy means no configured policy has the given name.
	ErrUnknownPolicy = errors.New("rate limit policy not found")
)

// Strategy is an algorithm that decides whether a request fits a limit.
type Strategy string

// The strategies. Each decides in one atomic step in Redis; see Limit for what Count, Period and Burst mean
// to each.
const (
	// FixedWindow counts units in windows of Period aligned to the epoch; a window admits Count units.
	FixedWindow Strategy = "fixed_window"
	// SlidingLog keeps a timestamp per admitted unit and admits when fewer than Count fall in the last
	// Period: exact, O(Count) memory.
	SlidingLog Strategy = "sliding_log"
	// SlidingCounter weighs the previous fixed window's count by how much of it still overlaps the sliding
	// window and adds the current one: approximate, O(1) memory, never more than Count in one fixed window.
	SlidingCounter Strategy = "sliding_counter"
	// TokenBucket holds up to Burst tokens, refilled at Count per Period; a unit takes a token.
	TokenBucket Strategy = "token_bucket"
	// GCRA is the generic cell rate algorithm: Count per Period spaced evenly, with up to Burst at once. It
	// stores one number per key.
	GCRA Strategy = "gcra"
)

// Strategies lists every strategy, in the order documentation shows them.
var Strategies = []Strategy{FixedWindow, SlidingLog, SlidingCounter, TokenBucket, GCRA}

// Valid reports whether s is one of Strategies.
func (s Strategy) Valid() bool {
	for _, k := range Strategies {
		if s == k {
			return true
		}
	}
	return false
}

// bursty reports whether the strategy takes a Burst separate from Count.
func (s Strategy) bursty() bool { return s == TokenBucket || s == GCRA }

// Bounds of a limit. Times are microseconds in Redis, and every quantity a script computes must stay an
// exact integer in a Lua number (2^53), which these bounds guarantee.
const (
	MaxCount          = 1_000_000_000
	MaxSlidingLog     = 100_000 // the log keeps one entry per admitted unit
	MinPeriod         = time.Millisecond
	MaxPeriod         = 366 * 24 * time.Hour
	maxExactMicros    = 1 << 52
	MaxTiers          = 8
	MaxPolicies       = 64
	maxPolicyNameLen  = 32
	defaultPolicyName = "default"
)

// Limit is one tier of a policy.
//
//   - fixed_window, sliding_log, sliding_counter: at most Count units per Period. Burst must be 0.
//   - token_bucket: a bucket of Burst tokens (Count when 0) refilled with Count tokens per Period.
//   - gcra: Count units per Period, evenly spaced, with up to Burst (Count when 0) at once.
type Limit struct {
	Strategy Strategy
	Count    int64
	Period   time.Duration
	Burst    int64
}

// Capacity is the most units the limit can admit at once: Burst (or Count) for the bucket strategies,
// Count for the windows.
func (l Limit) Capacity() int64 {
	if l.Strategy.bursty() && l.Burst > 0 {
		return l.Burst
	}
	return l.Count
}

// Interval is the time one unit of quota takes to come back for the bucket strategies: Period / Count,
// rounded up to a whole microsecond so that rounding never admits more than the configured rate.
func (l Limit) Interval() time.Duration {
	us := l.Period.Microseconds()
	return time.Duration((us+l.Count-1)/l.Count) * time.Microsecond
}

// Window is the span the limit's quota refers to, for the RateLimit-Policy header: Period for the windows,
// and for the bucket strategies the time an empty bucket takes to fill (Capacity x Interval), so that
// Capacity units per Window is the configured rate with its burst.
func (l Limit) Window() time.Duration {
	if l.Strategy.bursty() {
		return time.Duration(l.Capacity()) * l.Interval()
	}
	return l.Period
}

// Validate reports every rule the limit breaks.
func (l Limit) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...)))
	}
	if !l.Strategy.Valid() {
		bad("strategy %q: want one of %v", l.Strategy, Strategies)
		return errors.Join(errs...)
	}
	if l.Count < 1 || l.Count > MaxCount {
		bad("%s: count %d: must be between 1 and %d", l.Strategy, l.Count, MaxCount)
	}
	if l.Strategy == SlidingLog && l.Count > MaxSlidingLog {
		bad("sliding_log: count %d: at most %d (the log stores one entry per unit; use sliding_counter)", l.Count, MaxSlidingLog)
	}
	if l.Period < MinPeriod || l.Period > MaxPeriod || l.Period%time.Microsecond != 0 {
		bad("%s: period %s: must be whole microseconds between %s and %s", l.Strategy, l.Period, MinPeriod, MaxPeriod)
	}
	if l.Burst != 0 && !l.Strategy.bursty() {
		bad("%s: takes no burst (only token_bucket and gcra do)", l.Strategy)
	}
	if l.Burst < 0 || l.Burst > MaxCount {
		bad("%s: burst %d: must be between 1 and %d", l.Strategy, l.Burst, MaxCount)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if l.Strategy.bursty() {
		if l.Count > l.Period.Microseconds() {
			bad("%s: %d per %s is more than one unit per microsecond", l.Strategy, l.Count, l.Period)
		} else if l.Capacity()*l.Interval().Microseconds() > maxExactMicros {
			bad("%s: burst %d at %d per %s spans too long a time", l.Strategy, l.Capacity(), l.Count, l.Period)
		}
	}
	return errors.Join(errs...)
}

// String writes the limit in the policy language: "gcra 100/1s burst 200".
func (l Limit) String() string {
	s := string(l.Strategy) + " " + strconv.FormatInt(l.Count, 10) + "/" + formatPeriod(l.Period)
	if l.Burst > 0 {
		s += " burst " + strconv.FormatInt(l.Burst, 10)
	}
	return s
}

func formatPeriod(d time.Duration) string {
	switch d {
	case time.Second:
		return "s"
	case time.Minute:
		return "m"
	case time.Hour:
		return "h"
	case 24 * time.Hour:
		return "d"
	}
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// FailureMode says what a policy decides when Redis cannot be reached within the decision timeout.
type FailureMode string

// The failure modes.
const (
	// FailOpen admits the request (and reports the failure in metrics).
	FailOpen FailureMode = "open"
	// FailClosed refuses the request as unavailable (HTTP 503 with Retry-After).
	FailClosed FailureMode = "closed"
)

// Policy is a named set of one or more tiers that a request must all fit, and what to do when Redis is
// unreachable. Each tier keeps its own state per caller.
type Policy struct {
	Name    string
	Tiers   []Limit
	Failure FailureMode
}

// ValidatePolicyName accepts 1-32 characters of lowercase letters, digits, '_' and '-', starting with a
// letter: never a character Redis keys care about.
func ValidatePolicyName(name string) error {
	ok := name != "" && len(name) <= maxPolicyNameLen && 'a' <= name[0] && name[0] <= 'z'
	for i := 1; ok && i < len(name); i++ {
		c := name[i]
		ok = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-'
	}
	if !ok {
		return fmt.Errorf("%w: policy name %q: 1-%d of a-z 0-9 _ -, starting with a letter", ErrInvalid, name, maxPolicyNameLen)
	}
	return nil
}

// Validate reports every rule the policy breaks.
func (p Policy) Validate() error {
	errs := []error{ValidatePolicyName(p.Name)}
	if len(p.Tiers) == 0 || len(p.Tiers) > MaxTiers {
		errs = append(errs, fmt.Errorf("%w: policy %q: want 1 to %d tiers, have %d", ErrInvalid, p.Name, MaxTiers, len(p.Tiers)))
	}
	for _, t := range p.Tiers {
		if err := t.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("policy %q: %w", p.Name, err))
		}
	}
	if p.Failure != FailOpen && p.Failure != FailClosed {
		errs = append(errs, fmt.Errorf("%w: policy %q: fail=%q: want open or closed", ErrInvalid, p.Name, p.Failure))
	}
	return errors.Join(errs...)
}

// Capacity is the most units one request may cost under the policy: the smallest tier capacity.
func (p Policy) Capacity() int64 {
	var c int64
	for i, t := range p.Tiers {
		if i == 0 || t.Capacity() < c {
			c = t.Capacity()
		}
	}
	return c
}

// ValidateCost accepts a cost of 1 up to the policy's capacity; a larger cost could never be admitted.
func (p Policy) ValidateCost(cost int64) error {
	if cost < 1 || cost > p.Capacity() {
		return fmt.Errorf("%w: cost %d: policy %q admits 1 to %d units per request", ErrInvalid, cost, p.Name, p.Capacity())
	}
	return nil
}
