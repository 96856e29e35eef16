package outbox

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the outbox and its relay.
type Config struct {
	// MaxLen trims each outbox stream (approximate MAXLEN on every append). It must stay far beyond normal
	// lag: an outbox holds only events the relay has not forwarded yet, so it grows only while the relay is
	// stopped or failing; past MaxLen the oldest unforwarded events are dropped, never delivered.
	MaxLen int64
	// SweepInterval is how often one instance (under a lease) looks at every outbox stream for entries left
	// behind by an instance that stopped between its write and its relay.
	SweepInterval time.Duration
	// SweepGrace is the age an entry must reach before the sweep relays it, so the sweep does not race the
	// fast path of the instance that just wrote it.
	SweepGrace time.Duration
	// Batch bounds the entries read and forwarded at once.
	Batch int
	// Workers is how many outbox streams this instance relays at the same time.
	Workers int
	// Lease is how long a relay holds an outbox stream (renewed between batches); a kick that finds the
	// stream held by another instance retries after LeaseRetry.
	Lease      time.Duration
	LeaseRetry time.Duration
}

// DefaultConfig is an outbox trimmed at 1,000,000 entries per stream, swept every 5 s for entries older than
// 5 s, relayed in batches of 100 by 4 workers under 30 s leases retried after 50 ms.
func DefaultConfig() Config {
	return Config{MaxLen: 1_000_000, SweepInterval: 5 * time.Second, SweepGrace: 5 * time.Second,
		Batch: 100, Workers: 4, Lease: 30 * time.Second, LeaseRetry: 50 * time.Millisecond}
}

// Validate reports every problem with the config.
func (c Config) Validate() error {
	var errs []error
	if c.MaxLen < 1000 {
		errs = append(errs, fmt.Errorf("outbox: max length %d: must be at least 1000", c.MaxLen))
	}
	if c.SweepInterval <= 0 || c.SweepGrace <= 0 {
		errs = append(errs, errors.New("outbox: sweep interval and grace must be positive"))
	}
	if c.Batch < 1 || c.Batch > 10_000 || c.Workers < 1 || c.Workers > 64 {
		errs = append(errs, errors.New("outbox: batch must be 1-10000 and workers 1-64"))
	}
	if c.Lease <= 0 || c.LeaseRetry <= 0 || c.LeaseRetry >= c.Lease {
		errs = append(errs, errors.New("outbox: lease and lease retry must be positive, the retry shorter"))
	}
	return errors.Join(errs...)
}
