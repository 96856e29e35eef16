// Package eventbus carries domain events between modules over Redis Streams with Watermill. The outbox relay
// writes the topic streams through Bus.Forward; the bus subscribes the ports.EventHandler values app modules
// hand to the "event_handlers" fx value group, so no app code imports Watermill.
package eventbus

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the bus.
type Config struct {
	// Prefix starts every topic (stream key) and consumer group name; statekit passes its key prefix.
	Prefix string
	// MaxLen caps each stream (approximate MAXLEN trimming on every publish).
	MaxLen int64
	// MaxRetries, RetryInitial and RetryMax shape the in-process retry of a failing handler (exponential
	// backoff) before the event is sent to the dead-letter stream.
	MaxRetries   int
	RetryInitial time.Duration
	RetryMax     time.Duration
	// ClaimIdle is how long a delivered but unacknowledged event waits before another consumer of the group
	// claims it (the owner is presumed dead). It must stay well above the worst-case retry time, or an event
	// still being retried would be handled twice at once.
	ClaimIdle time.Duration
	// Consumer names this instance inside consumer groups; empty picks host name, pid and a random suffix.
	Consumer string
}

// DefaultConfig returns a bus config with prefix p: streams capped at 100,000 entries, 3 retries from 100 ms
// to 1 s, claims after 30 s.
func DefaultConfig(p string) Config {
	return Config{Prefix: p, MaxLen: 100_000, MaxRetries: 3, RetryInitial: 100 * time.Millisecond,
		RetryMax: time.Second, ClaimIdle: 30 * time.Second}
}

// Validate reports every problem with the config.
func (c Config) Validate() error {
	var errs []error
	if c.Prefix == "" {
		errs = append(errs, errors.New("event bus: prefix is empty"))
	}
	if c.MaxLen < 1 {
		errs = append(errs, fmt.Errorf("event bus: max length %d: must be positive", c.MaxLen))
	}
	if c.MaxRetries < 0 || c.RetryInitial <= 0 || c.RetryMax < c.RetryInitial {
		errs = append(errs, errors.New("event bus: retries need MaxRetries >= 0 and 0 < RetryInitial <= RetryMax"))
	}
	if worst := c.worstRetryTime(); c.ClaimIdle < 2*worst {
		errs = append(errs, fmt.Errorf("event bus: claim idle %s must be at least twice the worst-case retry time %s",
			c.ClaimIdle, worst))
	}
	return errors.Join(errs...)
}

// worstRetryTime bounds the time spent backing off between retries of one event.
func (c Config) worstRetryTime() time.Duration {
	var total time.Duration
	d := c.RetryInitial
	for i := 0; i < c.MaxRetries; i++ {
		// The retry middleware randomises each interval by up to 50%.
		total += d + d/2
		d = min(2*d, c.RetryMax)
	}
	return total
}
