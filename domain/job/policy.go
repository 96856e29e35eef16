package job

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Backoff spaces the retries of a failed job: the n-th retry waits Base·2^(n-1), capped at Max, of which
// the fraction Jitter is drawn at random (0: exact, 0.5: "equal jitter", 1: "full jitter"), so jobs that
// failed together do not all come back at the same instant.
type Backoff struct {
	Base   time.Duration
	Max    time.Duration
	Jitter float64
}

// DefaultBackoff starts at 1 s, doubles up to 1 h, and draws half of each wait at random.
func DefaultBackoff() Backoff {
	return Backoff{Base: time.Second, Max: time.Hour, Jitter: 0.5}
}

// Validate reports every rule the policy breaks.
func (b Backoff) Validate() error {
	var errs []error
	if b.Base < time.Millisecond {
		errs = append(errs, fmt.Errorf("backoff base %s: must be at least 1ms", b.Base))
	}
	if b.Max < b.Base {
		errs = append(errs, fmt.Errorf("backoff max %s: must not be below the base %s", b.Max, b.Base))
	}
	if b.Max > 30*24*time.Hour {
		errs = append(errs, fmt.Errorf("backoff max %s: at most 720h", b.Max))
	}
	if b.Jitter < 0 || b.Jitter > 1 || math.IsNaN(b.Jitter) {
		errs = append(errs, fmt.Errorf("backoff jitter %v: must be between 0 and 1", b.Jitter))
	}
	return errors.Join(errs...)
}

// Delay is the wait before the retry that follows failed attempt number attempt (1 for the first run);
// r is a uniform random number in [0, 1).
func (b Backoff) Delay(attempt int, r float64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := b.Max
	if attempt <= 62 {
		if exp := float64(b.Base) * math.Exp2(float64(attempt-1)); exp < float64(b.Max) {
			d = time.Duration(exp)
		}
	}
	if r < 0 {
		r = 0
	}
	if r >= 1 {
		r = math.Nextafter(1, 0)
	}
	return time.Duration(float64(d) * (1 - b.Jitter + b.Jitter*r))
}

// Retention says how long finished jobs are kept, with their payload, result and error, before they are
// removed with all their data. A zero duration or count keeps none: a completed job is deleted the moment
// it completes.
type Retention struct {
	Completed    time.Duration
	CompletedMax int
	Dead         time.Duration
	DeadMax      int
}

// DefaultRetention keeps completed jobs 1 h (at most 10,000 per queue) and dead jobs 7 days (at most
// 10,000 per queue).
func DefaultRetention() Retention {
	return Retention{Completed: time.Hour, CompletedMax: 10_000, Dead: 7 * 24 * time.Hour, DeadMax: 10_000}
}

// Validate reports every rule the retention breaks.
func (r Retention) Validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
		n    int
	}{{"completed", r.Completed, r.CompletedMax}, {"dead", r.Dead, r.DeadMax}} {
		if d.v < 0 || d.v > 365*24*time.Hour {
			errs = append(errs, fmt.Errorf("%s retention %s: must be 0-8760h", d.name, d.v))
		}
		if d.n < 0 || d.n > 10_000_000 {
			errs = append(errs, fmt.Errorf("%s retention count %d: must be 0-10000000", d.name, d.n))
		}
	}
	return errors.Join(errs...)
}

// KeepsCompleted reports whether completed jobs are kept at all.
func (r Retention) KeepsCompleted() bool { return r.Completed > 0 && r.CompletedMax > 0 }

// KeepsDead reports whether dead jobs are kept at all.
func (r Retention) KeepsDead() bool { return r.Dead > 0 && r.DeadMax > 0 }
