package activity

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

var detectorName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// Detector watches one action per user: when a user records Limit of them within Window, it fires once,
// and not again for that user until a whole Window has passed since it fired.
type Detector struct {
	Name   string
	Action string
	Limit  int
	Window time.Duration
}

// FailedLogins is the detector of repeated failed logins: limit failures within window.
func FailedLogins(limit int, window time.Duration) Detector {
	return Detector{Name: "failed_logins", Action: ActionLoginFailed, Limit: limit, Window: window}
}

// Validate reports every problem with the detector.
func (d Detector) Validate() error {
	var errs []error
	if !detectorName.MatchString(d.Name) {
		errs = append(errs, fmt.Errorf("detector name %q: 1-32 of a-z 0-9 _", d.Name))
	}
	if err := ValidateAction(d.Action); err != nil {
		errs = append(errs, fmt.Errorf("detector %s: %w", d.Name, err))
	}
	if d.Limit < MinDetectorLimit || d.Limit > 10_000 {
		errs = append(errs, fmt.Errorf("detector %s: limit %d: must be %d-10000", d.Name, d.Limit, MinDetectorLimit))
	}
	if d.Window < time.Second || d.Window > 7*24*time.Hour {
		errs = append(errs, fmt.Errorf("detector %s: window %s: must be 1s-168h", d.Name, d.Window))
	}
	return errors.Join(errs...)
}

// Detection is a detector firing for a user: Count matching actions between FirstAt and LastAt, within
// the detector's window.
type Detection struct {
	Detector string
	UserID   string
	Action   string
	Count    int
	Window   time.Duration
	FirstAt  time.Time
	LastAt   time.Time
}
