package activity

import (
	"fmt"
	"time"
)

// Funnel asks how many users did Steps[0], then Steps[1], ... in that order, each step within Within of
// the user's Steps[0]; a user enters the funnel with a Steps[0] recorded in [From, To), and may finish it
// up to Within after To.
type Funnel struct {
	Steps  []string
	Within time.Duration
	From   time.Time
	To     time.Time
}

// Validate reports the first rule the funnel breaks; errors wrap ErrInvalid.
func (f Funnel) Validate() error {
	if len(f.Steps) < 2 || len(f.Steps) > MaxFunnelSteps {
		return fmt.Errorf("%w: a funnel has 2-%d steps", ErrInvalid, MaxFunnelSteps)
	}
	for _, s := range f.Steps {
		if err := ValidateAction(s); err != nil {
			return err
		}
	}
	if f.Within <= 0 || f.Within > MaxFunnelWithin {
		return fmt.Errorf("%w: within %s: must be positive and at most %s", ErrInvalid, f.Within, MaxFunnelWithin)
	}
	if f.From.IsZero() || f.To.IsZero() || !f.From.Before(f.To) || f.To.Sub(f.From) > MaxFunnelRange {
		return fmt.Errorf("%w: from must be before to, at most %s apart", ErrInvalid, MaxFunnelRange)
	}
	return nil
}

// FunnelResult counts, for each step, the users who reached it (Users[0] entered the funnel).
type FunnelResult struct {
	Steps []string
	Users []int64
	// Scanned is how many activities were read; Truncated reports that the scan stopped at its bound
	// before the end of the range, so the counts are a lower bound.
	Scanned   int
	Truncated bool
}

// FunnelCounter computes a funnel over activities fed to it in recording order. For each user it keeps,
// per step, the latest start among the user's attempts that reached that step: a later start leaves the
// most room within the window, so the furthest step any attempt reaches is found in one pass.
type FunnelCounter struct {
	f     Funnel
	users map[string][]int64 // user -> per step, start (unix ms) of the latest attempt there; -1 none
}

// NewFunnelCounter starts counting f.
func NewFunnelCounter(f Funnel) *FunnelCounter {
	return &FunnelCounter{f: f, users: map[string][]int64{}}
}

// Add feeds one activity; activities must come in recording order.
func (c *FunnelCounter) Add(a Activity) {
	at := a.At.UnixMilli()
	steps := c.f.Steps
	within := c.f.Within.Milliseconds()
	progress := c.users[a.UserID]
	// From the last step down, so one activity never advances an attempt by two steps.
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i] != a.Action {
			continue
		}
		if i == 0 {
			if a.At.Before(c.f.From) || !a.At.Before(c.f.To) {
				continue
			}
			if progress == nil {
				progress = make([]int64, len(steps))
				for j := range progress {
					progress[j] = -1
				}
				c.users[a.UserID] = progress
			}
			progress[0] = at
			continue
		}
		if progress == nil || progress[i-1] < 0 || at-progress[i-1] > within {
			continue
		}
		progress[i] = max(progress[i], progress[i-1])
	}
}

// Result returns the users who reached each step.
func (c *FunnelCounter) Result() FunnelResult {
	r := FunnelResult{Steps: c.f.Steps, Users: make([]int64, len(c.f.Steps))}
	for _, progress := range c.users {
		for i, start := range progress {
			if start >= 0 {
				r.Users[i]++
			}
		}
	}
	return r
}
