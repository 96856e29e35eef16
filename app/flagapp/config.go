package flagapp

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the flags module's background work.
type Config struct {
	// SyncInterval is how often each instance compares the stored version number with its snapshot's, to
	// catch a flags.toggled event it missed (one GET per check).
	SyncInterval time.Duration
	// FlushInterval is how often evaluation counts (and sampled flags.evaluated events) are written.
	FlushInterval time.Duration
	// SampleEvery publishes flags.evaluated for one evaluation in this many of each flag variant; 0 publishes
	// none.
	SampleEvery int64
}

// DefaultConfig checks the version every 10 s, flushes counts every 5 s and samples one evaluation in 10,000.
func DefaultConfig() Config {
	return Config{SyncInterval: 10 * time.Second, FlushInterval: 5 * time.Second, SampleEvery: 10_000}
}

// Validate reports every problem with the config.
func (c Config) Validate() error {
	var errs []error
	if c.SyncInterval < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("flags sync interval %s: must be at least 10ms", c.SyncInterval))
	}
	if c.FlushInterval < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("flags flush interval %s: must be at least 10ms", c.FlushInterval))
	}
	if c.SampleEvery < 0 {
		errs = append(errs, fmt.Errorf("flags sample rate %d: must be 0 (off) or positive", c.SampleEvery))
	}
	return errors.Join(errs...)
}
