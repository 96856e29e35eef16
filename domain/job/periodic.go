package job

import (
	"errors"
	"fmt"
	"time"
)

// Schedule computes the ticks of a periodic job. Next returns the first tick strictly after t; every
// instance computes the same ticks, so a tick can be claimed exactly once across instances.
type Schedule interface {
	Next(t time.Time) time.Time
}

// Periodic is a job enqueued on every tick of a cron schedule, registered in code (an fx value group) or in
// configuration. Ticks are claimed in the store, so however many instances run the same Periodic, each
// tick enqueues one job; ticks that pass while no instance runs are skipped, not caught up.
type Periodic struct {
	// Name identifies the schedule; it names the tick marker, so it must be unique and stable.
	Name string
	// Cron is the schedule: five fields (minute hour day-of-month month day-of-week), six with leading
	// seconds, a descriptor (@hourly, @daily, ...), or "@every <duration>" (ticks aligned to the Unix epoch,
	// at least 100ms apart). "CRON_TZ=<zone> " may precede a cron expression.
	Cron string
	// Job is what each tick enqueues. A unique key is not allowed: the tick is the dedupe.
	Job NewJob
}

// Validate checks the name and the job (not the cron expression: parsing it needs a parser).
func (p Periodic) Validate(d Defaults) error {
	var errs []error
	if len(p.Name) > MaxTypeLen || !isName(p.Name) {
		errs = append(errs, fmt.Errorf("%w: periodic name %q must be 1-%d characters of letters, digits and _ . -",
			ErrInvalid, p.Name, MaxTypeLen))
	}
	if p.Cron == "" {
		errs = append(errs, fmt.Errorf("%w: periodic %q: no cron schedule", ErrInvalid, p.Name))
	}
	if p.Job.UniqueKey != "" || p.Job.Delay != 0 || !p.Job.RunAt.IsZero() {
		errs = append(errs, fmt.Errorf("%w: periodic %q: a periodic job takes no unique key, delay or run-at", ErrInvalid, p.Name))
	}
	if err := p.Job.Validate(d); err != nil {
		errs = append(errs, fmt.Errorf("periodic %q: %w", p.Name, err))
	}
	return errors.Join(errs...)
}

// Every is the schedule of "@every d": ticks at the multiples of d since the Unix epoch, so every instance
// agrees on them whatever its start time.
type Every time.Duration

// MinEvery is the shortest "@every" period.
const MinEvery = 100 * time.Millisecond

// Next implements Schedule.
func (e Every) Next(t time.Time) time.Time {
	d := time.Duration(e)
	if d <= 0 {
		return time.Time{}
	}
	n := t.UnixNano()
	next := n - n%int64(d) + int64(d)
	return time.Unix(0, next).In(t.Location())
}
