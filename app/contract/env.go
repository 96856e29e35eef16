package contract

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Env reads a section's settings from the environment. Every typed read falls back to the row's default
// when the variable is unset or blank, and a bad value is recorded (naming its variable) rather than
// returned, so one start-up reports every bad value at once; the read then returns the zero value. A
// section may read only declared rows (its own, or another section's it depends on).
type Env struct {
	lookup func(string) string
	rows   map[string]Setting
	errs   []error
}

// String returns the variable's value, or its default. A default in parentheses, such as "(none)",
// describes an empty value.
func (e *Env) String(name string) string {
	row, ok := e.rows[name]
	if !ok {
		e.errs = append(e.errs, fmt.Errorf("%s: read but declared by no module's settings", name))
		return ""
	}
	if v := strings.TrimSpace(e.lookup(name)); v != "" {
		return v
	}
	return row.defaultValue()
}

// Check records err, when not nil, against the variable (or a group of them, "STATEKIT_CART_*"): for
// values a module parses itself and for its Config's Validate.
func (e *Env) Check(name string, err error) {
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: %w", name, err))
	}
}

func (e *Env) bad(name, format string) {
	e.errs = append(e.errs, fmt.Errorf("%s: %q %s", name, e.String(name), format))
}

// Duration reads a positive duration such as 30s.
func (e *Env) Duration(name string) time.Duration {
	d, err := time.ParseDuration(e.String(name))
	if err != nil || d <= 0 {
		e.bad(name, "is not a positive duration such as 30s")
		return 0
	}
	return d
}

// DurationOrZero reads a duration such as 30s where 0 is meaningful (a feature off, nothing kept).
func (e *Env) DurationOrZero(name string) time.Duration {
	d, err := time.ParseDuration(e.String(name))
	if err != nil || d < 0 {
		e.bad(name, "is not a duration such as 30s (0 allowed)")
		return 0
	}
	return d
}

// Int reads a positive integer.
func (e *Env) Int(name string) int64 {
	n, err := strconv.ParseInt(e.String(name), 10, 64)
	if err != nil || n <= 0 {
		e.bad(name, "is not a positive integer")
		return 0
	}
	return n
}

// IntOrZero reads a non-negative integer (0 is meaningful: a feature off, nothing kept).
func (e *Env) IntOrZero(name string) int64 {
	n, err := strconv.ParseInt(e.String(name), 10, 64)
	if err != nil || n < 0 {
		e.bad(name, "is not a non-negative integer")
		return 0
	}
	return n
}

// Float reads a number; its range is the module's Config.Validate's to check.
func (e *Env) Float(name string) float64 {
	f, err := strconv.ParseFloat(e.String(name), 64)
	if err != nil {
		e.bad(name, "is not a number")
		return 0
	}
	return f
}

// Bool reads true or false (also 1/0, t/f).
func (e *Env) Bool(name string) bool {
	b, err := strconv.ParseBool(e.String(name))
	if err != nil {
		e.bad(name, "is not true or false")
		return false
	}
	return b
}

// List reads a comma-separated list, each item trimmed, empty items dropped.
func (e *Env) List(name string) []string {
	var out []string
	for _, item := range strings.Split(e.String(name), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Err is every bad value recorded so far, joined, or nil.
func (e *Env) Err() error { return errors.Join(e.errs...) }
